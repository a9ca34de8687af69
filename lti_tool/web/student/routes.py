"""Pages of the student area: overview, one standard, printable summary, student picker and "view as student".

Every page checks the caller (token) against the student asked for: learners see only themselves, mentors
only their mentees, teachers and admins only learners of their own course; anyone else gets 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template, request
from flask_babel import gettext
from sqlalchemy import select

from lti_tool.services import student_views
from lti_tool.services.errors import ServiceError
from lti_tool.services.student_access import STAFF_ROLES, student_for, visible_students
from lti_tool.storage.models import Enrollment, Person

from ..auth import require_role
from ..runtime import db
from . import bp
from .chart import build_chart
from .context import (
    AREA_ROLES,
    help_at_home,
    set_visit_since,
    since_from_request,
    viewer,
)
from .explanations import render_sentences


@bp.get("/")
@require_role(*AREA_ROLES)
def home() -> str:
    """A learner's own overview; a mentor's only mentee's overview; otherwise a student picker."""
    me = viewer()
    students = visible_students(db(), me)
    if me.role == "student":
        if not students:
            abort(404)
        return _render_overview(students[0])
    if me.role == "mentor" and len(students) == 1:
        return _render_overview(students[0])
    return render_template("student/picker.html", students=students, viewer=me)


@bp.get("/students/<int:person_id>/")
@require_role(*AREA_ROLES)
def overview(person_id: int) -> str:
    """One student's overview of every standard."""
    return _render_overview(student_for(db(), viewer(), person_id))


@bp.get("/view-as/<int:person_id>")
@require_role(*STAFF_ROLES)
def view_as(person_id: int) -> str:
    """Teachers and admins: exactly what this student sees."""
    return _render_overview(student_for(db(), viewer(), person_id))


@bp.get("/students/<int:person_id>/standards/<int:standard_id>")
@require_role(*AREA_ROLES)
def standard(person_id: int, standard_id: int) -> str:
    """One standard: full statement, evidence chart and table, the explanation, and "what if"."""
    student = student_for(db(), viewer(), person_id)
    _, since = since_from_request()
    detail = student_views.standard_detail(db(), viewer().course_id, student, standard_id, since)
    choice = request.args.get("what_if", "")
    hypothetical = _what_if(student, standard_id, choice) if choice else None
    return render_template(
        "student/standard.html", student=student, detail=detail, students=_picker(),
        chart=build_chart(detail.levels, detail.evidence, detail.summary.score),
        explanation=render_sentences(detail.sentences), hypothetical=hypothetical,
        hypothetical_text=render_sentences(hypothetical.sentences) if hypothetical else [],
        help_line=help_at_home(detail.summary, student) if _is_mentor() else "",
        staff_view=viewer().role in STAFF_ROLES,
    )


@bp.get("/students/<int:person_id>/summary")
@require_role(*AREA_ROLES)
def summary(person_id: int) -> str:
    """A printable summary of every standard with its explanation, for family conferences."""
    student = student_for(db(), viewer(), person_id)
    data = student_views.overview(db(), viewer().course_id, student, None)
    details = [student_views.standard_detail(db(), viewer().course_id, student, item.standard_id)
               for item in data.standards if item.level is not None or item.evidence_count]
    return render_template(
        "student/summary.html", student=student, overview=data,
        details=[(detail, render_sentences(detail.sentences)) for detail in details],
        grade_text=render_sentences(data.grade.sentences) if data.grade else [],
        printed_on=datetime.now(UTC).date(),
        helps={item.standard_id: help_at_home(item, student) for item in data.standards} if _is_mentor() else {},
    )


def _render_overview(student: Person) -> str:
    since = _visit_since(student)
    data = student_views.overview(db(), viewer().course_id, student, since)
    helps = {item.standard_id: help_at_home(item, student) for item in data.standards} if _is_mentor() else {}
    return render_template(
        "student/overview.html", overview=data, student=student, students=_picker(), helps=helps,
        grade_text=render_sentences(data.grade.sentences) if data.grade else [],
        staff_view=viewer().role in STAFF_ROLES, own=viewer().role == "student",
    )


def _picker() -> list[Person]:
    """The students this viewer may switch between (mentors and staff; a learner has no picker)."""
    me = viewer()
    return visible_students(db(), me) if me.role != "student" else []


def _is_mentor() -> bool:
    return viewer().role == "mentor"


def _visit_since(student: Person) -> datetime | None:
    """The previous visit: from this visit's links, else from the enrollment, which then moves to now."""
    known, since = since_from_request()
    if known:
        return since
    me = viewer()
    # "View as student" shows the student's own marks and never counts as the student's visit.
    enrollment = _enrollment(student.id if me.role in STAFF_ROLES else me.person_id)
    previous = enrollment.last_seen_at if enrollment else None
    if enrollment is not None and me.role not in STAFF_ROLES:
        enrollment.last_seen_at = datetime.now(UTC)
    set_visit_since(previous)
    return previous


def _enrollment(person_id: int) -> Enrollment | None:
    return db().scalar(select(Enrollment).where(Enrollment.course_id == viewer().course_id,
                                                Enrollment.person_id == person_id))


def _what_if(student: Person, standard_id: int, choice: str) -> student_views.WhatIf:
    try:
        points = float(choice)
    except ValueError:
        raise ServiceError(gettext("Choose one of the levels.")) from None
    return student_views.what_if(db(), viewer().course_id, student, standard_id, points,
                                 gettext("Your next score (what if)"))
