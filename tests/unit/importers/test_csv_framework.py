"""The plain sbg CSV: `code,parent_code,label,statement,grade,subject`."""

from __future__ import annotations

import pytest

from lti_tool.adapters.importers import ImportFailed, parse_csv_framework
from lti_tool.adapters.importers.csv_framework import export_csv_framework
from tests.unit.importers.framework_files import CSV_HEADER, EDGE_CASES, outline


def problems_of(data: bytes) -> list[str]:
    """Every problem the parser reports, as "location: reason" lines."""
    with pytest.raises(ImportFailed) as failure:
        parse_csv_framework(data)
    return [str(problem) for problem in failure.value.problems]


def test_rows_in_any_order_come_back_parents_first_with_sibling_positions() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())

    assert [s.code for s in draft.standards] == ["8.EE", "8.EE.A", "8.EE.A.1", "8.EE.A.2", "8.EE.A.2.a"]
    assert [s.position for s in draft.standards] == [1, 1, 1, 2, 1]
    assert draft.standards[2].parent_identifier == "8.EE.A"
    assert draft.standards[0].parent_identifier is None


def test_codes_are_identifiers_and_kinds_follow_from_the_tree() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    by_code = {s.code: s for s in draft.standards}

    assert by_code["8.EE.A.1"].identifier == "8.EE.A.1"
    assert by_code["8.EE"].kind == "group"
    assert by_code["8.EE.A.1"].kind == "standard"


def test_grades_may_be_separated_by_semicolons_or_spaces() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    by_code = {s.code: s for s in draft.standards}

    assert by_code["8.EE.A.2"].grade_levels == ("7", "8")
    assert by_code["8.EE.A.2.a"].grade_levels == ("8", "HS")


def test_a_statement_with_a_quoted_newline_keeps_its_line_break() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    statement = {s.code: s for s in draft.standards}["8.EE.A.1"].statement

    assert statement.startswith("Know and apply")
    assert "\nFor example" in statement


def test_the_shared_subject_becomes_the_framework_subject() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())

    assert draft.subject == "Mathematics"
    assert draft.source_format == "csv"


def test_a_semicolon_separated_file_with_a_byte_order_mark_reads_the_same() -> None:
    plain = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    excel = parse_csv_framework((EDGE_CASES / "grade8-expressions-semicolon-bom.csv").read_bytes())

    assert excel == plain


def test_every_hierarchy_problem_is_reported_with_its_line() -> None:
    problems = problems_of((EDGE_CASES / "broken-hierarchy.csv").read_bytes())

    assert problems == [
        "line 2, parent_code: parents form a cycle: 'A' → 'C' → 'B' → 'A'",
        "line 6, parent_code: parent 'Z' of 'D' is not in the file",
        "line 7, code: duplicate code 'B' (first used on line 4)",
        "line 8, code: code is empty",
        "line 9, statement: label and statement are both empty; give one",
    ]


def test_an_unknown_column_and_a_missing_column_are_named() -> None:
    data = b"code,parent_code,label,statement,grades,subject\nA,,Alpha,,6,Math\n"

    problems = problems_of(data)

    assert problems[0].startswith("line 1, grades: unknown column 'grades'")
    assert problems[1] == "line 1, grade: required column 'grade' is missing"


def test_a_row_with_more_values_than_columns_is_reported() -> None:
    data = (CSV_HEADER + "A,,Alpha,Adds 2,3 and 4,6,Math\n").encode()

    assert problems_of(data) == [
        "line 2: the row has 7 values but the header has 6 columns (is a comma missing its quotes?)"
    ]


def test_an_empty_file_and_a_header_only_file_are_reported() -> None:
    assert problems_of(b"") == ["file: the file is empty"]
    assert problems_of(b"\xef\xbb\xbf \r\n") == ["file: the file is empty"]
    assert problems_of(CSV_HEADER.encode()) == ["line 1: the file has a header row but no standards"]


def test_a_latin1_file_is_reported_line_by_line() -> None:
    problems = problems_of((EDGE_CASES / "latin1.csv").read_bytes())

    assert problems == [
        "line 2: not UTF-8 text (byte 0xE7 at column 35); save the file as UTF-8",
        "line 3: not UTF-8 text (byte 0xC9 at column 7); save the file as UTF-8",
    ]


def test_a_utf16_file_is_named_as_such() -> None:
    data = (CSV_HEADER + "A,,Alpha,,6,Math\n").encode("utf-16")

    assert problems_of(data) == [
        'line 1: the file is UTF-16 text; save it as UTF-8 ("CSV UTF-8" in Excel)'
    ]


def test_an_unclosed_quote_is_reported_where_the_record_starts() -> None:
    data = (CSV_HEADER + "A,,Alpha,Fine,6,Math\n" + 'B,,Beta,"never closed,6,Math\n').encode()

    problems = problems_of(data)

    assert len(problems) == 1
    assert problems[0].startswith("line 3: the CSV cannot be read from here on")


def test_export_writes_parents_before_children_and_reads_back_the_same() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())

    exported = export_csv_framework(draft)

    assert exported.decode().splitlines()[:2] == [
        "code,parent_code,label,statement,grade,subject",
        "8.EE,,Expressions and Equations,,8,Mathematics",
    ]
    assert parse_csv_framework(exported) == draft
    assert outline(parse_csv_framework(exported)) == outline(draft)
