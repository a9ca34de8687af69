"""Provision the platform's course, person and enrollment from a validated launch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.adapters.lti.launch import LaunchContext
from lti_tool.storage.models import Course, Enrollment, Person, Platform

from .platforms import add_deployment


@dataclass(frozen=True)
class Identity:
    """Who is using the tool after a launch: the claims a session token carries."""

    person_id: int
    course_id: int
    platform_id: int
    district_id: int
    role: str
    locale: str


def provision(session: Session, launch: LaunchContext) -> Identity:
    """Create or update the course, the person and their enrollment; record a new deployment."""
    platform = session.get(Platform, launch.platform_id)
    assert platform is not None
    if launch.new_deployment:
        add_deployment(session, platform, launch.deployment_id, first_launch=True, actor=f"launch:{launch.sub}")
    course = _upsert_course(session, launch)
    person = _upsert_person(session, launch)
    enrollment = _get_or_create(
        session, select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.person_id == person.id),
        lambda: Enrollment(course_id=course.id, person_id=person.id, role=launch.area))
    enrollment.role = launch.area
    enrollment.lti_roles = list(launch.roles)
    enrollment.mentees = list(launch.mentees)
    enrollment.active = True
    session.flush()
    return Identity(person_id=person.id, course_id=course.id, platform_id=platform.id,
                    district_id=platform.district_id, role=launch.area,
                    locale=launch.locale or course.locale or "en")


T = TypeVar("T")


def _get_or_create(session: Session, query: Select[tuple[T]], make: Callable[[], T]) -> T:
    """The row the query finds, else a new one; when a concurrent launch inserts it first (unique constraint),
    the insert's savepoint is rolled back and that launch's row is used."""
    found = session.scalar(query)
    if found is not None:
        return found
    row = make()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = session.scalar(query)
        if found is None:
            raise
        return found
    return row


def _upsert_course(session: Session, launch: LaunchContext) -> Course:
    context_id = launch.context_id or f"deployment:{launch.deployment_id}"
    course = _get_or_create(
        session, select(Course).where(Course.platform_id == launch.platform_id, Course.context_id == context_id),
        lambda: Course(platform_id=launch.platform_id, context_id=context_id, deployment_id=launch.deployment_id))
    course.deployment_id = launch.deployment_id
    course.title = launch.context_title or course.title or ""
    course.label = launch.context_label or course.label or ""
    course.lms_course_id = launch.lms_course_id
    if launch.ags_lineitems_url:
        course.ags_lineitems_url = launch.ags_lineitems_url
        course.ags_scopes = list(launch.ags_scopes)
    if launch.nrps_url:
        course.nrps_url = launch.nrps_url
    if launch.locale:
        course.locale = launch.locale
    custom = dict(course.custom or {})
    custom.update({k: v for k, v in launch.custom.items() if k.startswith("canvas_")})
    course.custom = custom
    session.flush()
    return course


def _upsert_person(session: Session, launch: LaunchContext) -> Person:
    person = _get_or_create(
        session, select(Person).where(Person.platform_id == launch.platform_id, Person.sub == launch.sub),
        lambda: Person(platform_id=launch.platform_id, sub=launch.sub))
    person.name = launch.name or person.name or ""
    person.given_name = launch.given_name or person.given_name or ""
    person.family_name = launch.family_name or person.family_name or ""
    person.email = launch.email or person.email or ""
    person.lms_user_id = launch.lms_user_id or person.lms_user_id or ""
    person.locale = launch.locale or person.locale or ""
    session.flush()
    return person


ROSTER_REFRESH_INTERVAL = timedelta(minutes=10)


def claim_roster_refresh(session: Session, course_id: int, now: datetime | None = None) -> bool:
    """True (and remembered) when the course has a roster service and was not refreshed from a launch lately."""
    course = session.get(Course, course_id)
    if course is None or not course.nrps_url:
        return False
    now = now or datetime.now(timezone.utc)
    custom = dict(course.custom or {})
    last = custom.get("roster_requested_at")
    if last and now - datetime.fromisoformat(last) < ROSTER_REFRESH_INTERVAL:
        return False
    custom["roster_requested_at"] = now.isoformat()
    course.custom = custom
    return True
