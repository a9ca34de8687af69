"""Where a course's "Pull scores now" stands: queue it at most once, and read its state back for the teacher.

A pull runs in the background (`lti_tool.jobs.intake_tasks.pull_evidence_async`). The button first marks the
course's pull record `queued` with one conditional UPDATE, so two clicks (or a click and the half-hourly schedule)
never queue two pulls of the same course: on PostgreSQL the second UPDATE waits for the first to commit and then
finds the row no longer matching; on SQLite writes are serialised. The pull itself then writes `running` and
`ok` or `failed` (`lti_tool.services.evidence`). A queued or running mark older than `STALE_AFTER` is treated as
abandoned (its worker died), so the teacher can queue again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.storage.models import (
    CanvasGrant,
    Course,
    Enrollment,
    EvidencePull,
    Platform,
)
from lti_tool.storage.models.base import utcnow

QUEUED = "queued"
RUNNING = "running"
#: States in which another pull of the same course must not be queued.
ACTIVE = (QUEUED, RUNNING)
#: A pull queued or started this long ago without finishing is taken as lost (a worker was killed).
STALE_AFTER = timedelta(hours=1)
#: The pull source of each LMS product with an API the tool reads.
SOURCE_OF_PRODUCT = {"canvas": "canvas", "moodle": "moodle"}
#: Counts shown in the one-line summary, in order (the keys of IntakeCounts.as_dict()).
_SUMMARY_KEYS = ("added", "updated", "unchanged")
_FLAG_KEYS = ("extra_credit", "no_maximum", "ungraded", "excused", "missing")


@dataclass(frozen=True)
class PullState:
    """What the setup page and the status endpoint show of a course's LMS pull."""

    source: str
    status: str  # never | queued | running | ok | failed
    message: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reconnect: bool = False  # failed because no teacher's Canvas grant works: "Connect to Canvas again"

    @property
    def active(self) -> bool:
        """True while the pull is queued or running (the page keeps checking)."""
        return self.status in ACTIVE

    @property
    def flagged(self) -> int:
        """How many pulled items carry a flag the teacher should look at (extra credit, missing, ...)."""
        return sum(int(self.counts.get(key) or 0) for key in _FLAG_KEYS) + len(
            self.counts.get("unmatched_students") or ())

    def count(self, key: str) -> int:
        """One of the stored counts (0 when the pull did not report it)."""
        return int(self.counts.get(key) or 0)

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of the status endpoint (no secrets; counts are plain numbers)."""
        return {"source": self.source, "status": self.status, "active": self.active, "message": self.message,
                "reconnect": self.reconnect, "flagged": self.flagged,
                "counts": {key: self.count(key) for key in (*_SUMMARY_KEYS, *_FLAG_KEYS)},
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


def lms_source(platform: Platform) -> str | None:
    """The pull source of a platform ("canvas" or "moodle"), or None when the tool reads no API of it."""
    return SOURCE_OF_PRODUCT.get(platform.product)


def pull_record(session: Session, course_id: int, source: str) -> EvidencePull | None:
    """The bookkeeping of a course's pulls from one source, if any was ever started."""
    return session.scalar(select(EvidencePull).where(EvidencePull.course_id == course_id,
                                                    EvidencePull.source == source))


def ensure_pull_record(session: Session, course_id: int, source: str) -> EvidencePull:
    """The course's pull record for `source`, created if missing (two first clicks at once both end here)."""
    found = pull_record(session, course_id, source)
    if found is not None:
        return found
    try:
        with session.begin_nested():  # a concurrent first click may insert the same (course, source) first
            session.add(EvidencePull(course_id=course_id, source=source, status="never", counts={}))
    except IntegrityError:
        pass
    found = pull_record(session, course_id, source)
    assert found is not None
    return found


def mark_pull_queued(session: Session, course_id: int, source: str, *, now: datetime | None = None) -> bool:
    """Mark the course's pull as queued; False (nothing written) when one is already queued or running.

    Commit before enqueueing the job, so a worker (or the inline queue of tests) sees the mark.
    """
    moment = now or utcnow()
    record = ensure_pull_record(session, course_id, source)
    claimed = session.execute(
        update(EvidencePull)
        .where(EvidencePull.id == record.id,
               or_(EvidencePull.status.not_in(ACTIVE), EvidencePull.started_at.is_(None),
                   EvidencePull.started_at < moment - STALE_AFTER))
        .values(status=QUEUED, started_at=moment, message="")
        .execution_options(synchronize_session=False))
    session.expire(record)
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def settle_unfinished_pull(session: Session, course_id: int, source: str, message: str) -> bool:
    """Mark the pull failed with `message` if its record still says queued or running; True when it did.

    A pull records its own outcome once it starts; this covers the ways it can end before that (no credentials,
    no connected teacher, the queue refused the job, a crash), so the page never shows "queued" forever.
    """
    record = ensure_pull_record(session, course_id, source)
    if record.status not in ACTIVE:
        return False
    record.status, record.message, record.finished_at = "failed", message, utcnow()
    session.flush()
    return True


def _canvas_grant_works(session: Session, course: Course) -> bool:
    """Whether any teacher of the course has an active Canvas grant (else the teacher must connect again)."""
    return session.scalar(
        select(CanvasGrant.id).join(Enrollment, Enrollment.person_id == CanvasGrant.person_id)
        .where(Enrollment.course_id == course.id, Enrollment.role.in_(("teacher", "admin")),
               CanvasGrant.platform_id == course.platform_id, CanvasGrant.status == "active").limit(1)) is not None


def course_source(session: Session, course_id: int) -> str | None:
    """The pull source of the course's platform, or None (no such course, or an LMS with no API to pull)."""
    course = session.get(Course, course_id)
    platform = session.get(Platform, course.platform_id) if course is not None else None
    return lms_source(platform) if platform is not None else None


def pull_status(session: Session, course_id: int) -> PullState | None:
    """The state of the course's LMS pull (never pulled yet included); None when its LMS has no API to pull."""
    source = course_source(session, course_id)
    course = session.get(Course, course_id)
    if course is None or source is None:
        return None
    record = pull_record(session, course_id, source)
    if record is None:
        return PullState(source=source, status="never")
    reconnect = record.status == "failed" and source == "canvas" and not _canvas_grant_works(session, course)
    return PullState(source=source, status=record.status, message=record.message or "",
                     counts=dict(record.counts or {}), started_at=record.started_at,
                     finished_at=record.finished_at, reconnect=reconnect)


__all__ = [
    "ACTIVE",
    "QUEUED",
    "STALE_AFTER",
    "PullState",
    "course_source",
    "ensure_pull_record",
    "lms_source",
    "mark_pull_queued",
    "pull_record",
    "pull_status",
    "settle_unfinished_pull",
]
