"""Refresh a course's people and enrollments from the platform's roster (LTI NRPS).

Members become Person + Enrollment rows (learners, teachers, mentors); a member the platform marks Inactive,
or who left the roster, keeps their rows with the enrollment marked inactive: nobody is deleted, so evidence
and results stay attached to the person.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.adapters.lti.nrps import Member
from lti_tool.adapters.lti.roles import area_for_roles
from lti_tool.storage.models import Course, Enrollment, Person, Platform

from .errors import NotFound

log = logging.getLogger(__name__)


class RosterSource(Protocol):
    """Anything that lists a course's members from its memberships URL (NrpsRoster, or a fake in tests)."""

    def members(self, memberships_url: str, *, role: str = "", rlid: str = "") -> list[Member]:
        """Every member, all pages."""
        ...


@dataclass(frozen=True)
class RosterSummary:
    """What a refresh changed."""

    course_id: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0  # members with no role the tool knows
    available: bool = True  # False when the course has no roster service

    def describe(self) -> str:
        """One line for logs and the CLI."""
        if not self.available:
            return "no roster service for this course"
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.deactivated} marked inactive, {self.skipped} skipped")


def refresh_roster(session: Session, course_id: int, source: RosterSource, *, rlid: str = "") -> RosterSummary:
    """Upsert every member of the course and mark enrollments that left (or are inactive) as inactive."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"course {course_id}")
    if not course.nrps_url:
        return RosterSummary(course_id, available=False)
    platform = session.get(Platform, course.platform_id)
    assert platform is not None
    members = source.members(course.nrps_url, rlid=rlid)
    return apply_members(session, course, platform, members)


def apply_members(session: Session, course: Course, platform: Platform, members: Sequence[Member]) -> RosterSummary:
    """Write a roster listing into the course (the pure part of refresh_roster)."""
    people = {p.sub: p for p in session.scalars(
        select(Person).where(Person.platform_id == platform.id, Person.sub.in_([m.user_id for m in members])))}
    enrollments = {e.person_id: e for e in session.scalars(select(Enrollment).where(Enrollment.course_id == course.id))}
    added = updated = unchanged = skipped = deactivated = 0
    seen: set[int] = set()
    for member in members:
        area = area_for_roles(with_principal_roles(member.roles))
        if area is None:
            skipped += 1
            continue
        person = people.get(member.user_id)
        created = person is None
        if person is None:
            person = Person(platform_id=platform.id, sub=member.user_id)
            session.add(person)
            people[member.user_id] = person
        person_changed = _update_person(person, member, platform.product)
        session.flush()
        enrollment = enrollments.get(person.id)
        if enrollment is None:
            enrollment = Enrollment(course_id=course.id, person_id=person.id, role=area, lti_roles=list(member.roles),
                                    active=member.active)
            session.add(enrollment)
            enrollments[person.id] = enrollment
            created = True
        enrollment_changed = _update_enrollment(enrollment, member, area)
        seen.add(person.id)
        if created:
            added += 1
        elif person_changed or enrollment_changed:
            updated += 1
        else:
            unchanged += 1
        if not member.active and enrollment_changed:
            deactivated += 1
    for person_id, enrollment in enrollments.items():
        if person_id not in seen and enrollment.active:
            # Gone from the roster: keep the person and their evidence, stop treating them as enrolled.
            enrollment.active = False
            deactivated += 1
    session.flush()
    summary = RosterSummary(course.id, added, updated, unchanged, deactivated, skipped)
    log.info("roster of course %s: %s", course.id, summary.describe())
    return summary


def with_principal_roles(roles: Sequence[str]) -> list[str]:
    """Add the principal role of each LIS sub-role URI (`.../membership/Instructor#TeachingAssistant` is an
    Instructor), so sub-roles map to an area as their principal role does."""
    found = list(roles)
    for role in roles:
        base, _, sub = role.partition("#")
        head, slash, principal = base.rpartition("/")
        if sub and slash and head.endswith("/membership"):
            found.append(f"{head}#{principal}")
    return found


def _update_person(person: Person, member: Member, product: str) -> bool:
    """Copy what the platform shares; names and emails it withholds keep their earlier values."""
    before = (person.name, person.given_name, person.family_name, person.email, person.lms_user_id)
    person.name = member.name or person.name or ""
    person.given_name = member.given_name or person.given_name or ""
    person.family_name = member.family_name or person.family_name or ""
    person.email = member.email or person.email or ""
    # Moodle's `sub` is its numeric user id; Canvas shares its API id only through `message` claims.
    lms_user_id = member.lms_user_id or (member.user_id if product == "moodle" else "")
    person.lms_user_id = lms_user_id or person.lms_user_id or ""
    return before != (person.name, person.given_name, person.family_name, person.email, person.lms_user_id)


def _update_enrollment(enrollment: Enrollment, member: Member, area: str) -> bool:
    before = (enrollment.role, list(enrollment.lti_roles or []), enrollment.active)
    # An admin who opened the tool keeps the admin area; the roster only names course roles.
    if not (enrollment.role == "admin" and area == "teacher"):
        enrollment.role = area
    enrollment.lti_roles = list(member.roles)
    enrollment.active = member.active
    return before != (enrollment.role, list(enrollment.lti_roles), enrollment.active)


__all__ = ["RosterSource", "RosterSummary", "apply_members", "refresh_roster", "with_principal_roles"]
