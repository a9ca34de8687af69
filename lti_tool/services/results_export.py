"""Results out of the tool for report cards: every student's level per standard and overall grade.

Formats: `csv` (one row per student and standard, overall grades as rows with an empty standard), `json`
(the same rows), and `oneroster` (OneRoster 1.2 gradebook bulk CSV files: manifest, categories, lineItems,
results; one line item per course and standard, plus one per course for the overall grade).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import (
    Course,
    District,
    Enrollment,
    MasteryResultRecord,
    OverallGradeRecord,
    Person,
    Platform,
    Standard,
)

from .errors import NotFound, ServiceError

FORMATS = ("csv", "json", "oneroster")
LEARNER_ROLE = "student"
OVERALL = "overall"


@dataclass(frozen=True)
class ResultRow:
    """One student's result on one standard (or, with `standard_identifier` empty, their overall grade)."""

    district: str
    platform: str
    course_id: str
    course_title: str
    student_id: str
    student_name: str
    student_email: str
    standard_identifier: str
    standard_code: str
    standard_label: str
    level: str
    points: float | None
    score: float | None
    mastered: bool | None
    evidence_count: int | None
    overridden: bool
    changed_at: str
    scale_maximum: float | None = None


def _courses(session: Session, district: District, lms_course_id: str | None) -> list[tuple[Course, str]]:
    query = (select(Course, Platform.name).join(Platform, Platform.id == Course.platform_id)
             .where(Platform.district_id == district.id).order_by(Course.id))
    if lms_course_id:
        query = query.where((Course.lms_course_id == lms_course_id) | (Course.context_id == lms_course_id))
    found = [(course, name) for course, name in session.execute(query).all()]
    if lms_course_id and not found:
        raise NotFound(f"No course {lms_course_id!r} in district {district.name!r}.")
    return found


def _iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def result_rows(session: Session, district_name: str, lms_course_id: str | None = None,
                course_ids: Iterable[int] | None = None) -> list[ResultRow]:
    """Rows for a district, one course (LMS course id) or given course ids, ordered by course, student, standard."""
    district = session.scalar(select(District).where(District.name == district_name))
    if district is None:
        raise NotFound(f"No district {district_name!r}.")
    courses = _courses(session, district, lms_course_id)
    if course_ids is not None:
        wanted = set(course_ids)
        courses = [(course, name) for course, name in courses if course.id in wanted]
    rows: list[ResultRow] = []
    for course, platform_name in courses:
        learners = select(Enrollment.person_id).where(Enrollment.course_id == course.id,
                                                      Enrollment.role == LEARNER_ROLE)
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(learners)))}
        course_key = course.lms_course_id or course.context_id
        maximum = _scale_maximum(session, course.id)

        def student(person: Person) -> tuple[str, str, str]:
            return person.lms_user_id or person.sub, person.name, person.email

        for result, standard in session.execute(
                select(MasteryResultRecord, Standard).join(Standard, Standard.id == MasteryResultRecord.standard_id)
                .where(MasteryResultRecord.course_id == course.id, MasteryResultRecord.person_id.in_(list(people)))
                .order_by(MasteryResultRecord.person_id, Standard.position, Standard.id)).all():
            rows.append(ResultRow(district.name, platform_name, course_key, course.title,
                                  *student(people[result.person_id]), standard.identifier, standard.code,
                                  standard.label, result.level_label or "", result.level_points, result.score,
                                  result.mastered, result.evidence_count, result.overridden,
                                  _iso(result.changed_at), maximum))
        for grade in session.scalars(select(OverallGradeRecord).where(
                OverallGradeRecord.course_id == course.id, OverallGradeRecord.person_id.in_(list(people)))
                .order_by(OverallGradeRecord.person_id)):
            rows.append(ResultRow(district.name, platform_name, course_key, course.title,
                                  *student(people[grade.person_id]), "", "", "Overall grade", grade.letter or "",
                                  None, grade.average, None, None, False, _iso(grade.changed_at), maximum))
    return rows


def _scale_maximum(session: Session, course_id: int) -> float | None:
    from .sync import scale_maximum

    try:
        return scale_maximum(session, course_id)
    except ServiceError:  # a course without a usable policy still exports its stored levels
        return None


def to_csv(rows: list[ResultRow]) -> str:
    """Rows as CSV with a header (UTF-8 text)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ResultRow.__dataclass_fields__), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buffer.getvalue()


def to_json(rows: list[ResultRow]) -> str:
    """Rows as a JSON document `{"results": [...]}`."""
    return json.dumps({"results": [asdict(row) for row in rows]}, indent=2, ensure_ascii=False)


def _sourced_id(*parts: str) -> str:
    return "sbg-" + "-".join(part.replace(",", "_").replace(" ", "_") for part in parts if part)


def to_oneroster(rows: list[ResultRow]) -> dict[str, str]:
    """OneRoster 1.2 bulk gradebook CSV files by name: manifest.csv, categories.csv, lineItems.csv, results.csv."""
    def table(header: list[str], records: Iterable[list[object]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(records)
        return buffer.getvalue()

    categories = [["sbg-standards", "", "", "Standards mastery", ""],
                  ["sbg-overall", "", "", "Overall mastery grade", ""]]
    line_items: dict[str, list[object]] = {}
    results: list[list[object]] = []
    for row in rows:
        is_overall = not row.standard_identifier
        item_id = _sourced_id(row.course_id, OVERALL if is_overall else row.standard_identifier)
        if item_id not in line_items:
            title = "Overall mastery grade" if is_overall else f"{row.standard_code or row.standard_label} mastery"
            line_items[item_id] = [item_id, "", "", title, row.standard_label, "", "", row.course_id,
                                   "sbg-overall" if is_overall else "sbg-standards", "", "0",
                                   f"{row.scale_maximum:g}" if row.scale_maximum else "", ""]
        score = row.score if is_overall else row.points
        results.append([_sourced_id(item_id, row.student_id), "", "", item_id, row.student_id,
                        "fully graded" if score is not None else "not submitted",
                        "" if score is None else f"{score:g}", row.level, row.changed_at[:10],
                        f"{row.evidence_count} evidence" if row.evidence_count is not None else ""])
    manifest = table(["propertyName", "value"], [
        ["manifest.version", "1.0"], ["oneroster.version", "1.2"],
        ["file.academicSessions", "absent"], ["file.categories", "bulk"], ["file.classes", "absent"],
        ["file.classResources", "absent"], ["file.courses", "absent"], ["file.courseResources", "absent"],
        ["file.demographics", "absent"], ["file.enrollments", "absent"], ["file.lineItemLearningObjectiveIds", "absent"],
        ["file.lineItems", "bulk"], ["file.lineItemScoreScales", "absent"], ["file.orgs", "absent"],
        ["file.resources", "absent"], ["file.resultLearningObjectiveIds", "absent"], ["file.results", "bulk"],
        ["file.resultScoreScales", "absent"], ["file.roles", "absent"], ["file.scoreScales", "absent"],
        ["file.userProfiles", "absent"], ["file.userResources", "absent"], ["file.users", "absent"],
        ["source.systemName", "sbg"], ["source.systemCode", "sbg"],
    ])
    return {
        "manifest.csv": manifest,
        "categories.csv": table(["sourcedId", "status", "dateLastModified", "title", "weight"], categories),
        "lineItems.csv": table(["sourcedId", "status", "dateLastModified", "title", "description", "assignDate",
                                "dueDate", "classSourcedId", "categorySourcedId", "gradingPeriodSourcedId",
                                "resultValueMin", "resultValueMax", "schoolSourcedId"], line_items.values()),
        "results.csv": table(["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
                              "scoreStatus", "score", "textScore", "scoreDate", "comment"], results),
    }


def export(session: Session, district_name: str, fmt: str, lms_course_id: str | None = None,
           course_ids: Iterable[int] | None = None) -> dict[str, str]:
    """The export in `fmt` as files by name (one file for csv/json, four for oneroster)."""
    if fmt not in FORMATS:
        raise ServiceError(f"Unknown format {fmt!r}; use {', '.join(FORMATS)}.")
    rows = result_rows(session, district_name, lms_course_id, course_ids)
    if fmt == "csv":
        return {"results.csv": to_csv(rows)}
    if fmt == "json":
        return {"results.json": to_json(rows)}
    return to_oneroster(rows)


def zip_files(files: dict[str, str]) -> bytes:
    """Several export files as one ZIP archive (how SIS imports take OneRoster bulk files)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
