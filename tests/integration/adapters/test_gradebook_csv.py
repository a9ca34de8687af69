"""Tests for reading Canvas gradebook and Moodle grader report CSV exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from lti_tool.adapters.importers.gradebook_csv import (
    GradebookFormatError,
    detect_format,
    parse_canvas_gradebook,
    parse_gradebook_csv,
    parse_moodle_grader_report,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "gradebooks"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_the_format_is_detected_from_the_header_row() -> None:
    assert detect_format(read("canvas_gradebook_export.csv")) == "canvas"
    assert detect_format(read("moodle_grader_report_export.csv")) == "moodle"
    with pytest.raises(GradebookFormatError, match="does not look like"):
        detect_format("name,score\nAnne,3\n")


def test_canvas_assignment_columns_keep_their_ids_titles_and_points_possible() -> None:
    result = parse_gradebook_csv(read("canvas_gradebook_export.csv"))
    assert result.ok and result.source == "canvas_csv" and result.assignment_key == "lms_id"
    assert [(a.lms_id, a.title, a.points_possible) for a in result.assignments] == [
        ("1201", "Ratios warm-up (6.RP.A.1)", 10.0),
        ("1202", "Unit rates quiz", 20.0),
        ("1203", "Proportions project", 50.0),
        ("1204", "Reading log", None),  # no points possible: a missing maximum, left to the policy
    ]


def test_canvas_scores_excused_ungraded_and_unassigned_cells_are_told_apart() -> None:
    result = parse_canvas_gradebook(read("canvas_gradebook_export.csv"))
    cells = {(s.student_lms_id, s.assignment_lms_id): s for s in result.submissions}
    assert cells[("5001", "1201")].score == 8.5 and cells[("5001", "1201")].max_score == 10.0
    assert cells[("5001", "1203")].excused and cells[("5001", "1203")].score is None
    assert cells[("5002", "1202")].score is None and cells[("5002", "1202")].workflow_state == "unsubmitted"
    assert cells[("5002", "1201")].score == 12.0  # extra credit is kept, not clipped
    assert ("5003", "1202") not in cells  # N/A: not assigned to this student
    assert cells[("5002", "1204")].score == 3.0 and cells[("5002", "1204")].max_score is None


def test_canvas_students_keep_sis_and_login_ids_and_total_columns_are_ignored() -> None:
    result = parse_canvas_gradebook(read("canvas_gradebook_export.csv"))
    anne = result.students[0]
    assert (anne.lms_id, anne.name, anne.sis_id, anne.login_id) == ("5001", "Able, Anne", "S1001", "anne.able")
    assert [s.lms_id for s in result.students] == ["5001", "5002", "5003", "5099"]
    assert {s.assignment_lms_id for s in result.submissions} == {"1201", "1202", "1203", "1204"}


def test_a_canvas_file_with_problems_imports_nothing_and_names_each_line() -> None:
    result = parse_canvas_gradebook(read("canvas_gradebook_with_errors.csv"))
    assert not result.ok and result.submissions == () and result.students == ()
    assert [(p.line, p.message.split(",")[0]) for p in result.problems] == [
        (3, "'Unit rates quiz' holds 'A-'"),
        (4, "The student ID 'abc' is not a Canvas user id."),
    ]


def test_a_canvas_export_without_the_points_possible_row_is_refused() -> None:
    result = parse_canvas_gradebook("Student,ID,SIS Login ID,Section,Quiz (12)\n\"Able, Anne\",1,a,P1,3\n")
    assert [p.line for p in result.problems] == [2] and "Points Possible" in result.problems[0].message


def test_a_semicolon_canvas_export_with_decimal_commas_is_read() -> None:
    text = ("Student;ID;SIS Login ID;Section;Quiz (12);Current Score\n"
            "    Points Possible;;;;12,50;(read only)\n"
            "\"Able, Anne\";1;a;P1;7,25;58,00\n")
    result = parse_canvas_gradebook(text.encode("utf-8-sig"))
    assert result.ok
    assert result.assignments[0].points_possible == 12.5 and result.submissions[0].score == 7.25


def test_moodle_grade_columns_become_items_keyed_by_title_and_students_by_email() -> None:
    result = parse_gradebook_csv(read("moodle_grader_report_export.csv"))
    assert result.ok and result.student_key == "email" and result.assignment_key == "title"
    assert [(a.lms_id, a.points_possible) for a in result.assignments] == [
        ("Assignment: Ratio tables (6.RP.A.3)", None),  # the Real export carries no maximum
        ("Quiz: Unit rates quiz", None),
        ("Participation", None),
    ]
    assert [s.lms_id for s in result.students] == ["s1@school.example", "s2@school.example", "s3@school.example"]


def test_moodle_dashes_are_ungraded_and_real_scores_win_over_percentages() -> None:
    result = parse_moodle_grader_report(read("moodle_grader_report_export.csv"))
    cells = {(s.student_lms_id, s.assignment_lms_id): s for s in result.submissions}
    assert cells[("s1@school.example", "Quiz: Unit rates quiz")].score == 8.0
    bobby_quiz = cells[("s2@school.example", "Quiz: Unit rates quiz")]
    assert bobby_quiz.score is None and bobby_quiz.workflow_state == "unsubmitted"
    assert cells[("s3@school.example", "Assignment: Ratio tables (6.RP.A.3)")].score == 17.5
    assert len(result.submissions) == 9  # totals, feedback and the download date are not evidence


def test_a_moodle_percentage_only_column_is_out_of_100() -> None:
    text = '"First name","Last name","Email address","Quiz: Check-in (Percentage)"\nAnne,Able,a@x.example,"72.50 %"\n'
    result = parse_moodle_grader_report(text)
    assert result.ok
    assert (result.submissions[0].score, result.submissions[0].max_score) == (72.5, 100.0)


def test_a_moodle_file_with_problems_imports_nothing_and_names_each_line() -> None:
    result = parse_moodle_grader_report(read("moodle_grader_report_with_errors.csv"))
    assert not result.ok and result.submissions == ()
    assert [p.line for p in result.problems] == [1, 2, 3]
    assert "letters only" in result.problems[0].message
    assert "'twelve'" in result.problems[1].message
    assert "email address" in result.problems[2].message


def test_line_numbers_count_physical_lines_across_quoted_line_breaks() -> None:
    text = ('Student,ID,SIS Login ID,Section,Quiz (12)\n    Points Possible,,,,5\n'
            '"Able,\nAnne",1,a,P1,3\n"Bunce, Bobby",x,b,P1,4\n')
    result = parse_canvas_gradebook(text)
    assert [p.line for p in result.problems] == [5]
