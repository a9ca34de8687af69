"""Read the gradebook exports teachers already know: Canvas's gradebook CSV and Moodle's grader report CSV.

All or nothing: a file with any problem yields no records, only line-numbered problems to show in the preview.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from lti_tool.adapters.lms_records import LmsAssignment, LmsSource, LmsStudent, LmsSubmission

# Canvas names assignment columns "Title (assignment_id)".
CANVAS_ASSIGNMENT_HEADER = re.compile(r"^(?P<title>.*\S)\s+\((?P<id>\d+)\)$")
CANVAS_IDENTITY_COLUMNS = ("Student", "ID")
CANVAS_POINTS_ROW = "Points Possible"
CANVAS_READ_ONLY = "(read only)"
CANVAS_EXCUSED = "EX"
CANVAS_NOT_ASSIGNED = "N/A"

# Moodle names grade columns "Module: Title (Real)"; the display type is Real, Percentage or Letter.
MOODLE_GRADE_HEADER = re.compile(r"^(?P<name>.+?)\s+\((?P<kind>Real|Percentage|Letter|Feedback)\)$")
MOODLE_MODULE_PREFIX = re.compile(r"^[^:]{1,40}:\s")
MOODLE_IDENTITY_COLUMNS = ("First name", "Email address")
MOODLE_PROFILE_COLUMNS = frozenset({
    "First name", "Last name", "Surname", "ID number", "Institution", "Department", "Email address",
    "Username", "Phone", "Mobile phone", "City", "Country", "Last downloaded from this course",
})
MOODLE_NO_GRADE = "-"

StudentKey = Literal["lms_id", "email"]
AssignmentKey = Literal["lms_id", "title"]


@dataclass(frozen=True)
class CsvProblem:
    """Something wrong on one line of the file, worded for the teacher."""

    line: int
    message: str


@dataclass(frozen=True)
class GradebookImport:
    """Parsed records, or the problems that stopped the import (never both)."""

    source: LmsSource
    student_key: StudentKey
    assignment_key: AssignmentKey
    students: tuple[LmsStudent, ...] = ()
    assignments: tuple[LmsAssignment, ...] = ()
    submissions: tuple[LmsSubmission, ...] = ()
    problems: tuple[CsvProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.problems


class GradebookFormatError(ValueError):
    """The file is neither a Canvas gradebook export nor a Moodle grader report export."""


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    for encoding in ("utf-8-sig", "cp1252"):  # Excel re-saves exports as cp1252 on Windows
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for each row, with the delimiter sniffed from the header."""
    first_line = text.split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _number(raw: str, *, decimal_comma: bool) -> float | None:
    value = raw.strip().removesuffix("%").strip()
    if decimal_comma:
        value = value.replace(".", "").replace(",", ".")
    try:
        return float(value)
    except ValueError:
        return None


def detect_format(data: bytes | str) -> Literal["canvas", "moodle"]:
    """Which LMS exported this file, from its header row."""
    text = _decode(data)
    header = next((cells for _, cells in _rows(text)), [])
    names = [cell.strip() for cell in header]
    if "ID" in names and ("Student" in names or "LastName" in names) and "Section" in names:
        return "canvas"
    if "Email address" in names or ("First name" in names and any(MOODLE_GRADE_HEADER.match(n) for n in names)):
        return "moodle"
    raise GradebookFormatError("This file does not look like a Canvas gradebook export or a Moodle grader report "
                               "export (its first row has neither Student, ID and Section nor Email address).")


def parse_gradebook_csv(data: bytes | str) -> GradebookImport:
    """Parse either export, detecting which LMS made it."""
    return parse_canvas_gradebook(data) if detect_format(data) == "canvas" else parse_moodle_grader_report(data)


# ---------------------------------------------------------------------------
# Canvas
# ---------------------------------------------------------------------------


def parse_canvas_gradebook(data: bytes | str) -> GradebookImport:
    """Canvas gradebook export: identity columns, `Title (id)` columns, a Points Possible row, totals ignored."""
    text = _decode(data)
    rows = list(_rows(text))
    empty = GradebookImport(source="canvas_csv", student_key="lms_id", assignment_key="lms_id")
    if not rows:
        return _failed(empty, [CsvProblem(1, "The file is empty.")])
    _, header = rows[0]
    names = [cell.strip() for cell in header]
    decimal_comma = ";" in text.split("\n", 1)[0]  # Canvas uses ';' where the decimal mark is ','
    problems: list[CsvProblem] = []
    if "ID" not in names:
        return _failed(empty, [CsvProblem(1, "The header has no ID column; export the gradebook from Canvas again.")])
    id_col = names.index("ID")
    name_col = names.index("Student") if "Student" in names else 0
    sis_col = names.index("SIS User ID") if "SIS User ID" in names else None
    login_col = names.index("SIS Login ID") if "SIS Login ID" in names else None

    points_line, points = next(((line, cells) for line, cells in rows[1:4]
                                if cells and cells[0].strip() == CANVAS_POINTS_ROW), (0, []))
    if not points:
        return _failed(empty, [CsvProblem(2, "The 'Points Possible' row under the header is missing.")])

    columns: list[tuple[int, str, str]] = []  # (index, assignment id, title)
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        match = CANVAS_ASSIGNMENT_HEADER.match(name)
        possible = points[index].strip() if index < len(points) else ""
        # Total columns are read-only in the Points Possible row; custom columns have no "(id)".
        if not match or possible == CANVAS_READ_ONLY:
            continue
        if match["id"] in seen:
            problems.append(CsvProblem(1, f"Assignment id {match['id']} appears in two columns."))
        seen[match["id"]] = index
        columns.append((index, match["id"], match["title"]))
    if not columns:
        problems.append(CsvProblem(1, "No assignment columns like 'Quiz 1 (12345)' were found."))

    assignments = []
    for index, assignment_id, title in columns:
        raw_max = points[index].strip() if index < len(points) else ""
        maximum = _number(raw_max, decimal_comma=decimal_comma) if raw_max else None
        if raw_max and maximum is None:
            problems.append(CsvProblem(points_line, f"Points possible for '{title}' is not a number: {raw_max!r}."))
        assignments.append(LmsAssignment(source="canvas_csv", lms_id=assignment_id, title=title,
                                         points_possible=maximum))
    max_by_id = {a.lms_id: a.points_possible for a in assignments}

    students: list[LmsStudent] = []
    submissions: list[LmsSubmission] = []
    for line, cells in rows[1:]:
        if line == points_line or not any(cell.strip() for cell in cells):
            continue
        if len(cells) > id_col and not cells[id_col].strip() and not cells[name_col].strip():
            continue  # Canvas's "Manual Posting" row above Points Possible
        if len(cells) < len(names):
            problems.append(CsvProblem(line, f"This row has {len(cells)} cells but the header has {len(names)}."))
            continue
        student_id = cells[id_col].strip()
        if not student_id.isdigit():
            problems.append(CsvProblem(line, f"The student ID {student_id!r} is not a Canvas user id."))
            continue
        students.append(LmsStudent(lms_id=student_id, name=cells[name_col].strip().lstrip("'"),
                                   sis_id=(cells[sis_col].strip() or None) if sis_col is not None else None,
                                   login_id=(cells[login_col].strip() or None) if login_col is not None else None))
        for index, assignment_id, title in columns:
            raw = cells[index].strip()
            if raw == CANVAS_NOT_ASSIGNED:
                continue  # not assigned to this student
            submission = LmsSubmission(source="canvas_csv", student_lms_id=student_id,
                                       assignment_lms_id=assignment_id, score=None,
                                       max_score=max_by_id[assignment_id])
            if raw == CANVAS_EXCUSED:
                submissions.append(replace(submission, excused=True, workflow_state="graded"))
            elif raw == "":
                submissions.append(submission)
            else:
                score = _number(raw, decimal_comma=decimal_comma)
                if score is None:
                    problems.append(CsvProblem(line, f"'{title}' holds {raw!r}, which is not a score; export "
                                                     "scores as points (letter and GPA grades cannot be read)."))
                    continue
                submissions.append(replace(submission, score=score, workflow_state="graded"))
    if not students and not problems:
        problems.append(CsvProblem(points_line + 1, "The file has no student rows."))
    if problems:
        return _failed(empty, problems)
    return GradebookImport(source="canvas_csv", student_key="lms_id", assignment_key="lms_id",
                           students=tuple(students), assignments=tuple(assignments), submissions=tuple(submissions))


# ---------------------------------------------------------------------------
# Moodle
# ---------------------------------------------------------------------------


def _moodle_column(name: str) -> tuple[str, str] | None:
    """(item title, display kind) for a grade column, or None for profile, feedback and total columns."""
    if name in MOODLE_PROFILE_COLUMNS or name.startswith("Feedback:"):
        return None
    match = MOODLE_GRADE_HEADER.match(name)
    title, kind = (match["name"], match["kind"]) if match else (name, "Real")
    if not match and not MOODLE_MODULE_PREFIX.match(name):
        return None  # an extra profile field
    if kind == "Feedback" or title == "Course total" or title.endswith(" total"):
        return None
    return title, kind


def parse_moodle_grader_report(data: bytes | str) -> GradebookImport:
    """Moodle grader report export: profile columns, `Module: Title (Real)` grade columns, totals ignored.

    The export has no Moodle ids and no maxima: students are keyed by email address, items by title, and
    Real scores arrive without a maximum (Percentage scores are out of 100).
    """
    text = _decode(data)
    rows = list(_rows(text))
    empty = GradebookImport(source="moodle_csv", student_key="email", assignment_key="title")
    if not rows:
        return _failed(empty, [CsvProblem(1, "The file is empty.")])
    names = [cell.strip() for cell in rows[0][1]]
    if "Email address" not in names:
        return _failed(empty, [CsvProblem(1, "The export has no 'Email address' column; include it in the "
                                             "export's user fields.")])
    email_col = names.index("Email address")
    first_col = names.index("First name") if "First name" in names else None
    last_col = next((names.index(n) for n in ("Last name", "Surname") if n in names), None)
    id_number_col = names.index("ID number") if "ID number" in names else None
    decimal_comma = ";" in text.split("\n", 1)[0]

    problems: list[CsvProblem] = []
    graded: dict[str, tuple[int, str]] = {}  # title -> (column, kind); Real beats Percentage beats Letter
    preference = {"Real": 0, "Percentage": 1, "Letter": 2}
    for index, name in enumerate(names):
        column = _moodle_column(name)
        if column is None:
            continue
        title, kind = column
        if title not in graded or preference[kind] < preference[graded[title][1]]:
            graded[title] = (index, kind)
    letters_only = [title for title, (_, kind) in graded.items() if kind == "Letter"]
    for title in letters_only:
        problems.append(CsvProblem(1, f"'{title}' is exported as letters only; export it as Real or Percentage."))
    if not graded:
        problems.append(CsvProblem(1, "No grade columns like 'Assignment: Essay (Real)' were found."))

    assignments = tuple(LmsAssignment(source="moodle_csv", lms_id=title, title=title,
                                      points_possible=100.0 if kind == "Percentage" else None)
                        for title, (_, kind) in graded.items() if kind != "Letter")
    students: list[LmsStudent] = []
    submissions: list[LmsSubmission] = []
    seen_emails: set[str] = set()
    for line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(names):
            problems.append(CsvProblem(line, f"This row has {len(cells)} cells but the header has {len(names)}."))
            continue
        email = cells[email_col].strip().lower()
        if "@" not in email:
            problems.append(CsvProblem(line, f"The email address {cells[email_col].strip()!r} is not valid."))
            continue
        if email in seen_emails:
            problems.append(CsvProblem(line, f"{email} appears twice."))
            continue
        seen_emails.add(email)
        name = " ".join(cells[c].strip() for c in (first_col, last_col) if c is not None)
        students.append(LmsStudent(lms_id=email, name=name, email=email,
                                   sis_id=(cells[id_number_col].strip() or None) if id_number_col is not None
                                   else None))
        for title, (index, kind) in graded.items():
            if kind == "Letter":
                continue
            raw = cells[index].strip()
            maximum = 100.0 if kind == "Percentage" else None
            if raw in ("", MOODLE_NO_GRADE):
                submissions.append(LmsSubmission(source="moodle_csv", student_lms_id=email,
                                                 assignment_lms_id=title, score=None, max_score=maximum))
                continue
            score = _number(raw, decimal_comma=decimal_comma)
            if score is None:
                problems.append(CsvProblem(line, f"'{title}' holds {raw!r}, which is not a number."))
                continue
            submissions.append(LmsSubmission(source="moodle_csv", student_lms_id=email, assignment_lms_id=title,
                                             score=score, max_score=maximum, workflow_state="graded"))
    if not students and not problems:
        problems.append(CsvProblem(2, "The file has no student rows."))
    if problems:
        return _failed(empty, problems)
    return GradebookImport(source="moodle_csv", student_key="email", assignment_key="title",
                           students=tuple(students), assignments=assignments, submissions=tuple(submissions))


def _failed(empty: GradebookImport, problems: list[CsvProblem]) -> GradebookImport:
    return GradebookImport(source=empty.source, student_key=empty.student_key, assignment_key=empty.assignment_key,
                           problems=tuple(sorted(problems, key=lambda p: p.line)))
