"""Canvas's outcomes import CSV (groups and outcomes linked by `vendor_guid` / `parent_guids`).

The rules follow Canvas's "Outcomes CSV Format" document and its importer: required columns
`vendor_guid`, `object_type`, `title`; `ratings` is the last named column, followed by unnamed
columns holding points,description pairs in decreasing points; groups have one parent at most and
carry no calculation or ratings; `workflow_state` "deleted" rows remove things rather than add them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lti_tool.adapters.importers.csv_rows import CsvRow, read_csv, write_csv
from lti_tool.adapters.importers.drafts import (
    ExportFailed,
    FrameworkDraft,
    ImportProblem,
    RatingDraft,
    ScaleDraft,
    StandardDraft,
)
from lti_tool.adapters.importers.markup import html_to_text, text_to_html
from lti_tool.adapters.importers.validation import (
    GROUP_KIND,
    STANDARD_KIND,
    RawStandard,
    Spot,
    build_standards,
    check_columns,
    drop_label_repeating_code,
    raise_if_problems,
    require_text,
)

FORMAT_NAME = "canvas"
REQUIRED_COLUMNS = ("vendor_guid", "object_type", "title")
OPTIONAL_COLUMNS = (
    "canvas_id",
    "course_id",
    "description",
    "friendly_description",
    "display_name",
    "parent_guids",
    "calculation_method",
    "calculation_int",
    "mastery_points",
    "workflow_state",
)
EXPORT_COLUMNS = (
    "vendor_guid",
    "object_type",
    "title",
    "description",
    "display_name",
    "calculation_method",
    "calculation_int",
    "workflow_state",
    "parent_guids",
    "mastery_points",
    "ratings",
)
# Canvas's calculation methods and the calculation_int each accepts (empty: must be blank).
CALCULATION_INT_RANGES: dict[str, range] = {
    "decaying_average": range(1, 100),
    "weighted_average": range(1, 100),
    "standard_decaying_average": range(50, 100),
    "n_mastery": range(1, 11),
    "highest": range(0),
    "latest": range(0),
    "average": range(0),
}
_GROUP_ONLY_BLANK = ("calculation_method", "calculation_int", "mastery_points")


def parse_canvas_outcomes(data: bytes) -> FrameworkDraft:
    """Read a Canvas outcomes CSV; raises `ImportFailed` listing every problem in the file."""
    problems: list[ImportProblem] = []
    table = read_csv(data, problems)
    if table is None:
        raise_if_problems(problems)
        raise AssertionError("read_csv returns None only after recording a problem")
    index, ratings_start = _read_header(table.columns, problems)
    if problems:
        raise_if_problems(problems)
    reader = _RowReader(index, ratings_start, problems)
    for row in table.rows:
        reader.read(row)
    reader.check_parents_are_groups()
    standards = build_standards(reader.standards, problems)
    raise_if_problems(problems)
    return FrameworkDraft(
        identifier="",
        title="",
        source_format=FORMAT_NAME,
        standards=standards,
        scale=_shared_scale(standards),
    )


def _read_header(columns: list[str], problems: list[ImportProblem]) -> tuple[dict[str, int], int]:
    """Column positions by name, and where the rating columns start."""
    ratings_start = columns.index("ratings") if "ratings" in columns else len(columns)
    named = columns[:ratings_start]
    after_ratings = [name for name in columns[ratings_start + 1 :] if name]
    if after_ratings:
        problems.append(
            ImportProblem(
                reason="the columns after 'ratings' must have empty headers (they hold rating "
                "points and descriptions), but found " + ", ".join(repr(n) for n in after_ratings),
                line=1,
            )
        )
    check_columns(
        named,
        REQUIRED_COLUMNS,
        REQUIRED_COLUMNS + OPTIONAL_COLUMNS + ("ratings",),
        problems,
        "the Canvas outcomes CSV",
    )
    return {name: position for position, name in enumerate(named)}, ratings_start


class _RowReader:
    """Turns rows into raw standards, remembering what the cross-row checks need."""

    def __init__(self, index: dict[str, int], ratings_start: int, problems: list[ImportProblem]):
        self.index = index
        self.ratings_start = ratings_start
        self.problems = problems
        self.standards: list[RawStandard] = []
        self.groups: set[str] = set()
        self.deleted_on_line: dict[str, int] = {}

    def value(self, row: CsvRow, column: str) -> str:
        """A trimmed cell by column name ("" if the column is absent)."""
        return row.cell(self.index.get(column))

    def read(self, row: CsvRow) -> None:
        """Read one row: an outcome, a group, or a deletion."""

        def at(column: str) -> Spot:
            return Spot(line=row.line, field=column)

        guid = require_text(self.value(row, "vendor_guid"), at("vendor_guid"), self.problems)
        if any(character.isspace() for character in guid):
            self.problems.append(at("vendor_guid").problem("vendor_guid must not contain spaces"))
        object_type = self.value(row, "object_type")
        if object_type not in ("group", "outcome"):
            self.problems.append(
                at("object_type").problem(
                    f"object_type must be 'group' or 'outcome', not {object_type!r}"
                )
            )
        workflow_state = self.value(row, "workflow_state")
        if workflow_state not in ("", "active", "deleted"):
            self.problems.append(
                at("workflow_state").problem(
                    f"workflow_state must be 'active' or 'deleted', not {workflow_state!r}"
                )
            )
        if workflow_state == "deleted":
            # A deleted row asks Canvas to remove something; it is not part of the framework.
            self.deleted_on_line[guid] = row.line
            return
        title = require_text(self.value(row, "title"), at("title"), self.problems)
        parents = self.value(row, "parent_guids").split()
        is_group = object_type == "group"
        if is_group:
            self.groups.add(guid)
            self._check_group_fields(row, len(parents))
        method, calculation_int = ("", None) if is_group else self._calculation(row, at)
        scale = None if is_group else self._scale(row, at)
        self.standards.append(
            RawStandard(
                identifier=guid,
                code=title,
                parent_identifier=parents[0] if parents else None,
                extra_parent_identifiers=tuple(parents[1:]),
                label=drop_label_repeating_code(self.value(row, "display_name"), title),
                statement=html_to_text(self.value(row, "description")),
                kind=GROUP_KIND if is_group else STANDARD_KIND,
                scale=scale,
                calculation_method=method,
                calculation_int=calculation_int,
                at_identifier=at("vendor_guid"),
                at_code=at("title"),
                at_parent=at("parent_guids"),
            )
        )

    def _check_group_fields(self, row: CsvRow, parent_count: int) -> None:
        """Groups nest in one place and carry no scoring, as in Canvas."""
        spot = Spot(line=row.line)
        if parent_count > 1:
            self.problems.append(
                Spot(line=row.line, field="parent_guids").problem(
                    "a group can have only one parent group"
                )
            )
        filled = [column for column in _GROUP_ONLY_BLANK if self.value(row, column)]
        if any(cell.strip() for cell in row.cells[self.ratings_start :]):
            filled.append("ratings")
        if filled:
            self.problems.append(
                spot.problem("a group cannot have " + ", ".join(filled) + "; only outcomes can")
            )

    def _calculation(self, row: CsvRow, at: Callable[[str], Spot]) -> tuple[str, int | None]:
        """The outcome's calculation method and its parameter, checked as Canvas does."""
        method = self.value(row, "calculation_method")
        raw_int = self.value(row, "calculation_int")
        if not method:
            if raw_int:
                self.problems.append(
                    at("calculation_int").problem("calculation_int needs a calculation_method")
                )
            return "", None
        allowed = CALCULATION_INT_RANGES.get(method)
        if allowed is None:
            self.problems.append(
                at("calculation_method").problem(
                    f"unknown calculation_method {method!r}; use one of "
                    + ", ".join(CALCULATION_INT_RANGES)
                )
            )
            return method, None
        if not raw_int:
            return method, None
        try:
            value = int(raw_int)
        except ValueError:
            self.problems.append(
                at("calculation_int").problem(f"calculation_int {raw_int!r} is not a whole number")
            )
            return method, None
        if not allowed:
            self.problems.append(
                at("calculation_int").problem(f"{method} takes no calculation_int; leave it blank")
            )
        elif value not in allowed:
            self.problems.append(
                at("calculation_int").problem(
                    f"calculation_int for {method} must be between {allowed[0]} and "
                    f"{allowed[-1]}, not {value}"
                )
            )
        return method, value

    def _scale(self, row: CsvRow, at: Callable[[str], Spot]) -> ScaleDraft | None:
        """The outcome's mastery points and ratings, if it has any."""
        mastery_points = None
        raw_mastery = self.value(row, "mastery_points")
        if raw_mastery:
            mastery_points = _number(raw_mastery)
            if mastery_points is None:
                self.problems.append(
                    at("mastery_points").problem(f"mastery_points {raw_mastery!r} is not a number")
                )
        ratings = self._ratings(row)
        if mastery_points is None and not ratings:
            return None
        return ScaleDraft(ratings=ratings, mastery_points=mastery_points)

    def _ratings(self, row: CsvRow) -> tuple[RatingDraft, ...]:
        """Points,description pairs from the unnamed columns, highest points first."""
        cells = [cell.strip() for cell in row.cells[self.ratings_start :]]
        while cells and not cells[-1]:
            cells.pop()
        spot = Spot(line=row.line, field="ratings")
        ratings: list[RatingDraft] = []
        for tier, start in enumerate(range(0, len(cells), 2), start=1):
            raw_points = cells[start]
            description = cells[start + 1] if start + 1 < len(cells) else ""
            points = _number(raw_points) if raw_points else None
            if points is None:
                reason = "has no points" if not raw_points else f"points {raw_points!r} are not a number"
                self.problems.append(spot.problem(f"rating tier {tier} {reason}"))
                continue
            if ratings and points > ratings[-1].points:
                self.problems.append(
                    spot.problem(
                        f"rating tier {tier} has more points ({_format_number(points)}) than the "
                        f"tier before it ({_format_number(ratings[-1].points)}); list ratings "
                        "from highest to lowest"
                    )
                )
            ratings.append(RatingDraft(points=points, description=description))
        return tuple(ratings)

    def check_parents_are_groups(self) -> None:
        """Only groups contain things, and a deleted group cannot be a parent."""
        outcomes = {raw.identifier for raw in self.standards if raw.identifier not in self.groups}
        for raw in self.standards:
            parents = [raw.parent_identifier, *raw.extra_parent_identifiers]
            for parent in parents:
                if parent in self.deleted_on_line and parent not in self.groups | outcomes:
                    self.problems.append(
                        raw.at_parent.problem(
                            f"parent {parent!r} is marked deleted on line "
                            f"{self.deleted_on_line[parent]}"
                        )
                    )
                elif parent in outcomes:
                    self.problems.append(
                        raw.at_parent.problem(
                            f"parent {parent!r} is an outcome; only groups can contain other rows"
                        )
                    )
            # Reported above already; keep build_standards from calling them missing too.
            kept = [p for p in parents if p is None or p not in self.deleted_on_line]
            raw.parent_identifier = kept[0] if kept else None
            raw.extra_parent_identifiers = tuple(p for p in kept[1:] if p is not None)


def _number(text: str) -> float | None:
    """A decimal number, or None."""
    try:
        return float(text)
    except ValueError:
        return None


def _format_number(value: float) -> str:
    """4.0 as "4", 2.5 as "2.5"."""
    return str(int(value)) if value == int(value) else repr(value)


def _shared_scale(standards: Iterable[StandardDraft]) -> ScaleDraft | None:
    """The scale every outcome uses, when they all use the same one."""
    scales = {standard.scale for standard in standards if standard.kind != GROUP_KIND}
    if len(scales) == 1:
        return scales.pop()
    return None


def export_canvas_outcomes(draft: FrameworkDraft) -> bytes:
    """Write a draft as a Canvas outcomes CSV: anything with children becomes a group."""
    bad_guids = [s.identifier for s in draft.standards if any(c.isspace() for c in s.identifier)]
    if bad_guids:
        raise ExportFailed(
            "Canvas vendor_guid values cannot contain spaces: " + ", ".join(map(repr, bad_guids))
        )
    parents = {
        parent
        for standard in draft.standards
        for parent in (standard.parent_identifier, *standard.extra_parent_identifiers)
        if parent is not None
    }
    rows = [_export_row(standard, draft, standard.identifier in parents) for standard in draft.standards]
    rating_columns = max((len(row) - len(EXPORT_COLUMNS) + 1 for row in rows), default=1)
    header = list(EXPORT_COLUMNS) + [""] * (max(rating_columns, 1) - 1)
    width = len(header)
    return write_csv([header, *(row + [""] * (width - len(row)) for row in rows)])


def _export_row(standard: StandardDraft, draft: FrameworkDraft, has_children: bool) -> list[str]:
    """One standard as a Canvas row."""
    is_group = has_children or standard.kind == GROUP_KIND
    parents = [standard.parent_identifier] if standard.parent_identifier else []
    if not is_group:
        parents.extend(standard.extra_parent_identifiers)
    row = [
        standard.identifier,
        "group" if is_group else "outcome",
        standard.code or standard.label or standard.identifier,
        text_to_html(standard.statement),
        standard.label,
        "",
        "",
        "active",
        " ".join(parents),
        "",
    ]
    if is_group:
        return row
    row[5] = standard.calculation_method
    row[6] = "" if standard.calculation_int is None else str(standard.calculation_int)
    scale = standard.scale or draft.scale
    if scale is not None:
        if scale.mastery_points is not None:
            row[9] = _format_number(scale.mastery_points)
        for rating in scale.ratings:
            row.extend([_format_number(rating.points), rating.description])
    return row
