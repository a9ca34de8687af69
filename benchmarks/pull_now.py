"""Benchmark: how long the teacher's "Pull scores now" request takes when it only queues the pull, next to the
same request running the whole pull inline (the behaviour before pulls moved to the background), measured in the
same run on a Canvas course (fake Canvas with latency per request). Also times the queued job itself.

Run from the repo root: `.venv/bin/python -m benchmarks.pull_now` (`--students 10 --assignments 10` is quicker).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")

from lti_tool import create_app
from lti_tool.adapters.canvas_oauth import CanvasToken
from lti_tool.jobs import queue
from lti_tool.services import lms_credentials
from lti_tool.services.platforms import add_district
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.db import session_scope
from lti_tool.storage.migrate import upgrade
from lti_tool.storage.models import Course, Enrollment, Person, Platform
from lti_tool.web.auth import SessionIdentity, issue_token
from tests.fakes.canvas_server import FakeCanvas, build_course

SECRET = "bench-secret-key-" + "x" * 32


def seed(session, server: FakeCanvas, secret: str, students: int) -> SessionIdentity:  # type: ignore[no-untyped-def]
    """A Canvas course with a roster, the developer key and a connected teacher; returns the teacher's identity."""
    district = add_district(session, "bench", actor="bench")
    seed_district_defaults(session, district.id)
    platform = Platform(district_id=district.id, name="bench", product="canvas", issuer="https://canvas.bench",
                        client_id="c", auth_url="https://a", token_url="https://t", jwks_url="https://j")
    session.add(platform)
    session.flush()
    course = Course(platform_id=platform.id, deployment_id="d", context_id="ctx", lms_course_id="101")
    teacher = Person(platform_id=platform.id, sub="teacher", lms_user_id="42")
    session.add_all([course, teacher])
    session.flush()
    session.add(Enrollment(course_id=course.id, person_id=teacher.id, role="teacher"))
    for n in range(students):
        person = Person(platform_id=platform.id, sub=f"s{n}", lms_user_id=str(5000 + n))
        session.add(person)
        session.flush()
        session.add(Enrollment(course_id=course.id, person_id=person.id, role="student"))
    box = lms_credentials.SecretBox(secret)
    lms_credentials.set_canvas_api_key(session, box, platform, client_id=server.client_id,
                                       client_secret=server.client_secret, api_url=server.base_url, actor="bench")
    issued = server.add_token("bench-access", refresh_token="bench-refresh")
    lms_credentials.save_grant(session, box, platform_id=platform.id, person_id=teacher.id, api_url=server.base_url,
                               token=CanvasToken(issued.access_token, "bench-refresh",
                                                 datetime.now(UTC) + timedelta(days=1)),
                               district_id=district.id, actor="bench")
    session.commit()
    return SessionIdentity(person_id=teacher.id, course_id=course.id, platform_id=platform.id,
                           district_id=district.id, role="teacher")


def timed_click(client, token: str) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    """Press "Pull scores now" once; returns the seconds the request took and where it redirected."""
    started = time.perf_counter()
    response = client.post("/teacher/setup/pull", data={"t": token})
    seconds = time.perf_counter() - started
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return seconds, response.headers["Location"]


def main() -> int:
    """Time the inline request (baseline), then the queued request and the job; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignments", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sbg-bench-"))
    app = create_app({"env": "test", "database_url": f"sqlite:///{folder}/bench.sqlite3", "instance_path": str(folder),
                      "base_url": "http://127.0.0.1:1", "secret_key": SECRET})
    runtime = app.extensions["sbg"]
    upgrade(runtime.engine)
    server = FakeCanvas(latency=args.latency).start()
    try:
        server.add_course(build_course(101, students=args.students, assignments=args.assignments))
        with session_scope(runtime.sessions) as session:
            identity = seed(session, server, SECRET, args.students)
        with app.test_request_context():
            token = issue_token(identity)
        client = app.test_client()

        queue.reconfigure("immediate")  # baseline: the pull runs inside the request
        inline_seconds, inline_location = timed_click(client, token)
        queue.reconfigure("sqlite", sqlite_path=str(folder / "queue.sqlite3"))
        queued_seconds, queued_location = timed_click(client, token)
        started = time.perf_counter()
        with app.app_context():
            task = queue.huey.dequeue()
            assert task is not None, "nothing was queued"
            queue.huey.execute(task)
        job_seconds = time.perf_counter() - started
    finally:
        queue.reconfigure("immediate")
        server.stop()
        runtime.engine.dispose()

    assert "Scores+pulled" in inline_location and "queued" in queued_location
    print(f"course: {args.students} students x {args.assignments} assignments, "
          f"{args.latency * 1000:.0f} ms latency per Canvas request")
    print(f"{'Pull scores now request':<44}{'wall time':>12}")
    print(f"{'baseline: pull inside the request':<44}{inline_seconds:>11.3f}s")
    print(f"{'queued: request only marks and enqueues':<44}{queued_seconds:>11.3f}s")
    print(f"{'the queued job (incremental re-pull)':<44}{job_seconds:>11.3f}s")
    print(f"the request is {inline_seconds / queued_seconds:.0f}x faster; it no longer grows with the course")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
