"""Checks shared by every framework format: encoding, columns, required fields and the hierarchy.

Parsers turn their rows or items into `RawStandard`s, each knowing where its fields came from, and
`build_standards` checks them together (duplicates, missing parents, cycles) and orders the tree.
"""

from __future__ import annotations

import codecs
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from lti_tool.adapters.importers.drafts import (
    ImportFailed,
    ImportProblem,
    ScaleDraft,
    StandardDraft,
)

# Encoding problems are reported line by line, but a file saved in the wrong encoding has one on
# almost every line; the first few are enough to recognise it.
MAX_ENCODING_PROBLEMS = 5

GROUP_KIND = "group"
STANDARD_KIND = "standard"


@dataclass(frozen=True)
class Spot:
    """Where a value came from: a line and column name, or a JSON path."""

    line: int | None = None
    path: str | None = None
    field: str | None = None

    def problem(self, reason: str) -> ImportProblem:
        """A problem located here."""
        return ImportProblem(reason=reason, line=self.line, path=self.path, field=self.field)

    def describe(self) -> str:
        """A short "line 4" or JSON path for messages that point at another place."""
        if self.line is not None:
            return f"line {self.line}"
        return self.path or "elsewhere in the file"


@dataclass
class RawStandard:
    """A standard as a parser read it, before the hierarchy is checked and ordered."""

    identifier: str
    code: str
    parent_identifier: str | None
    label: str
    statement: str
    at_identifier: Spot
    at_code: Spot
    at_parent: Spot
    kind: str = ""
    grade_levels: tuple[str, ...] = ()
    subject: str = ""
    sequence: float | None = None
    extra_parent_identifiers: tuple[str, ...] = ()
    scale: ScaleDraft | None = None
    calculation_method: str = ""
    calculation_int: int | None = None
    file_order: int = field(default=0)


def decode_text(data: bytes, problems: list[ImportProblem]) -> str | None:
    """Decode UTF-8 (with or without a byte-order mark); record which lines are not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problems.append(
            ImportProblem(
                reason="the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\" in Excel)", line=1
            )
        )
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.extend(_undecodable_lines(data))
        return None
    if not text.strip():
        problems.append(ImportProblem(reason="the file is empty"))
        return None
    return text


def _undecodable_lines(data: bytes) -> list[ImportProblem]:
    """One problem per line that is not UTF-8, naming the first bad byte of each."""
    found: list[ImportProblem] = []
    bad_lines = 0
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad_lines += 1
            if len(found) < MAX_ENCODING_PROBLEMS:
                byte = raw_line[error.start]
                found.append(
                    ImportProblem(
                        reason=(
                            f"not UTF-8 text (byte 0x{byte:02X} at column {error.start + 1}); "
                            "save the file as UTF-8"
                        ),
                        line=number,
                    )
                )
    if bad_lines > len(found):
        found.append(
            ImportProblem(reason=f"{bad_lines - len(found)} more lines are not UTF-8 text either")
        )
    return found


def check_columns(
    found: Sequence[str],
    required: Iterable[str],
    known: Iterable[str],
    problems: list[ImportProblem],
    describe_format: str,
) -> None:
    """Report header cells that are not known columns and required columns that are absent."""
    known_set = set(known)
    present = set(found)
    for name in found:
        if name and name not in known_set:
            problems.append(
                ImportProblem(
                    reason=f"unknown column {name!r}; {describe_format} has the columns "
                    + ", ".join(sorted(known_set)),
                    line=1,
                    field=name,
                )
            )
    for name in required:
        if name not in present:
            problems.append(
                ImportProblem(reason=f"required column {name!r} is missing", line=1, field=name)
            )


def require_text(value: str, spot: Spot, problems: list[ImportProblem], what: str = "") -> str:
    """Return the trimmed value, recording a problem when it is empty."""
    trimmed = value.strip()
    if not trimmed:
        problems.append(spot.problem(f"{what or spot.field or 'this field'} is empty"))
    return trimmed


def raise_if_problems(problems: list[ImportProblem]) -> None:
    """Raise `ImportFailed` with every problem, in file order, if there are any."""
    if problems:
        ordered = sorted(problems, key=lambda problem: problem.line or 0)
        raise ImportFailed(ordered)


def build_standards(
    raw_standards: Sequence[RawStandard],
    problems: list[ImportProblem],
    kind_for_depth: Callable[[int], str] | None = None,
) -> tuple[StandardDraft, ...]:
    """Check the hierarchy (duplicates, missing parents, cycles) and return it in tree order.

    Tree order is depth-first: each parent is followed by its children, siblings ordered by their
    sequence number when the file gives one, otherwise as they appear in the file.
    """
    if not raw_standards:
        problems.append(ImportProblem(reason="the file contains no standards"))
        return ()
    by_identifier = _index_identifiers(raw_standards, problems)
    _check_codes(by_identifier.values(), problems)
    _check_parents(by_identifier, problems)
    _check_cycles(by_identifier, problems)
    if problems:
        return ()
    return _in_tree_order(by_identifier, kind_for_depth)


def _index_identifiers(
    raw_standards: Sequence[RawStandard], problems: list[ImportProblem]
) -> dict[str, RawStandard]:
    """Map identifiers to standards, reporting every repeat of an identifier."""
    by_identifier: dict[str, RawStandard] = {}
    for order, standard in enumerate(raw_standards):
        standard.file_order = order
        if not standard.identifier:
            continue  # its parser already reported the empty identifier
        first = by_identifier.get(standard.identifier)
        if first is not None:
            problems.append(
                standard.at_identifier.problem(
                    f"duplicate {standard.at_identifier.field or 'identifier'} "
                    f"{standard.identifier!r} "
                    f"(first used on {first.at_identifier.describe()})"
                )
            )
            continue
        by_identifier[standard.identifier] = standard
    return by_identifier


def _check_codes(standards: Iterable[RawStandard], problems: list[ImportProblem]) -> None:
    """Report every repeat of a code; empty codes are allowed (CASE items need not have one)."""
    first_with_code: dict[str, RawStandard] = {}
    for standard in standards:
        if not standard.code:
            continue
        first = first_with_code.setdefault(standard.code, standard)
        if first is not standard:
            problems.append(
                standard.at_code.problem(
                    f"duplicate code {standard.code!r} (first used on {first.at_code.describe()})"
                )
            )


def _check_parents(by_identifier: dict[str, RawStandard], problems: list[ImportProblem]) -> None:
    """Report parents that are not in the file, and standards that are their own parent."""
    for standard in by_identifier.values():
        for parent in (standard.parent_identifier, *standard.extra_parent_identifiers):
            if parent is None:
                continue
            if parent == standard.identifier:
                problems.append(
                    standard.at_parent.problem(f"{_name(standard)} is its own parent (a cycle)")
                )
            elif parent not in by_identifier:
                problems.append(
                    standard.at_parent.problem(
                        f"parent {parent!r} of {_name(standard)} is not in the file"
                    )
                )


def _check_cycles(by_identifier: dict[str, RawStandard], problems: list[ImportProblem]) -> None:
    """Report each loop of parents once, naming every standard in it."""
    settled: set[str] = set()  # reaches the top (or a reported problem) without looping
    for start in by_identifier.values():
        trail: list[str] = []
        on_trail: set[str] = set()
        current: str | None = start.identifier
        while current is not None and current not in settled and current in by_identifier:
            if current in on_trail:
                loop = trail[trail.index(current) :]
                if by_identifier[current].parent_identifier != current:  # self-loops reported
                    first = min((by_identifier[i] for i in loop), key=lambda s: s.file_order)
                    names = " → ".join(_name(by_identifier[i]) for i in [*loop, current])
                    problems.append(first.at_parent.problem(f"parents form a cycle: {names}"))
                break
            trail.append(current)
            on_trail.add(current)
            current = by_identifier[current].parent_identifier
        settled.update(trail)


def _in_tree_order(
    by_identifier: dict[str, RawStandard], kind_for_depth: Callable[[int], str] | None
) -> tuple[StandardDraft, ...]:
    """Depth-first order with sibling positions, kinds filled in where the file had none."""
    children: dict[str | None, list[RawStandard]] = defaultdict(list)
    for standard in by_identifier.values():
        children[standard.parent_identifier].append(standard)
    for siblings in children.values():
        siblings.sort(key=_sibling_order)

    ordered: list[StandardDraft] = []
    # An explicit stack, since a file may nest deeper than Python's recursion limit.
    stack: list[tuple[RawStandard, int, int]] = [
        (standard, 1, position) for position, standard in enumerate(children[None], start=1)
    ][::-1]
    while stack:
        standard, depth, position = stack.pop()
        own_children = children.get(standard.identifier, [])
        ordered.append(_to_draft(standard, depth, position, bool(own_children), kind_for_depth))
        stack.extend(
            (child, depth + 1, child_position)
            for child_position, child in reversed(list(enumerate(own_children, start=1)))
        )
    return tuple(ordered)


def _sibling_order(standard: RawStandard) -> tuple[bool, float, int]:
    """Numbered siblings first, by number; the rest in file order."""
    has_no_sequence = standard.sequence is None
    return (has_no_sequence, standard.sequence or 0.0, standard.file_order)


def _to_draft(
    standard: RawStandard,
    depth: int,
    position: int,
    has_children: bool,
    kind_for_depth: Callable[[int], str] | None,
) -> StandardDraft:
    """Freeze a checked standard, deciding its kind if the file did not say."""
    kind = standard.kind or (kind_for_depth(depth) if kind_for_depth else "")
    if not kind:
        kind = GROUP_KIND if has_children else STANDARD_KIND
    return StandardDraft(
        identifier=standard.identifier,
        code=standard.code,
        parent_identifier=standard.parent_identifier,
        kind=kind,
        label=standard.label,
        statement=standard.statement,
        grade_levels=standard.grade_levels,
        subject=standard.subject,
        position=position,
        extra_parent_identifiers=standard.extra_parent_identifiers,
        scale=standard.scale,
        calculation_method=standard.calculation_method,
        calculation_int=standard.calculation_int,
    )


def _name(standard: RawStandard) -> str:
    """How a message names a standard: its code when it has one."""
    return repr(standard.code or standard.identifier)


def drop_label_repeating_code(label: str, code: str) -> str:
    """LMS exports often repeat the code as the short name; such a label says nothing new."""
    return "" if label == code else label
