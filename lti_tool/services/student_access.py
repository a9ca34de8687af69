"""Whose results a caller may see in the student area: a learner only themself, a mentor only their mentees,
teachers and admins any learner of their own course. Anything else is reported as not found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import Course, Enrollment, Person, Platform

from .errors import NotFound
from .grading import LEARNER_ROLE

#: Area roles that may look at any learner of their course ("view as student").
STAFF_ROLES = ("teacher", "admin")


@dataclass(frozen=True)
class Viewer:
    """The caller of a student-area page: who, in which course and district, with which area role."""

    person_id: int
    course_id: int
    district_id: int
    role: str


def visible_students(session: Session, viewer: Viewer) -> list[Person]:
    """The learners this viewer may see, by name: themself, their mentees, or (staff) the whole course."""
    _check_course(session, viewer)
    query = (select(Person).join(Enrollment, Enrollment.person_id == Person.id)
             .where(Enrollment.course_id == viewer.course_id, Enrollment.role == LEARNER_ROLE,
                    Enrollment.active.is_(True)))
    if viewer.role == LEARNER_ROLE:
        query = query.where(Person.id == viewer.person_id)
    elif viewer.role == "mentor":
        mentees = _mentee_subs(session, viewer)
        if not mentees:
            return []
        viewer_platform = session.scalar(select(Person.platform_id).where(Person.id == viewer.person_id))
        query = query.where(Person.sub.in_(mentees), Person.platform_id == viewer_platform)
    elif viewer.role not in STAFF_ROLES:
        return []
    return list(session.scalars(query.order_by(Person.name, Person.id)))


def student_for(session: Session, viewer: Viewer, person_id: int) -> Person:
    """The learner `person_id` if this viewer may see them; NotFound otherwise (never says why)."""
    for person in visible_students(session, viewer):
        if person.id == person_id:
            return person
    raise NotFound("No such student in this course.")


def _mentee_subs(session: Session, viewer: Viewer) -> list[str]:
    mentees = session.scalar(select(Enrollment.mentees).where(Enrollment.course_id == viewer.course_id,
                                                              Enrollment.person_id == viewer.person_id,
                                                              Enrollment.role == "mentor"))
    return [str(sub) for sub in mentees or []]


def _check_course(session: Session, viewer: Viewer) -> None:
    """The course must belong to the viewer's district (a forged or stale identity sees nothing)."""
    district = session.scalar(select(Platform.district_id).join(Course, Course.platform_id == Platform.id)
                              .where(Course.id == viewer.course_id))
    if district is None or district != viewer.district_id:
        raise NotFound("No such course.")
