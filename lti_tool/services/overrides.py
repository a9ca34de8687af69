"""Teachers' overrides: set a student's level on a standard with a required reason, or remove it; audited.

The change is recalculated at once (the override shows in the student's explanation), and when the course
syncs automatically, the score to send is planned in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import Course, CourseFramework, Enrollment, OverrideRecord, Standard
from lti_tool.storage.models.base import utcnow

from . import audit
from .errors import NotFound, ServiceError

MAX_REASON = 1000


def _check_target(session: Session, course_id: int, person_id: int, standard_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course {course_id}.")
    enrolled = session.scalar(select(Enrollment.id).where(Enrollment.course_id == course_id,
                                                          Enrollment.person_id == person_id,
                                                          Enrollment.role == "student"))
    if enrolled is None:
        raise NotFound("No such student in this course.")
    # Only a standard of the framework this course is graded against: never another district's standard.
    in_course_framework = session.scalar(
        select(Standard.id).join(CourseFramework, CourseFramework.framework_id == Standard.framework_id)
        .where(CourseFramework.course_id == course_id, Standard.id == standard_id))
    if in_course_framework is None:
        raise NotFound("No such standard in this course's framework.")
    return course


def active_override(session: Session, course_id: int, person_id: int, standard_id: int) -> OverrideRecord | None:
    """The override in force for this student and standard, if any."""
    return session.scalar(select(OverrideRecord).where(
        OverrideRecord.course_id == course_id, OverrideRecord.person_id == person_id,
        OverrideRecord.standard_id == standard_id, OverrideRecord.removed_at.is_(None))
        .order_by(OverrideRecord.id.desc()).limit(1))


def set_override(session: Session, course_id: int, person_id: int, standard_id: int, *, points: float,
                 reason: str, actor: str, allowed_points: list[float] | None = None) -> OverrideRecord:
    """Set the level (by points) with a reason; replaces an earlier override and recalculates the student."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: students and families see it in the explanation.")
    if len(reason) > MAX_REASON:
        raise ServiceError(f"Keep the reason under {MAX_REASON} characters.")
    if allowed_points is not None and not any(abs(points - p) < 1e-9 for p in allowed_points):
        raise ServiceError("Choose one of the scale's levels.")
    course = _check_target(session, course_id, person_id, standard_id)
    earlier = active_override(session, course_id, person_id, standard_id)
    moment = utcnow()
    if earlier is not None:
        earlier.removed_at, earlier.removed_by = moment, actor
    record = OverrideRecord(course_id=course_id, person_id=person_id, standard_id=standard_id, level_points=points,
                            reason=reason, set_by=actor, set_at=moment)
    session.add(record)
    session.flush()
    audit.record(session, district_id=course.platform.district_id, actor=actor, action="create",
                 entity="override", entity_id=record.id,
                 before={"level_points": earlier.level_points, "reason": earlier.reason} if earlier else None,
                 after={"person_id": person_id, "standard_id": standard_id, "level_points": points, "reason": reason})
    _recalculate(session, course_id, person_id, actor)
    return record


def remove_override(session: Session, course_id: int, person_id: int, standard_id: int, *, actor: str) -> None:
    """Remove the override in force (kept in history) and recalculate from the evidence."""
    course = _check_target(session, course_id, person_id, standard_id)
    record = active_override(session, course_id, person_id, standard_id)
    if record is None:
        raise NotFound("There is no override to remove.")
    record.removed_at, record.removed_by = utcnow(), actor
    audit.record(session, district_id=course.platform.district_id, actor=actor, action="delete",
                 entity="override", entity_id=record.id,
                 before={"level_points": record.level_points, "reason": record.reason}, after=None)
    session.flush()
    _recalculate(session, course_id, person_id, actor)


def _recalculate(session: Session, course_id: int, person_id: int, actor: str) -> None:
    from .sync import recalculate_and_plan

    recalculate_and_plan(session, course_id, actor=actor, person_ids=[person_id])
