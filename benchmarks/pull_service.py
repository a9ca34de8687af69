"""Benchmark: the full intake path (Canvas pull -> evidence rows -> recalculation) for a 40-student, 60-assignment
course on the fake Canvas with 50 ms latency per request, next to a naive one-request-per-submission baseline
measured in the same run. Also times the incremental re-pull that follows.

Run from the repo root: `.venv/bin/python benchmarks/pull_service.py` (add `--baseline-limit 100` for a quick run).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import StaticAccessToken
from lti_tool.adapters.http import build_session
from lti_tool.services import evidence
from lti_tool.services.platforms import add_district
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.db import make_engine, make_session_factory
from lti_tool.storage.migrate import upgrade
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    Enrollment,
    Framework,
    Person,
    Platform,
    Standard,
)
from tests.fakes.canvas_server import FakeCanvas, build_course

TARGET_SECONDS = 10.0


def seed(session, students: int) -> int:  # type: ignore[no-untyped-def]
    """A district, Canvas platform, course, roster and a one-standard framework; returns the course id."""
    district = add_district(session, "bench", actor="bench")
    seed_district_defaults(session, district.id)
    platform = Platform(district_id=district.id, name="bench", product="canvas", issuer="https://canvas.bench",
                        client_id="c", auth_url="https://a", token_url="https://t", jwks_url="https://j")
    session.add(platform)
    session.flush()
    course = Course(platform_id=platform.id, deployment_id="d", context_id="ctx", lms_course_id="101")
    framework = Framework(district_id=district.id, identifier="fw", title="Ratios")
    session.add_all([course, framework])
    session.flush()
    session.add(Standard(framework_id=framework.id, identifier="rp1", code="6.RP.A.1"))
    session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
    for n in range(students):
        person = Person(platform_id=platform.id, sub=f"s{n}", lms_user_id=str(5000 + n))
        session.add(person)
        session.flush()
        session.add(Enrollment(course_id=course.id, person_id=person.id, role="student"))
    session.commit()
    return course.id


def main() -> int:
    """Run the service pull, the re-pull and the baseline; print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignments", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--baseline-limit", type=int, default=0,
                        help="time only this many baseline requests and extrapolate (0: the whole baseline)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="sbg-bench-")
    engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
    upgrade(engine)
    sessions = make_session_factory(engine)
    server = FakeCanvas(latency=args.latency).start()
    http = build_session("https://sbg.example")
    try:
        course = server.add_course(build_course(101, students=args.students, assignments=args.assignments))
        server.add_token("bench-token")
        with sessions() as session:
            course_id = seed(session, args.students)
            client = CanvasClient(server.base_url, StaticAccessToken("bench-token"), http)
            started = time.perf_counter()
            first = evidence.pull_canvas(session, session.get(Course, course_id), client, full=True)
            first_seconds = time.perf_counter() - started
            first_requests = client.request_count
            started = time.perf_counter()
            again = evidence.pull_canvas(session, session.get(Course, course_id), client)
            again_seconds = time.perf_counter() - started
            again_requests = client.request_count - first_requests

        baseline = CanvasClient(server.base_url, StaticAccessToken("bench-token"), http)
        pairs = [(str(s["assignment_id"]), str(s["user_id"])) for s in course.submissions]
        timed = pairs[: args.baseline_limit] if args.baseline_limit else pairs
        started = time.perf_counter()
        baseline.list_assignments("101")
        for assignment_id, student_id in timed:
            baseline.get_submission("101", assignment_id, student_id)
        measured = time.perf_counter() - started
        baseline_requests = 1 + len(pairs)
        baseline_seconds = measured * baseline_requests / (1 + len(timed))
    finally:
        http.close()
        server.stop()

    note = "" if len(timed) == len(pairs) else f" (extrapolated from {1 + len(timed)} requests)"
    print(f"course: {args.students} students x {args.assignments} assignments, {len(course.submissions)} submissions, "
          f"{args.latency * 1000:.0f} ms latency per request")
    print(f"{'path':<44}{'requests':>10}{'wall time':>12}")
    print(f"{'service pull (store + recalculate), first':<44}{first_requests:>10}{first_seconds:>11.2f}s"
          f"   {first.added} added")
    print(f"{'incremental re-pull (graded_since)':<44}{again_requests:>10}{again_seconds:>11.2f}s"
          f"   {again.added} added, {again.updated} updated, {again.unchanged} unchanged")
    print(f"{'naive: one request per submission':<44}{baseline_requests:>10}{baseline_seconds:>11.2f}s{note}")
    print(f"speed-up: {baseline_seconds / first_seconds:.0f}x, requests: {baseline_requests / first_requests:.0f}x "
          f"fewer; target < {TARGET_SECONDS:.0f}s: {'met' if first_seconds < TARGET_SECONDS else 'MISSED'}")
    return 0 if first_seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
