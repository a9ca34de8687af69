"""Gradebook sync tasks: id-only, idempotent (claims make a duplicate task harmless), retried with backoff.

Queued only after the transaction that wrote the outbox commits (`queue_run_after_commit`), so a worker never
looks for rows that are not there yet. A worker that starts, and a periodic task, queue every unacknowledged
item again: a crash, restart or deploy loses nothing, and the claim/lease in `services.sync` keeps an item
from being sent by two workers at once.

While the LMS is down or slow, an item reschedules itself on the outbox's capped exponential backoff
(`SBG_SYNC_RETRY_BASE_SECONDS`, `SBG_SYNC_RETRY_CAP_SECONDS`) for as long as it takes; each rescheduled
task carries the claim count it expects, so when the sweep or another task has taken the item meanwhile,
the older task steps aside instead of adding a second retry chain.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from .context import job_app, job_session
from .queue import huey

log = logging.getLogger(__name__)
_resumed_once = threading.Event()


def lease_seconds() -> float:
    """How long a sender's claim lasts before another worker takes the item over (`SBG_SYNC_LEASE_SECONDS`)."""
    from lti_tool.services.sync import DEFAULT_LEASE_SECONDS

    try:
        return float(os.environ.get("SBG_SYNC_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    except ValueError:
        return float(DEFAULT_LEASE_SECONDS)


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def retry_after(attempts: int) -> float:
    """The outbox's delay before the next try after `attempts` failed rounds, with this deployment's schedule."""
    from lti_tool.services.sync import RETRY_BASE_SECONDS, RETRY_CAP_SECONDS, retry_delay

    return retry_delay(attempts, base=_env_seconds("SBG_SYNC_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS),
                       cap=_env_seconds("SBG_SYNC_RETRY_CAP_SECONDS", RETRY_CAP_SECONDS))


def in_doubt_settle() -> float:
    """How long an item whose last post may have arrived waits before it is checked (`SBG_SYNC_IN_DOUBT_SECONDS`)."""
    from lti_tool.services.sync import IN_DOUBT_SETTLE_SECONDS

    return _env_seconds("SBG_SYNC_IN_DOUBT_SECONDS", IN_DOUBT_SETTLE_SECONDS)


def next_try_delay(attempts: int, in_doubt: bool) -> float:
    """The delay before an item's next round: the backoff, and never less than the settle time when in doubt."""
    delay = retry_after(attempts)
    return max(delay, in_doubt_settle()) if in_doubt else delay


def ags_timeout() -> tuple[float, float]:
    """Connect and read time-outs of AGS calls (`SBG_AGS_TIMEOUT_SECONDS` sets the read time-out)."""
    return 3.05, _env_seconds("SBG_AGS_TIMEOUT_SECONDS", 20.0)


def _runtime() -> Any:
    return job_app().extensions["sbg"]


def _gradebooks() -> Any:
    from lti_tool.services.sync import gradebook_factory

    runtime = _runtime()
    return gradebook_factory(runtime.http, runtime.service_tokens, timeout=ags_timeout())


def _overtaken(item_id: int, expected_attempts: int | None) -> str | None:
    """The item's status when a newer task has claimed it since this one was scheduled (None: go ahead)."""
    if expected_attempts is None:
        return None
    from lti_tool.storage.models import SyncItem

    with job_session() as session:
        item = session.get(SyncItem, item_id)
        if item is None:
            return "missing"
        if item.attempts != expected_attempts:
            return item.status
    return None


@huey.task(retries=3, retry_delay=15)
def send_sync_item(item_id: int, expected_attempts: int | None = None) -> str:
    """Publish one outbox item; reschedules itself on throttling/outages and when another worker holds it."""
    from lti_tool.services.sync import RetryLater, lease_left, send_item

    runtime = _runtime()
    lease = lease_seconds()
    with job_app().app_context():
        overtaken = _overtaken(item_id, expected_attempts)
        if overtaken is not None:
            return overtaken
        for _round in range(8):
            try:
                status = send_item(runtime.sessions, item_id, _gradebooks(), lease_seconds=lease)
            except RetryLater as retry:
                if huey.immediate:
                    if retry.in_doubt:
                        time.sleep(in_doubt_settle())  # let a score the LMS is still storing land first
                    continue  # inline: the AGS client has already waited; try again now
                send_sync_item.schedule((item_id, retry.attempts),
                                        delay=next_try_delay(retry.attempts, retry.in_doubt))
                return "rescheduled"
            if status == "sending" and not huey.immediate:
                # Another sender holds it; if that sender died, take the item over when its lease ends.
                with job_session() as session:
                    left = lease_left(session, item_id, lease)
                if left is not None:
                    send_sync_item.schedule((item_id,), delay=left + 1)
            return status
    return "pending"


@huey.task(retries=3, retry_delay=15)
def dispatch_sync_run(run_id: int, round_: int = 0) -> int:
    """Make sure the run's columns exist (one listing, creations), then queue (or, inline, send) its items.

    While the LMS is down the dispatch reschedules itself on the outbox's backoff, however long that takes.
    """
    from lti_tool.adapters.lti.ags import AgsError
    from lti_tool.services.sync import ensure_line_items, send_items, unfinished_item_ids
    from lti_tool.storage.models import Course, SyncRun

    runtime = _runtime()
    gradebooks = _gradebooks()
    with job_app().app_context():
        with job_session() as session:
            run = session.get(SyncRun, run_id)
            if run is None:
                return 0
            course = session.get(Course, run.course_id)
            assert course is not None
            item_ids = unfinished_item_ids(session, run_id=run_id)
            # Also with nothing to send: a renamed standard or a new scale maximum updates its column.
            try:
                ensure_line_items(session, run.course_id, gradebooks(session, course))
            except AgsError as error:
                if not error.retryable or huey.immediate:
                    raise
                log.warning("sync run %s waits for the LMS: %s", run_id, error.message)
                # A column creation that timed out may still appear: list only after it has settled.
                dispatch_sync_run.schedule((run_id, round_ + 1), delay=next_try_delay(round_ + 1, error.in_doubt))
                return 0
        if huey.immediate:
            send_items(runtime.sessions, item_ids, gradebooks, lease_seconds=lease_seconds(),
                   in_doubt_settle=in_doubt_settle())
        else:
            for item_id in item_ids:
                send_sync_item(item_id)
    return len(item_ids)


@huey.task()
def resume_unfinished_items() -> int:
    """Queue every item that is not acknowledged yet (after a crash, restart or deploy)."""
    from lti_tool.services.sync import ensure_line_items, unfinished_item_ids
    from lti_tool.storage.models import Course, SyncItem

    gradebooks = _gradebooks()
    with job_app().app_context(), job_session() as session:
        item_ids = unfinished_item_ids(session)
        course_ids = {session.get(SyncItem, item_id).course_id for item_id in item_ids}  # type: ignore[union-attr]
        for course_id in sorted(course_ids):
            try:  # a dispatcher that died before creating the columns leaves this to us
                ensure_line_items(session, course_id, gradebooks(session, session.get(Course, course_id)))
            except Exception:  # noqa: BLE001 - the items stay pending and are tried again later
                log.exception("could not prepare the gradebook columns of course %s", course_id)
    for item_id in item_ids:
        send_sync_item(item_id)
    return len(item_ids)


@huey.periodic_task(crontab(minute="*/5"))
def resume_stalled_sync() -> int:
    """Every five minutes, queue items left behind by a sender that died."""
    return resume_unfinished_items.call_local()  # type: ignore[no-any-return]


@huey.on_startup()
def _resume_after_start() -> None:
    """When a worker process starts, queue unacknowledged items once (not once per worker thread)."""
    if huey.immediate or _resumed_once.is_set():
        return
    _resumed_once.set()
    try:
        resume_unfinished_items()
    except Exception:  # noqa: BLE001 - a worker must start even if the database is briefly unreachable
        log.exception("could not queue unfinished sync items at start-up")


def queue_run_after_commit(session: Session, run_id: int) -> None:
    """Dispatch a planned run once the session that wrote it commits (never before: the rows must exist)."""

    def _dispatch(_session: Session) -> None:
        dispatch_sync_run(run_id)

    event.listen(session, "after_commit", _dispatch, once=True)


def dispatch_planned_runs(session: Session) -> None:
    """After any commit: dispatch the sync runs services planned in that transaction (wired in create_app)."""
    from lti_tool.services.sync import PLANNED_RUNS_KEY

    for run_id in session.info.pop(PLANNED_RUNS_KEY, []):
        dispatch_sync_run(run_id)


def queue_planned_runs(session: Session) -> None:
    """Dispatch every run that services planned in this session's transaction, once it commits."""
    from lti_tool.services.sync import PLANNED_RUNS_KEY

    for run_id in session.info.pop(PLANNED_RUNS_KEY, []):
        queue_run_after_commit(session, run_id)


def queue_items(item_ids: list[int]) -> None:
    """Queue already committed items (retry of failed ones)."""
    if huey.immediate:
        from lti_tool.services.sync import send_items

        runtime = _runtime()
        send_items(runtime.sessions, item_ids, _gradebooks(), lease_seconds=lease_seconds(),
                   in_doubt_settle=in_doubt_settle())
        return
    for item_id in item_ids:
        send_sync_item(item_id)
