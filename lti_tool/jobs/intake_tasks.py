"""Roster refreshes and evidence pulls: after a launch, on demand, and on a schedule."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from lti_tool.adapters.lti.nrps import NrpsRoster
from lti_tool.adapters.lti.service_auth import ServiceClient
from lti_tool.storage.models import (
    CanvasGrant,
    Course,
    Enrollment,
    LmsApiCredential,
    Platform,
)

from .context import job_app, job_session
from .queue import huey

log = logging.getLogger(__name__)


def refresh_roster_now(course_id: int, rlid: str = "") -> str:
    """Refresh one course's roster from NRPS; returns the summary line."""
    from lti_tool.services.rosters import refresh_roster

    runtime = job_app().extensions["sbg"]
    with job_session() as session:
        course = session.get(Course, course_id)
        if course is None or not course.nrps_url:
            return "no roster service for this course"
        platform = session.get(Platform, course.platform_id)
        assert platform is not None
        client = ServiceClient(platform.issuer, platform.client_id, platform.token_url)
        roster = NrpsRoster(runtime.http, runtime.service_tokens, client)
        return refresh_roster(session, course_id, roster, rlid=rlid).describe()


@huey.task(retries=2, retry_delay=30)
def refresh_roster_async(course_id: int, rlid: str = "") -> str:
    """Refresh a course's roster in the background (queued by each launch)."""
    return refresh_roster_now(course_id, rlid)


def pull_evidence_now(course_id: int, person_id: int | None = None, full: bool = False) -> dict[str, object]:
    """Pull one course's scores with the stored credentials; returns the outcome for logs and the UI."""
    from lti_tool.services.evidence import pull_course

    runtime = job_app().extensions["sbg"]
    settings = runtime.settings
    with job_session() as session:
        outcome = pull_course(session, course_id, http=runtime.http, secret_key=settings.secret_key,
                              tool_base_url=settings.base_url, full=full, person_id=person_id)
    return {"course_id": course_id, "counts": outcome.counts.as_dict() if outcome.counts else None,
            "error": outcome.error, "reconnect": outcome.reconnect}


@huey.task(retries=1, retry_delay=60)
def pull_evidence_async(course_id: int, person_id: int | None = None, full: bool = False) -> dict[str, object]:
    """Pull a course's scores in the background (the teacher's "Pull scores now")."""
    return pull_evidence_now(course_id, person_id, full)


def _courses_with_credentials() -> list[int]:
    """Courses that can be pulled: Moodle courses of platforms with a token, Canvas courses with a connected teacher."""
    with job_session() as session:
        moodle = session.scalars(
            select(Course.id).join(Platform, Platform.id == Course.platform_id)
            .join(LmsApiCredential, LmsApiCredential.platform_id == Platform.id)
            .where(Platform.product == "moodle", LmsApiCredential.kind == "moodle_ws", Course.lms_course_id != ""))
        canvas = session.scalars(
            select(Course.id).join(Enrollment, Enrollment.course_id == Course.id)
            .join(CanvasGrant, (CanvasGrant.person_id == Enrollment.person_id)
                  & (CanvasGrant.platform_id == Course.platform_id))
            .where(CanvasGrant.status == "active", Enrollment.role.in_(("teacher", "admin"))))
        return sorted(set(moodle) | set(canvas))


@huey.periodic_task(crontab(minute="*/30"))
def pull_all_evidence() -> int:
    """Every half hour: queue an incremental pull of each course that has credentials; returns how many."""
    course_ids = _courses_with_credentials()
    for course_id in course_ids:
        pull_evidence_async(course_id)
    return len(course_ids)


@huey.periodic_task(crontab(minute="5", hour="2"))
def refresh_all_rosters() -> int:
    """Nightly: queue a roster refresh of each course with a roster service; returns how many."""
    with job_session() as session:
        course_ids = list(session.scalars(select(Course.id).where(Course.nrps_url != "")))
    for course_id in course_ids:
        refresh_roster_async(course_id)
    return len(course_ids)
