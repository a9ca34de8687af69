"""The plain sbg CSV: `code,parent_code,label,statement,grade,subject`, rows in any order."""

from __future__ import annotations

import re

from lti_tool.adapters.importers.csv_rows import CsvRow, read_csv, write_csv
from lti_tool.adapters.importers.drafts import FrameworkDraft, ImportProblem
from lti_tool.adapters.importers.validation import (
    RawStandard,
    Spot,
    build_standards,
    check_columns,
    raise_if_problems,
    require_text,
)

FORMAT_NAME = "csv"
COLUMNS = ("code", "parent_code", "label", "statement", "grade", "subject")
_GRADE_SEPARATORS = re.compile(r"[;,\s]+")


def parse_csv_framework(data: bytes) -> FrameworkDraft:
    """Read a plain sbg CSV; raises `ImportFailed` listing every problem in the file."""
    problems: list[ImportProblem] = []
    table = read_csv(data, problems)
    if table is None:
        raise_if_problems(problems)
        raise AssertionError("read_csv returns None only after recording a problem")
    columns = [name.lower() for name in table.columns]
    check_columns(columns, COLUMNS, COLUMNS, problems, "the sbg CSV format")
    if problems:  # without the right columns every row would only repeat the same complaint
        raise_if_problems(problems)
    index = {name: position for position, name in enumerate(columns)}
    raw = [_read_row(row, index, problems) for row in table.rows]
    standards = build_standards(raw, problems)
    raise_if_problems(problems)
    subjects = {standard.subject for standard in standards if standard.subject}
    return FrameworkDraft(
        identifier="",
        title="",
        source_format=FORMAT_NAME,
        standards=standards,
        subject=subjects.pop() if len(subjects) == 1 else "",
    )


def _read_row(row: CsvRow, index: dict[str, int], problems: list[ImportProblem]) -> RawStandard:
    """One row as a standard; its code is also its identifier."""

    def at(column: str) -> Spot:
        return Spot(line=row.line, field=column)

    if len(row.cells) > len(COLUMNS) and any(c.strip() for c in row.cells[len(COLUMNS) :]):
        problems.append(
            ImportProblem(
                reason=f"the row has {len(row.cells)} values but the header has "
                f"{len(COLUMNS)} columns (is a comma missing its quotes?)",
                line=row.line,
            )
        )
    code = require_text(row.cell(index["code"]), at("code"), problems)
    label = row.cell(index["label"])
    statement = row.cell(index["statement"])
    if not label and not statement:
        problems.append(at("statement").problem("label and statement are both empty; give one"))
    grades = row.cell(index["grade"])
    return RawStandard(
        identifier=code,
        code=code,
        parent_identifier=row.cell(index["parent_code"]) or None,
        label=label,
        statement=statement,
        grade_levels=tuple(grade for grade in _GRADE_SEPARATORS.split(grades) if grade),
        subject=row.cell(index["subject"]),
        at_identifier=at("code"),
        at_code=at("code"),
        at_parent=at("parent_code"),
    )


def export_csv_framework(draft: FrameworkDraft) -> bytes:
    """Write a draft as a plain sbg CSV, parents before their children."""
    code_of = {standard.identifier: standard.code or standard.identifier for standard in draft.standards}
    rows: list[list[str]] = [list(COLUMNS)]
    for standard in draft.standards:
        parent = standard.parent_identifier
        rows.append(
            [
                code_of[standard.identifier],
                code_of[parent] if parent is not None else "",
                standard.label,
                standard.statement,
                ";".join(standard.grade_levels),
                standard.subject or draft.subject,
            ]
        )
    return write_csv(rows)
