"""Gradebook sync as an outbox: plan score items in the results' transaction, send each one exactly once.

Planning (`plan_sync`) compares each student's current level per column with the last score planned for it
and writes a SyncItem only for changes, in the caller's transaction, so results and the scores to send
commit together. Timestamps are whole seconds and strictly increase per column and student (Moodle answers
409 to a score not newer than the stored one, Canvas 400 to an older one). A comment goes along only when
the level changed (Canvas appends a submission comment on every post). Sending (`send_item`) claims an
item with an atomic update and a lease, so a crashed sender's item is taken over after the lease; an item
that may already have arrived (an earlier attempt with no recorded answer) is first checked against the
LMS's results, so a grade never arrives twice and an acknowledged item is never sent again.

An LMS that is down, slow or throttling never fails an item: it goes back to the outbox and is tried again
after a capped exponential backoff (`retry_delay`), for as long as the outage lasts; the worker's periodic
sweep picks up any item whose scheduled retry was lost. Only the LMS's own refusals (404, 409, 422, a
wrong registration) fail an item, with the LMS's words, for the teacher to see.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.adapters.lti.ags import CANVAS_SUBMISSION_EXTENSION, AgsError, AgsGradebook, LineItemRef
from lti_tool.adapters.lti.pacing import PACERS, PacerRegistry
from lti_tool.adapters.lti.service_auth import ServiceClient, ServiceTokenCache
from lti_tool.storage.models import (
    Course,
    Enrollment,
    MasteryResultRecord,
    OverallGradeRecord,
    Person,
    Platform,
    Standard,
    SyncedScore,
    SyncItem,
    SyncLineItem,
    SyncRun,
    SyncSetting,
)
from lti_tool.storage.models.base import utcnow

from . import audit
from .errors import NotFound, ServiceError

log = logging.getLogger(__name__)

STANDARD_TAG = "sbg-standard"
OVERALL_TAG = "sbg-overall"
OVERALL_TARGET = "overall"
OVERALL_RESOURCE_ID = "sbg-overall"
COLUMN_CHOICES = ("standards", "overall", "both")
#: A sender that has not answered within this many seconds is presumed dead; its item is taken over.
DEFAULT_LEASE_SECONDS = 300
#: Rounds an inline sender (`send_items`) tries an item before leaving it pending for the worker's sweep.
MAX_ROUNDS = 4
#: Outbox retry schedule after a retryable failure: base * 2^(round-1), capped, with jitter (seconds).
RETRY_BASE_SECONDS = 5.0
RETRY_CAP_SECONDS = 60.0
#: After a request that may have reached the LMS timed out, wait at least this long before reading the LMS's
#: results to see whether it arrived: an LMS still working on the request has finished by then, so the check
#: does not miss a score that is about to land (and post it a second time).
IN_DOUBT_SETTLE_SECONDS = 45.0
LEARNER_ROLE = "student"
OPEN_STATUSES = ("pending", "sending")
#: `session.info` key listing runs planned in this transaction, to dispatch after it commits.
PLANNED_RUNS_KEY = "sbg_planned_sync_runs"


# ---------------------------------------------------------------------------
# Settings and columns
# ---------------------------------------------------------------------------


def sync_settings(session: Session, course_id: int) -> SyncSetting:
    """The course's gradebook choices (defaults when never saved: one column per standard, no auto sync)."""
    setting = session.get(SyncSetting, course_id)
    return setting if setting is not None else SyncSetting(course_id=course_id, columns="standards", auto_sync=False)


def save_sync_settings(session: Session, course_id: int, *, columns: str, auto_sync: bool, actor: str) -> SyncSetting:
    """Choose the gradebook columns and whether every recomputation syncs; audited."""
    if columns not in COLUMN_CHOICES:
        raise ServiceError(f"Columns must be one of {', '.join(COLUMN_CHOICES)}.")
    course = _course(session, course_id)
    setting = session.get(SyncSetting, course_id)
    before = {"columns": setting.columns, "auto_sync": setting.auto_sync} if setting else None
    if setting is None:
        setting = SyncSetting(course_id=course_id)
        session.add(setting)
    setting.columns, setting.auto_sync, setting.updated_by = columns, auto_sync, actor
    session.flush()
    audit.record(session, district_id=course.platform.district_id, actor=actor, action="update",
                 entity="sync_settings", entity_id=course_id, before=before,
                 after={"columns": columns, "auto_sync": auto_sync})
    return setting


@dataclass(frozen=True)
class Column:
    """A gradebook column the course sends: its target key, label, resourceId, tag and maximum."""

    target: str
    label: str
    resource_id: str
    tag: str
    score_maximum: float


def standard_target(standard_id: int) -> str:
    """The target key of a standard's column."""
    return f"standard:{standard_id}"


def scale_maximum(session: Session, course_id: int) -> float:
    """The top points of the course's proficiency scale (the columns' scoreMaximum)."""
    from .policies import policy_document  # the admin's policy resolution; imported late to keep start-up light

    levels = policy_document(session, course_id).get("scale", {}).get("levels", [])
    points = [float(level["points"]) for level in levels if isinstance(level, dict) and "points" in level]
    return max(points) if points else 4.0


def course_columns(session: Session, course_id: int) -> list[Column]:
    """The columns the course's settings ask for: every standard with results, the overall grade, or both."""
    setting = sync_settings(session, course_id)
    maximum = scale_maximum(session, course_id)
    columns: list[Column] = []
    if setting.columns in ("standards", "both"):
        standards = session.execute(
            select(Standard.id, Standard.identifier, Standard.code, Standard.label)
            .where(Standard.id.in_(select(MasteryResultRecord.standard_id)
                                   .where(MasteryResultRecord.course_id == course_id)))
            .order_by(Standard.position, Standard.id)).all()
        for standard_id, identifier, code, label in standards:
            columns.append(Column(standard_target(standard_id), f"{code or label or identifier} mastery"[:250],
                                  identifier, STANDARD_TAG, maximum))
    if setting.columns in ("overall", "both"):
        columns.append(Column(OVERALL_TARGET, "Overall mastery grade", OVERALL_RESOURCE_ID, OVERALL_TAG, maximum))
    return columns


# ---------------------------------------------------------------------------
# Planning (the outbox write)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Desired:
    """What one student's cell of one column should say."""

    person_id: int
    user_id: str
    target: str
    score: float
    maximum: float
    label: str
    comment: str


def whole_second(moment: datetime) -> datetime:
    """The moment truncated to whole seconds (both LMSs compare at that resolution)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _desired_scores(session: Session, course_id: int, columns: list[Column],
                    person_ids: Iterable[int] | None) -> list[Desired]:
    by_target = {column.target: column for column in columns}
    learners = select(Enrollment.person_id).where(Enrollment.course_id == course_id, Enrollment.role == LEARNER_ROLE,
                                                  Enrollment.active.is_(True))
    if person_ids is not None:
        learners = learners.where(Enrollment.person_id.in_(list(person_ids)))
    subs = dict(session.execute(select(Person.id, Person.sub).where(Person.id.in_(learners))).all())
    desired: list[Desired] = []
    standard_targets = [t for t in by_target if t.startswith("standard:")]
    if standard_targets:
        rows = session.execute(
            select(MasteryResultRecord.person_id, MasteryResultRecord.standard_id, MasteryResultRecord.level_points,
                   MasteryResultRecord.level_label, Standard.code, Standard.label, MasteryResultRecord.overridden)
            .join(Standard, Standard.id == MasteryResultRecord.standard_id)
            .where(MasteryResultRecord.course_id == course_id, MasteryResultRecord.person_id.in_(list(subs)))
            .order_by(MasteryResultRecord.person_id, MasteryResultRecord.standard_id)).all()
        for person_id, standard_id, points, label, code, standard_label, overridden in rows:
            column = by_target.get(standard_target(standard_id))
            if column is None or points is None:
                continue  # no evidence yet: nothing to put in the gradebook
            note = " (set by your teacher)" if overridden else ""
            comment = f"{code or standard_label}: {label}{note}, {points:g} of {column.score_maximum:g}."
            desired.append(Desired(person_id, subs[person_id], column.target, float(points), column.score_maximum,
                                   label or "", comment))
    overall = by_target.get(OVERALL_TARGET)
    if overall is not None:
        for person_id, letter, average in session.execute(
                select(OverallGradeRecord.person_id, OverallGradeRecord.letter, OverallGradeRecord.average)
                .where(OverallGradeRecord.course_id == course_id, OverallGradeRecord.person_id.in_(list(subs)))
                .order_by(OverallGradeRecord.person_id)).all():
            if average is None:
                continue
            desired.append(Desired(person_id, subs[person_id], OVERALL_TARGET, round(float(average), 2),
                                   overall.score_maximum, letter or "",
                                   f"Overall: {letter or '-'} (average level {average:.2f})."))
    return desired


def plan_sync(session: Session, course_id: int, *, trigger: str, actor: str, now: datetime | None = None,
              person_ids: Iterable[int] | None = None) -> SyncRun:
    """Write a SyncRun and one SyncItem per changed cell in the caller's transaction (no HTTP here)."""
    _course(session, course_id)
    moment = whole_second(now or utcnow())
    columns = course_columns(session, course_id)
    desired = _desired_scores(session, course_id, columns, person_ids)
    synced = {(row.person_id, row.target): row for row in session.scalars(
        select(SyncedScore).where(SyncedScore.course_id == course_id))}
    open_items: dict[tuple[int, str], list[SyncItem]] = defaultdict(list)
    for item in session.scalars(select(SyncItem).where(SyncItem.course_id == course_id,
                                                       SyncItem.status.in_(("pending", "failed")))):
        open_items[(item.person_id, item.target)].append(item)
    run = SyncRun(course_id=course_id, trigger=trigger, requested_by=actor, created_at=moment)
    session.add(run)
    session.flush()
    planned = unchanged = 0
    for want in desired:
        key = (want.person_id, want.target)
        state = synced.get(key)
        if state is not None and state.planned_score is not None and math.isclose(state.planned_score, want.score):
            unchanged += 1
            continue
        if state is None:
            state = SyncedScore(course_id=course_id, person_id=want.person_id, target=want.target)
            session.add(state)
            synced[key] = state
        for older in open_items.get(key, []):
            older.status = "superseded"  # a newer score replaces it; sending both would only race
        timestamp = moment
        if state.last_timestamp is not None and timestamp <= state.last_timestamp:
            timestamp = state.last_timestamp + timedelta(seconds=1)
        level_changed = state.planned_label != want.label or state.planned_score is None
        session.add(SyncItem(run_id=run.id, course_id=course_id, person_id=want.person_id, target=want.target,
                             user_id=want.user_id, score_given=want.score, score_maximum=want.maximum,
                             level_label=want.label, comment=want.comment if level_changed else None,
                             timestamp=timestamp))
        state.planned_score, state.planned_label, state.last_timestamp = want.score, want.label, timestamp
        planned += 1
    run.planned, run.unchanged = planned, unchanged
    session.flush()
    return run


def recalculate_and_plan(session: Session, course_id: int, *, actor: str,
                         person_ids: Iterable[int] | None = None) -> tuple[Any, SyncRun | None]:
    """Recalculate results and, when the course syncs automatically, plan the sync in the same transaction."""
    from . import grading

    summary = (grading.recalculate_course(session, course_id) if person_ids is None
               else grading.recalculate_students(session, course_id, person_ids))
    run = None
    if sync_settings(session, course_id).auto_sync and course_has_gradebook(session, course_id):
        run = plan_sync(session, course_id, trigger="auto", actor=actor, person_ids=person_ids)
        # Entry points queue these once the transaction commits (jobs.sync_tasks.queue_planned_runs).
        session.info.setdefault(PLANNED_RUNS_KEY, []).append(run.id)
    return summary, run


def course_has_gradebook(session: Session, course_id: int) -> bool:
    """Whether a launch gave this course an AGS line items endpoint."""
    return bool(_course(session, course_id).ags_lineitems_url)


# ---------------------------------------------------------------------------
# The AGS client of a course
# ---------------------------------------------------------------------------

GradebookFactory = Callable[[Session, Course], AgsGradebook]
#: Connect and read time-outs of AGS calls (seconds).
AGS_TIMEOUT = (3.05, 20.0)


def gradebook_factory(http: requests.Session, tokens: ServiceTokenCache,
                      pacers: PacerRegistry = PACERS,
                      timeout: tuple[float, float] = AGS_TIMEOUT) -> GradebookFactory:
    """Build AGS clients for courses, sharing one keep-alive session, token cache and pacer per platform client."""

    def build(session: Session, course: Course) -> AgsGradebook:
        platform = session.get(Platform, course.platform_id)
        assert platform is not None
        if not course.ags_lineitems_url:
            raise ServiceError("The LMS has not given this course a gradebook service yet: launch the tool from "
                               "the course once, then sync.")
        name = {"canvas": "Canvas", "moodle": "Moodle"}.get(platform.product, platform.name)
        return AgsGradebook(http=http, tokens=tokens,
                            client=ServiceClient(platform.issuer, platform.client_id, platform.token_url),
                            lineitems_url=course.ags_lineitems_url,
                            pacer=pacers.pacer(platform.issuer, platform.client_id),
                            scopes=course.ags_scopes or (), lms_name=name, timeout=timeout)

    return build


def ensure_line_items(session: Session, course_id: int, gradebook: AgsGradebook,
                      columns: list[Column] | None = None) -> dict[str, SyncLineItem]:
    """Find each column by resourceId/tag (one listing), create the missing ones, update changed labels/maxima."""
    columns = course_columns(session, course_id) if columns is None else columns
    known = {row.target: row for row in session.scalars(select(SyncLineItem).where(SyncLineItem.course_id == course_id))}
    missing = [column for column in columns if column.target not in known]
    if missing:
        listed: dict[tuple[str, str], LineItemRef] = {}
        if known or columns_may_exist(session, course_id):
            listed = {(ref.tag, ref.resource_id): ref for ref in gradebook.find_line_items()
                      if ref.tag in (STANDARD_TAG, OVERALL_TAG)}
        else:
            # First sync of a course that never deep-linked a graded column: nothing of ours can be in the LMS,
            # so skip the listing (one request fewer). Remember that creation started, so that a crash between
            # a create and its commit lists before creating again.
            note_columns_may_exist(session, course_id)
            session.commit()
        for column in missing:
            ref = listed.get((column.tag, column.resource_id))
            origin = "found"
            if ref is None:
                ref = gradebook.create_line_item(label=column.label, score_maximum=column.score_maximum,
                                                 resource_id=column.resource_id, tag=column.tag)
                origin = "created"
            known[column.target] = _store_line_item(session, course_id, column.target, ref, origin)
            session.commit()  # a created column is remembered at once, so a crash cannot duplicate it
    for column in columns:
        row = known[column.target]
        if row.label != column.label or not math.isclose(row.score_maximum, column.score_maximum):
            ref = gradebook.update_line_item(_ref(row), label=column.label, score_maximum=column.score_maximum)
            row.label, row.score_maximum = ref.label or column.label, ref.score_maximum or column.score_maximum
    session.flush()
    return known


COLUMNS_MAY_EXIST = "sbg_columns_may_exist"


def columns_may_exist(session: Session, course_id: int) -> bool:
    """Whether the LMS may hold sbg columns the database does not know (deep-linked, or a create in flight)."""
    course = session.get(Course, course_id)
    return bool(course and (course.custom or {}).get(COLUMNS_MAY_EXIST))


def note_columns_may_exist(session: Session, course_id: int) -> None:
    """Record that sbg columns may exist in the LMS (a deep-linking response asked for one, or creation began)."""
    course = session.get(Course, course_id)
    if course is not None and not (course.custom or {}).get(COLUMNS_MAY_EXIST):
        course.custom = {**(course.custom or {}), COLUMNS_MAY_EXIST: True}


def remember_launch_line_item(session: Session, course_id: int, url: str, *, label: str, score_maximum: float,
                              resource_id: str = "", tag: str = "") -> SyncLineItem | None:
    """Record the line item of a launch's AGS claim (a graded link); a sbg column becomes postable."""
    if tag not in (STANDARD_TAG, OVERALL_TAG) or not url:
        return None
    if tag == OVERALL_TAG:
        target = OVERALL_TARGET
    else:
        standard_id = session.scalar(select(MasteryResultRecord.standard_id).join(
            Standard, Standard.id == MasteryResultRecord.standard_id).where(
            MasteryResultRecord.course_id == course_id, Standard.identifier == resource_id).limit(1))
        if standard_id is None:
            return None
        target = standard_target(standard_id)
    existing = session.scalar(select(SyncLineItem).where(SyncLineItem.course_id == course_id,
                                                         SyncLineItem.target == target))
    if existing is not None:
        return existing
    return _store_line_item(session, course_id, target, LineItemRef(url, label, score_maximum, resource_id, tag),
                            "launch")


def _store_line_item(session: Session, course_id: int, target: str, ref: LineItemRef, origin: str) -> SyncLineItem:
    row = SyncLineItem(course_id=course_id, target=target, url=ref.url, label=ref.label,
                       score_maximum=ref.score_maximum, resource_id=ref.resource_id, tag=ref.tag, origin=origin)
    session.add(row)
    session.flush()
    return row


def _ref(row: SyncLineItem) -> LineItemRef:
    return LineItemRef(row.url, row.label, row.score_maximum, row.resource_id, row.tag)


# ---------------------------------------------------------------------------
# Sending one item
# ---------------------------------------------------------------------------


class RetryLater(Exception):
    """The LMS could not take the score now (throttled, down, timed out); send it again after `delay`.

    `attempts` is the item's claim count when it was released, so a scheduler can compute its own delay and
    recognise a retry that another sender has overtaken.
    """

    def __init__(self, message: str, delay: float, attempts: int = 0, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.delay = delay
        self.attempts = attempts
        self.in_doubt = in_doubt


def retry_delay(attempts: int, *, base: float = RETRY_BASE_SECONDS, cap: float = RETRY_CAP_SECONDS) -> float:
    """Seconds before the next try after `attempts` failed rounds: capped exponential with equal jitter.

    Half the delay is fixed, half random, so the items of one outage spread out instead of returning together.
    """
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class Claim:
    """An item this sender now owns, and whether an earlier attempt may already have reached the LMS."""

    item_id: int
    in_doubt: bool


def claim_item(session: Session, item_id: int, lease_seconds: float = DEFAULT_LEASE_SECONDS,
               now: datetime | None = None) -> Claim | None:
    """Take an item with one atomic UPDATE (pending, or sending past its lease); None if someone else has it."""
    moment = now or utcnow()
    attempts = session.scalar(select(SyncItem.attempts).where(SyncItem.id == item_id))
    if attempts is None:
        return None
    taken = session.execute(
        update(SyncItem)
        .where(SyncItem.id == item_id, SyncItem.attempts == attempts,
               or_(SyncItem.status == "pending",
                   (SyncItem.status == "sending") & (SyncItem.claimed_at < moment - timedelta(seconds=lease_seconds))))
        .values(status="sending", attempts=SyncItem.attempts + 1, claimed_at=moment)
        .execution_options(synchronize_session=False))
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return Claim(item_id, in_doubt=attempts > 0)


def lease_left(session: Session, item_id: int, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> float | None:
    """Seconds until another sender's claim on an item expires (None: the item is not being sent)."""
    item = session.get(SyncItem, item_id)
    if item is None or item.status != "sending" or item.claimed_at is None:
        return None
    return max(0.0, (item.claimed_at + timedelta(seconds=lease_seconds) - utcnow()).total_seconds())


def score_body(item: SyncItem, product: str) -> dict[str, Any]:
    """The AGS score for an item: points, Completed/FullyGraded, whole-second timestamp, comment if any."""
    body: dict[str, Any] = {
        "userId": item.user_id, "scoreGiven": item.score_given, "scoreMaximum": item.score_maximum,
        "activityProgress": "Completed", "gradingProgress": "FullyGraded",
        "timestamp": whole_second(item.timestamp).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }
    if item.comment:
        body["comment"] = item.comment
    if product == "canvas":
        # Keep a grade the teacher typed into Canvas's gradebook rather than overwriting it.
        body[CANVAS_SUBMISSION_EXTENSION] = {"prioritize_non_tool_grade": True, "new_submission": False}
    return body


def send_item(sessions: sessionmaker[Session], item_id: int, gradebooks: GradebookFactory, *,
              lease_seconds: float = DEFAULT_LEASE_SECONDS) -> str:
    """Publish one outbox item; returns its new status. Raises RetryLater for a retryable failure."""
    with sessions() as session:
        claim = claim_item(session, item_id, lease_seconds)
        if claim is None:
            item = session.get(SyncItem, item_id)
            return item.status if item is not None else "missing"
        item = session.get(SyncItem, item_id)
        assert item is not None
        course = _course(session, item.course_id)
        product = course.platform.product
        try:
            gradebook = gradebooks(session, course)
            line_item = session.scalar(select(SyncLineItem).where(SyncLineItem.course_id == item.course_id,
                                                                  SyncLineItem.target == item.target))
            if line_item is None:
                # Only the run's dispatcher creates columns (one at a time), so parallel senders cannot
                # create the same column twice; wait for it.
                return _release(session, item, "Waiting for the gradebook column to be created.")
            ref = _ref(line_item)
            if claim.in_doubt and _already_there(gradebook, ref, item):
                return _finish(session, item, "sent", None, "Already in the gradebook (an earlier attempt arrived).")
            answer = gradebook.publish_score(ref, score_body(item, product))
            if product == "canvas" and answer.status == 400 and "timestamp" in answer.message.lower() \
                    and not claim.in_doubt:
                # A teacher graded in Canvas after this score was planned: stamp it later and post once more
                # (prioritize_non_tool_grade still keeps the teacher's grade).
                _restamp(session, item)
                answer = gradebook.publish_score(ref, score_body(item, product))
        except AgsError as error:
            if error.retryable:
                return _release(session, item, error.message, in_doubt=error.in_doubt)
            return _finish(session, item, "failed", error.status, error.lms_message or error.message)
        except ServiceError as error:
            return _finish(session, item, "failed", None, str(error))
        return _record_answer(session, item, line_item, answer.status, answer.message, claim.in_doubt)


def _restamp(session: Session, item: SyncItem) -> None:
    later = whole_second(utcnow()) + timedelta(seconds=1)
    item.timestamp = max(later, whole_second(item.timestamp) + timedelta(seconds=1))
    state = session.scalar(select(SyncedScore).where(SyncedScore.course_id == item.course_id,
                                                     SyncedScore.person_id == item.person_id,
                                                     SyncedScore.target == item.target))
    if state is not None and (state.last_timestamp is None or state.last_timestamp < item.timestamp):
        state.last_timestamp = item.timestamp
    session.commit()


def _already_there(gradebook: AgsGradebook, ref: LineItemRef, item: SyncItem) -> bool:
    for result in gradebook.read_results(ref, item.user_id):
        given = result.get("resultScore")
        maximum = result.get("resultMaximum") or ref.score_maximum
        if str(result.get("userId")) == item.user_id and isinstance(given, (int, float)) and maximum:
            if math.isclose(given / maximum * item.score_maximum, item.score_given, abs_tol=1e-6):
                return True
    return False


def _record_answer(session: Session, item: SyncItem, line_item: SyncLineItem, status: int, message: str,
                   in_doubt: bool) -> str:
    if 200 <= status < 300:
        return _finish(session, item, "sent", status, "")
    if status in (400, 409) and "timestamp" in message.lower() and in_doubt:
        # Our own earlier attempt stored this timestamp: the grade is there.
        return _finish(session, item, "sent", status, "Already in the gradebook (an earlier attempt arrived).")
    if status == 404:
        session.delete(line_item)  # deleted in the LMS: the next sync creates the column again
        return _finish(session, item, "failed", status, "The gradebook column was deleted in the LMS; "
                       "the next sync creates it again.")
    if status in (400, 422) and "not found" in message.lower():
        return _finish(session, item, "failed", status, "The LMS does not list this student in the course "
                       f"(any more): {message}")
    if status == 409 or (status == 400 and "timestamp" in message.lower()):
        return _finish(session, item, "failed", status, "The LMS holds a newer grade for this student and column: "
                       f"{message}")
    return _finish(session, item, "failed", status, message or f"The LMS refused the score ({status}).")


def _finish(session: Session, item: SyncItem, status: str, lms_status: int | None, message: str) -> str:
    item.status, item.lms_status, item.lms_message = status, lms_status, message[:2000]
    state = session.scalar(select(SyncedScore).where(SyncedScore.course_id == item.course_id,
                                                     SyncedScore.person_id == item.person_id,
                                                     SyncedScore.target == item.target))
    if status == "sent":
        item.sent_at = utcnow()
        if state is not None:
            state.acknowledged_score, state.acknowledged_at = item.score_given, item.sent_at
    elif status == "failed" and state is not None and math.isclose(state.planned_score or -1, item.score_given):
        state.planned_score = state.acknowledged_score  # so the next sync plans this cell again
    session.commit()
    return status


def _release(session: Session, item: SyncItem, message: str, *, in_doubt: bool = False) -> str:
    """Give a retryable item back to the outbox and ask the caller to retry it later (never fail it: an LMS
    outage ends, and a grade dropped because it lasted longer than a fixed number of tries would be lost)."""
    attempts = item.attempts
    item.status, item.claimed_at, item.lms_message = "pending", None, message[:2000]
    session.commit()
    delay = max(retry_delay(attempts), IN_DOUBT_SETTLE_SECONDS) if in_doubt else retry_delay(attempts)
    raise RetryLater(message, delay=delay, attempts=attempts, in_doubt=in_doubt)


def retry_failed(session: Session, course_id: int) -> list[int]:
    """Put a course's failed items back in the outbox (newer items of the same cell win); returns their ids."""
    failed = session.scalars(select(SyncItem).where(SyncItem.course_id == course_id, SyncItem.status == "failed")
                             .order_by(SyncItem.id)).all()
    newest: dict[tuple[int, str], SyncItem] = {}
    for item in failed:
        newest[(item.person_id, item.target)] = item
    ids = []
    for item in failed:
        if newest[(item.person_id, item.target)] is item:
            item.status, item.attempts, item.claimed_at = "pending", 0, None
            ids.append(item.id)
        else:
            item.status = "superseded"
    session.flush()
    return ids


def unfinished_item_ids(session: Session, course_id: int | None = None, run_id: int | None = None) -> list[int]:
    """Ids of items not yet acknowledged (pending or being sent), oldest first."""
    query = select(SyncItem.id).where(SyncItem.status.in_(OPEN_STATUSES))
    if course_id is not None:
        query = query.where(SyncItem.course_id == course_id)
    if run_id is not None:
        query = query.where(SyncItem.run_id == run_id)
    return list(session.scalars(query.order_by(SyncItem.id)))


def send_items(sessions: sessionmaker[Session], item_ids: Iterable[int], gradebooks: GradebookFactory, *,
               workers: int = 8, lease_seconds: float = DEFAULT_LEASE_SECONDS,
               progress: Callable[[str], None] | None = None,
               in_doubt_settle: float = IN_DOUBT_SETTLE_SECONDS) -> Counter[str]:
    """Send items from a thread pool in this process; the platform's pacer decides how many are in flight."""
    statuses: Counter[str] = Counter()

    def one(item_id: int) -> str:
        for _round in range(MAX_ROUNDS + 1):
            try:
                return send_item(sessions, item_id, gradebooks, lease_seconds=lease_seconds)
            except RetryLater as retry:
                if retry.in_doubt:
                    time.sleep(in_doubt_settle)  # let a score the LMS is still storing land before the check
                continue  # otherwise the AGS client already waited out its backoff; take the item again
        return "pending"  # still in the outbox: the worker's sweep sends it once the LMS answers again

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sbg-sync") as pool:
        for status in pool.map(one, list(item_ids)):
            statuses[status] += 1
            if progress is not None:
                progress(status)
    return statuses


# ---------------------------------------------------------------------------
# Gradebook differences and status
# ---------------------------------------------------------------------------


def compare_with_gradebook(session: Session, course_id: int, gradebook: AgsGradebook) -> int:
    """Read the LMS's results of every column and record where it holds another score; returns how many differ."""
    people = dict(session.execute(select(Person.sub, Person.id).join(Enrollment, Enrollment.person_id == Person.id)
                                  .where(Enrollment.course_id == course_id)).all())
    states = {(s.person_id, s.target): s for s in session.scalars(
        select(SyncedScore).where(SyncedScore.course_id == course_id))}
    differ = 0
    moment = utcnow()
    for line_item in session.scalars(select(SyncLineItem).where(SyncLineItem.course_id == course_id)):
        for result in gradebook.read_results(_ref(line_item)):
            person_id = people.get(str(result.get("userId")))
            state = states.get((person_id, line_item.target)) if person_id is not None else None
            given = result.get("resultScore")
            if state is None or not isinstance(given, (int, float)):
                continue
            maximum = result.get("resultMaximum") or line_item.score_maximum
            held = given / maximum * line_item.score_maximum if maximum else given
            ours = state.acknowledged_score
            state.lms_checked_at = moment
            if ours is not None and not math.isclose(held, ours, abs_tol=1e-6):
                state.lms_score = held
                differ += 1
            else:
                state.lms_score = None
    session.flush()
    return differ


@dataclass
class RunProgress:
    """Done/total and errors of one run (or of everything open in a course)."""

    run_id: int | None
    total: int = 0
    sent: int = 0
    kept: int = 0
    pending: int = 0
    failed: int = 0
    superseded: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Items with a final answer."""
        return self.sent + self.kept + self.failed + self.superseded

    @property
    def finished(self) -> bool:
        """Nothing left to send."""
        return self.pending == 0

    def as_dict(self) -> dict[str, Any]:
        """JSON for the progress bar."""
        return {"run_id": self.run_id, "total": self.total, "done": self.done, "sent": self.sent,
                "pending": self.pending, "failed": self.failed, "superseded": self.superseded,
                "unchanged": self.unchanged, "finished": self.finished, "errors": self.errors}


def run_progress(session: Session, run_id: int) -> RunProgress:
    """Counts of a run's items by status, with the LMS's messages for failures."""
    run = session.get(SyncRun, run_id)
    if run is None:
        raise NotFound(f"No sync run {run_id}.")
    progress = RunProgress(run_id, unchanged=run.unchanged)
    names = dict(session.execute(select(Person.id, Person.name)
                                 .where(Person.id.in_(select(SyncItem.person_id).where(SyncItem.run_id == run_id)))).all())
    for item in session.scalars(select(SyncItem).where(SyncItem.run_id == run_id).order_by(SyncItem.id)):
        progress.total += 1
        if item.status in OPEN_STATUSES:
            progress.pending += 1
        elif item.status in ("sent", "kept", "failed", "superseded"):
            setattr(progress, item.status, getattr(progress, item.status) + 1)
        if item.status == "failed":
            progress.errors.append({"item": item.id, "student": names.get(item.person_id, ""),
                                    "column": item.target, "message": item.lms_message})
    return progress


def latest_run(session: Session, course_id: int) -> SyncRun | None:
    """The course's newest sync run."""
    return session.scalar(select(SyncRun).where(SyncRun.course_id == course_id).order_by(SyncRun.id.desc()).limit(1))


@dataclass(frozen=True)
class StudentSyncStatus:
    """One student's row in the sync status table."""

    person_id: int
    name: str
    sent: int
    pending: int
    failed: int
    last_error: str
    differences: int


def student_statuses(session: Session, course_id: int) -> list[StudentSyncStatus]:
    """Per student: cells acknowledged, waiting, failed (newest item per cell), last error, LMS differences."""
    newest: dict[tuple[int, str], SyncItem] = {}
    for item in session.scalars(select(SyncItem).where(SyncItem.course_id == course_id,
                                                       SyncItem.status != "superseded").order_by(SyncItem.id)):
        newest[(item.person_id, item.target)] = item
    differences = Counter(person_id for person_id, in session.execute(
        select(SyncedScore.person_id).where(SyncedScore.course_id == course_id, SyncedScore.lms_score.is_not(None))))
    names = dict(session.execute(select(Person.id, Person.name).where(
        Person.id.in_({key[0] for key in newest} | set(differences)))).all())
    rows: dict[int, dict[str, Any]] = {}
    for (person_id, _target), item in newest.items():
        row = rows.setdefault(person_id, {"sent": 0, "pending": 0, "failed": 0, "last_error": ""})
        if item.status in ("sent", "kept"):
            row["sent"] += 1
        elif item.status in OPEN_STATUSES:
            row["pending"] += 1
        else:
            row["failed"] += 1
            row["last_error"] = item.lms_message
    for person_id in differences:
        rows.setdefault(person_id, {"sent": 0, "pending": 0, "failed": 0, "last_error": ""})
    return sorted((StudentSyncStatus(pid, names.get(pid, ""), r["sent"], r["pending"], r["failed"], r["last_error"],
                                     differences.get(pid, 0)) for pid, r in rows.items()),
                  key=lambda s: (s.name.lower(), s.person_id))


def find_course(session: Session, platform_name: str, lms_course_id: str) -> Course:
    """A course by its platform's name and the LMS's course id (or the LTI context id)."""
    course = session.scalar(select(Course).join(Platform, Platform.id == Course.platform_id)
                            .where(Platform.name == platform_name,
                                   or_(Course.lms_course_id == lms_course_id, Course.context_id == lms_course_id))
                            .order_by(Course.id).limit(1))
    if course is None:
        raise NotFound(f"No course {lms_course_id!r} on platform {platform_name!r}.")
    return course


def _course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course {course_id}.")
    return course
