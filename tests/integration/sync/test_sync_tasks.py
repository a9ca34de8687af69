"""`sbg worker` processes killed with SIGKILL in the middle of a sync and restarted: every grade arrives once.

Runs against a SQLite queue file and against the hermetic Redis. The worker is a separate process on the
same database; the test enqueues through the same queue after pointing the huey instance at it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_tool.jobs import queue
from lti_tool.jobs.sync_tasks import queue_run_after_commit
from lti_tool.services import sync
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import SyncItem

SECRET = "test-secret-key-" + "x" * 32
SBG = str(Path(sys.executable).with_name("sbg"))


@pytest.fixture()
def restore_queue() -> Iterator[None]:
    """Put the huey instance back to inline mode after the test."""
    yield
    queue.reconfigure("immediate")


def start_worker(app, live_server: str, extra_env: dict[str, str], log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """`sbg worker` on the test database, with a short claim lease so a dead worker's items are taken over."""
    settings = app.config["SBG_SETTINGS"]
    env = {**os.environ, "SBG_ENV": "test", "DATABASE_URL": settings.database_url, "SECRET_KEY": SECRET,
           "SBG_BASE_URL": live_server, "SBG_INSTANCE_PATH": settings.instance_path,
           "SBG_SYNC_LEASE_SECONDS": "3", **extra_env}
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([SBG, "worker", "--workers", "3", "--no-periodic"], env=env, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def run_killed_and_restarted(app, lms, live_server, course_factory, tmp_path, env):  # type: ignore[no-untyped-def]
    made = course_factory("moodle", students=12, standards=4)
    lms.faults.latency = 0.08  # slow enough to kill the worker in the middle
    log = tmp_path / "worker.log"
    worker = start_worker(app, live_server, env, log)
    try:
        with session_scope(app.extensions["sbg"].sessions) as session:
            run = sync.plan_sync(session, made.course_id, trigger="cli", actor="test")
            run_id = run.id
            queue_run_after_commit(session, run_id)
        applied = lambda: [p for p in lms.ags.score_posts  # noqa: E731
                           if p.applied and p.body.get("userId") in made.people]
        wait_for(lambda: len(applied()) >= 10, 60, "the first scores")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert len(applied()) < 48, "the worker finished before it could be killed"
        worker = start_worker(app, live_server, env, log)

        def finished() -> bool:
            with session_scope(app.extensions["sbg"].sessions) as session:
                return sync.run_progress(session, run_id).finished

        wait_for(finished, 120, "the restarted worker to finish:\n" + log.read_text(errors="replace")[-3000:])
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGINT)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    per_cell = Counter((p.line_item_id, p.body["userId"]) for p in applied())
    assert len(per_cell) == 48 and set(per_cell.values()) == {1}, per_cell
    with session_scope(app.extensions["sbg"].sessions) as session:
        statuses = Counter(session.scalars(select(SyncItem.status).where(SyncItem.run_id == run_id)))
    assert statuses == {"sent": 48}


def test_a_worker_killed_mid_sync_on_the_sqlite_queue_loses_and_duplicates_nothing(
        app, lms, live_server, course_factory, tmp_path, restore_queue):
    queue_file = str(Path(app.config["SBG_SETTINGS"].instance_path) / "queue.sqlite3")
    queue.reconfigure("sqlite", sqlite_path=queue_file)
    run_killed_and_restarted(app, lms, live_server, course_factory, tmp_path, {"SBG_QUEUE_MODE": "sqlite"})


def test_a_worker_killed_mid_sync_on_redis_loses_and_duplicates_nothing(
        app, lms, live_server, course_factory, tmp_path, redis_server, restore_queue):
    queue.reconfigure("redis", redis_url=redis_server.url, secret=SECRET)
    queue.huey.flush()
    run_killed_and_restarted(app, lms, live_server, course_factory, tmp_path,
                             {"SBG_QUEUE_MODE": "redis", "REDIS_URL": redis_server.url})
