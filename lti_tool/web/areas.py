"""What every area page shows about the launch: who, which course, which platform, which services."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from lti_tool.storage.models import Course, Person, Platform

from .auth import SessionIdentity, current_identity
from .runtime import db


@dataclass(frozen=True)
class LaunchSummary:
    """The person, course and platform of the current session."""

    identity: SessionIdentity
    person: Person
    course: Course
    platform: Platform


def launch_summary() -> LaunchSummary:
    """Load the session's person, course and platform, refusing anything outside its district."""
    identity = current_identity()
    if identity is None:
        abort(401)
    person = db().get(Person, identity.person_id)
    course = db().get(Course, identity.course_id)
    platform = db().get(Platform, identity.platform_id)
    if person is None or course is None or platform is None or platform.district_id != identity.district_id:
        abort(404)
    return LaunchSummary(identity, person, course, platform)
