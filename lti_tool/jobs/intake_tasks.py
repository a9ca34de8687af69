"""Roster refreshes and evidence pulls: after a launch, on demand, and on a schedule."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.adapters.lti.nrps import NrpsRoster
from lti_tool.adapters.lti.service_auth import ServiceClient
from lti_tool.services.errors import ServiceError
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

#: Shown to the teacher when a pull ended on an unexpected error (details are in the worker's log).
UNEXPECTED_FAILURE = "The pull stopped on an unexpected error; it is tried once more in a minute."
#: Shown when the job queue could not take the pull.
QUEUE_REFUSED = "The background queue is not reachable right now, so the pull was not started. Try again shortly."


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
    """Pull one course's scores with the stored credentials; returns the outcome for logs and the UI.

    Whatever happens, the course's pull record ends as ok or failed, never stuck at queued.
    """
    from lti_tool.services.evidence import pull_course
    from lti_tool.services.pull_status import course_source, settle_unfinished_pull

    runtime = job_app().extensions["sbg"]
    settings = runtime.settings
    with job_session() as session:
        source = course_source(session, course_id)
        try:
            outcome = pull_course(session, course_id, http=runtime.http, secret_key=settings.secret_key,
                                  tool_base_url=settings.base_url, full=full, person_id=person_id)
        except ServiceError as error:
            # Refused before it started (no credentials, no connected teacher): retrying cannot help.
            session.rollback()
            if source is not None:
                settle_unfinished_pull(session, course_id, source, str(error))
            return {"course_id": course_id, "counts": None, "error": str(error), "reconnect": False}
        except Exception:
            session.rollback()
            if source is not None:
                settle_unfinished_pull(session, course_id, source, UNEXPECTED_FAILURE)
                session.commit()
            raise  # huey logs it and retries once (a database restart, say)
        if outcome.counts is None:
            # A grant Canvas no longer accepts is refused before the pull writes "running".
            settle_unfinished_pull(session, course_id, outcome.source, outcome.error)
    return {"course_id": course_id, "counts": outcome.counts.as_dict() if outcome.counts else None,
            "error": outcome.error, "reconnect": outcome.reconnect}


def queue_pull(session: Session, course_id: int, source: str, person_id: int | None = None,
               full: bool = False) -> str:
    """Queue a background pull of the course unless one is queued or running.

    Returns "queued", "already" (one is queued or running; nothing new was queued) or "unavailable" (the queue
    refused the job; the pull record says so). Commits the session: the worker must see the queued mark.
    """
    from lti_tool.services.pull_status import mark_pull_queued, settle_unfinished_pull

    claimed = mark_pull_queued(session, course_id, source)
    session.commit()
    if not claimed:
        return "already"
    try:
        pull_evidence_async(course_id, person_id, full)
    except Exception:  # Redis or the queue file is unreachable (errors inside the task never get here)
        log.exception("could not queue the pull of course %s", course_id)
        settle_unfinished_pull(session, course_id, source, QUEUE_REFUSED)
        session.commit()
        return "unavailable"
    return "queued"


@huey.task(retries=1, retry_delay=60)
def pull_evidence_async(course_id: int, person_id: int | None = None, full: bool = False) -> dict[str, object]:
    """Pull a course's scores in the background (the teacher's "Pull scores now")."""
    return pull_evidence_now(course_id, person_id, full)


def _courses_with_credentials() -> list[tuple[int, str]]:
    """Courses that can be pulled, with their source: Moodle courses of platforms with a token, Canvas courses
    with a connected teacher."""
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
        found = {course_id: "moodle" for course_id in moodle}
        found.update({course_id: "canvas" for course_id in canvas})
        return sorted(found.items())


@huey.periodic_task(crontab(minute="*/30"))
def pull_all_evidence() -> int:
    """Every half hour: queue an incremental pull of each course that has credentials and no pull under way;
    returns how many were queued."""
    queued = 0
    for course_id, source in _courses_with_credentials():
        with job_session() as session:
            queued += queue_pull(session, course_id, source) == "queued"
    return queued


@huey.periodic_task(crontab(minute="5", hour="2"))
def refresh_all_rosters() -> int:
    """Nightly: queue a roster refresh of each course with a roster service; returns how many."""
    with job_session() as session:
        course_ids = list(session.scalars(select(Course.id).where(Course.nrps_url != "")))
    for course_id in course_ids:
        refresh_roster_async(course_id)
    return len(course_ids)
