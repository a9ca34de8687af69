"""Moodle's competency framework CSV (the 14 columns of `admin/tool/lpimportcsv`).

One row has "Is framework" set and describes the framework (its scale and its taxonomy, one term per
level); every other row is a competency placed under the row whose ID number is its "Parent ID
number" (empty at the top). Column titles changed between Moodle versions ("Parent id number",
"Parent ID number", "Shortname", "Short name"...), so columns are matched by name, loosely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

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
    RawStandard,
    Spot,
    build_standards,
    check_columns,
    drop_label_repeating_code,
    raise_if_problems,
    require_text,
)

FORMAT_NAME = "moodle"
# Moodle's own column titles (lang/en/tool_lpimportcsv.php), in the order its exporter writes them.
HEADER = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)
REQUIRED = ("Parent ID number", "ID number", "Short name", "Description", "Is framework")
# Moodle refuses other taxonomy terms (core_competency\competency_framework::TAXONOMY_*).
MOODLE_TAXONOMIES = frozenset(
    {
        "behaviour",
        "competency",
        "concept",
        "domain",
        "indicator",
        "level",
        "outcome",
        "practice",
        "proficiency",
        "skill",
        "value",
    }
)
# Description formats whose text is HTML (FORMAT_MOODLE = 0, FORMAT_HTML = 1).
_HTML_FORMATS = frozenset({"", "0", "1"})
_TRUE_WORDS = frozenset({"1", "true", "yes", "y"})
# The scale Moodle needs on every framework when the draft has none: the product's default.
DEFAULT_SCALE = ScaleDraft(
    ratings=(
        RatingDraft(4.0, "Exceeds"),
        RatingDraft(3.0, "Meets"),
        RatingDraft(2.0, "Approaching"),
        RatingDraft(1.0, "Beginning"),
    ),
    mastery_points=3.0,
)


def _column_key(title: str) -> str:
    """"Parent id number", "Parent ID number" and "parent_idnumber" all become "parentidnumber"."""
    without_optional = title.lower().replace("(optional)", "")
    return re.sub(r"[^a-z0-9]", "", without_optional)


_KEY_TO_TITLE = {_column_key(title): title for title in HEADER}


def parse_moodle_competencies(data: bytes) -> FrameworkDraft:
    """Read a Moodle competency framework CSV; raises `ImportFailed` listing every problem."""
    problems: list[ImportProblem] = []
    table = read_csv(data, problems)
    if table is None:
        raise_if_problems(problems)
        raise AssertionError("read_csv returns None only after recording a problem")
    titles = [_KEY_TO_TITLE.get(_column_key(name), name) for name in table.columns]
    check_columns(titles, REQUIRED, HEADER, problems, "Moodle's competency framework CSV")
    if problems:
        raise_if_problems(problems)
    reader = _RowReader({title: position for position, title in enumerate(titles)}, problems)
    for row in table.rows:
        reader.read(row)
    framework = reader.framework_row
    if framework is None:
        problems.append(
            ImportProblem(reason="no framework row: one row needs 'Is framework' set to 1")
        )
        raise_if_problems(problems)
        raise AssertionError("unreachable: a problem was just recorded")
    framework_id = reader.value(framework, "ID number")
    for raw in reader.standards:
        # Moodle places competencies whose parent is blank at the top; naming the framework
        # itself as the parent means the same thing.
        if raw.parent_identifier == framework_id:
            raw.parent_identifier = None
    taxonomy = [term.strip().lower() for term in reader.value(framework, "Taxonomy").split(",")]
    standards = build_standards(reader.standards, problems, _kind_by_level(taxonomy))
    raise_if_problems(problems)
    return FrameworkDraft(
        identifier=framework_id,
        title=reader.value(framework, "Short name"),
        source_format=FORMAT_NAME,
        standards=standards,
        description=reader.description(framework),
        scale=reader.scale(framework),
    )


def _kind_by_level(taxonomy: list[str]) -> Callable[[int], str]:
    """The framework's taxonomy term for a depth (1 = top level), or "" past its end."""

    def kind(depth: int) -> str:
        return taxonomy[depth - 1] if depth <= len(taxonomy) else ""

    return kind


class _RowReader:
    """Turns rows into the framework row and raw competencies."""

    def __init__(self, index: dict[str, int], problems: list[ImportProblem]) -> None:
        self.index = index
        self.problems = problems
        self.framework_row: CsvRow | None = None
        self.standards: list[RawStandard] = []

    def value(self, row: CsvRow, title: str) -> str:
        """A trimmed cell by Moodle column title ("" if the column is absent)."""
        return row.cell(self.index.get(title))

    def description(self, row: CsvRow) -> str:
        """The description as plain text (Moodle stores HTML unless told otherwise)."""
        text = self.value(row, "Description")
        return html_to_text(text) if self.value(row, "Description format") in _HTML_FORMATS else text

    def read(self, row: CsvRow) -> None:
        """Read the framework row or one competency."""

        def at(title: str) -> Spot:
            return Spot(line=row.line, field=title)

        if self.value(row, "Is framework").lower() in _TRUE_WORDS:
            if self.framework_row is not None:
                self.problems.append(
                    at("Is framework").problem(
                        "a second framework row; a file holds one framework (the first is on "
                        f"line {self.framework_row.line})"
                    )
                )
                return
            self.framework_row = row
            require_text(self.value(row, "ID number"), at("ID number"), self.problems)
            require_text(self.value(row, "Short name"), at("Short name"), self.problems)
            self.scale(row)
            return
        idnumber = require_text(self.value(row, "ID number"), at("ID number"), self.problems)
        short_name = require_text(self.value(row, "Short name"), at("Short name"), self.problems)
        self.standards.append(
            RawStandard(
                identifier=idnumber,
                code=idnumber,
                parent_identifier=self.value(row, "Parent ID number") or None,
                label=drop_label_repeating_code(short_name, idnumber),
                statement=self.description(row),
                scale=self.scale(row),
                at_identifier=at("ID number"),
                at_code=at("ID number"),
                at_parent=at("Parent ID number"),
            )
        )

    def scale(self, row: CsvRow) -> ScaleDraft | None:
        """The row's Moodle scale as ratings worth 1, 2, 3... points, lowest item first in Moodle."""
        values = [value.strip() for value in self.value(row, "Scale values").split(",")]
        values = [value for value in values if value]
        if not values:
            return None
        ratings = tuple(
            RatingDraft(points=float(position), description=value)
            for position, value in reversed(list(enumerate(values, start=1)))
        )
        return ScaleDraft(ratings=ratings, mastery_points=self._lowest_proficient(row, len(values)))

    def _lowest_proficient(self, row: CsvRow, size: int) -> float | None:
        """The first scale item marked proficient in "Scale configuration" (a JSON list)."""
        raw = self.value(row, "Scale configuration")
        if not raw:
            return None
        spot = Spot(line=row.line, field="Scale configuration")
        try:
            config = json.loads(raw)
        except ValueError:
            self.problems.append(spot.problem("Scale configuration is not valid JSON"))
            return None
        if not isinstance(config, list):
            self.problems.append(spot.problem("Scale configuration must be a JSON list"))
            return None
        proficient = [
            item.get("id")
            for item in config
            if isinstance(item, dict) and str(item.get("proficient", "0")) not in ("0", "", "False")
        ]
        ids = [int(value) for value in proficient if str(value).isdigit()]
        if any(not 1 <= value <= size for value in ids):
            self.problems.append(
                spot.problem(f"Scale configuration names an item outside the {size} scale values")
            )
            return None
        return float(min(ids)) if ids else None


def export_moodle_competencies(draft: FrameworkDraft) -> bytes:
    """Write a draft as a Moodle competency framework CSV (framework row first)."""
    idnumber_of = {standard.identifier: standard.code or standard.identifier for standard in draft.standards}
    if len(set(idnumber_of.values())) != len(idnumber_of):
        raise ExportFailed("Moodle ID numbers would repeat: give every standard a unique code")
    depth_of: dict[str, int] = {}
    for standard in draft.standards:
        parent = standard.parent_identifier
        depth_of[standard.identifier] = depth_of[parent] + 1 if parent is not None else 1
    scale = draft.scale or DEFAULT_SCALE
    framework_id = draft.identifier or draft.title or "framework"
    rows: list[list[str]] = [list(HEADER)]
    rows.append(
        [
            "",
            framework_id,
            draft.title or framework_id,
            text_to_html(draft.description),
            "1",
            *_scale_columns(scale),
            "",
            "",
            "",
            "",
            "",
            "1",
            _taxonomy(draft.standards, depth_of),
        ]
    )
    for standard in draft.standards:
        parent = standard.parent_identifier
        own_scale = standard.scale if standard.scale not in (None, scale) else None
        rows.append(
            [
                idnumber_of[parent] if parent is not None else "",
                idnumber_of[standard.identifier],
                standard.label or idnumber_of[standard.identifier],
                text_to_html(standard.statement),
                "1",
                *(_scale_columns(own_scale) if own_scale else ("", "")),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    return write_csv(rows)


def _scale_columns(scale: ScaleDraft) -> tuple[str, str]:
    """"Scale values" (lowest first, comma-separated) and "Scale configuration" (JSON)."""
    ascending = sorted(scale.ratings, key=lambda rating: rating.points)
    # A comma would split one scale item into two in Moodle.
    values = ",".join(rating.description.replace(",", ";") for rating in ascending)
    mastery = scale.mastery_points if scale.mastery_points is not None else ascending[-1].points
    config: list[dict[str, object]] = [{"scaleid": "0"}]
    proficient_ids = [
        position for position, rating in enumerate(ascending, start=1) if rating.points >= mastery
    ]
    for position in proficient_ids:
        config.append(
            {"id": position, "scaledefault": int(position == proficient_ids[0]), "proficient": 1}
        )
    return values, json.dumps(config)


def _taxonomy(standards: tuple[StandardDraft, ...], depth_of: dict[str, int]) -> str:
    """One Moodle taxonomy term per level: the level's kind if Moodle knows it, else competency."""
    terms: dict[int, str] = {}
    for standard in standards:
        depth = depth_of[standard.identifier]
        if terms.get(depth, "competency") == "competency" and standard.kind in MOODLE_TAXONOMIES:
            terms[depth] = standard.kind
        terms.setdefault(depth, "competency")
    return ",".join(terms[depth] for depth in sorted(terms))
