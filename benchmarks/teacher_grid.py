"""Server render time of the teacher's mastery grid, 40 students × 30 standards, vs a per-cell query baseline
(one query per student and standard, how a naive template would read results) in the same run.

Run: .venv/bin/python -m benchmarks.teacher_grid [--students 40] [--standards 30] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")

from sqlalchemy import select  # noqa: E402

from lti_tool import create_app  # noqa: E402
from lti_tool.services.keys import ensure_signing_key  # noqa: E402
from lti_tool.storage.db import session_scope  # noqa: E402
from lti_tool.storage.migrate import upgrade  # noqa: E402
from lti_tool.storage.models import MasteryResultRecord  # noqa: E402
from lti_tool.web.auth import SessionIdentity, issue_token  # noqa: E402
from lti_tool.web.teacher.grid import build_grid  # noqa: E402
from tests.integration.student.course_data import enroll  # noqa: E402
from tests.integration.sync.gradebook_course import build_course  # noqa: E402
from tests.lti_platform import LtiPlatform  # noqa: E402


def run(students: int, standards: int, repeat: int) -> None:
    """Time GET /teacher/ in the app (server time) and the per-cell baseline."""
    folder = tempfile.mkdtemp(prefix="sbg-bench-")
    base = "http://127.0.0.1:5997"
    app = create_app({"env": "test", "database_url": f"sqlite:///{folder}/bench.sqlite3", "base_url": base,
                      "instance_path": folder, "log_level": "ERROR"})
    runtime = app.extensions["sbg"]
    upgrade(runtime.engine)
    with LtiPlatform() as lms, session_scope(runtime.sessions) as session:
        ensure_signing_key(session)
        made = build_course(session, lms, base, "canvas", students=students, standards=standards,
                            tool_jwks={"keys": []})
        from lti_tool.storage.models import Course

        course = session.get(Course, made.course_id)
        teacher = enroll(session, course, "bench-teacher", role="teacher", name="Tess Morgan")
        identity = SessionIdentity(teacher.id, course.id, course.platform_id, course.platform.district_id, "teacher")
        session.commit()
    with app.test_request_context():
        token = issue_token(identity)
    client = app.test_client()
    assert client.get("/teacher/", query_string={"t": token}).status_code == 200  # warm templates and caches

    page_times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/teacher/", query_string={"t": token})
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
    cells = response.get_data(as_text=True).count('class="cell')

    baseline_times = []
    for _ in range(max(3, repeat // 5)):
        with app.app_context(), session_scope(runtime.sessions) as session:
            started = time.perf_counter()
            grid = build_grid(session, made.course_id)
            for row in grid.rows:  # what a template asking for each cell's result would cost
                for standard in grid.standards:
                    session.scalar(select(MasteryResultRecord).where(
                        MasteryResultRecord.course_id == made.course_id,
                        MasteryResultRecord.person_id == row.person_id,
                        MasteryResultRecord.standard_id == standard.id))
            baseline_times.append(time.perf_counter() - started)

    median, baseline = statistics.median(page_times), statistics.median(baseline_times)
    print(f"Teacher grid: {students} students x {standards} standards ({cells} cells rendered)")
    print(f"  GET /teacher/ server time, median of {repeat}: {median * 1000:.1f} ms "
          f"(p90 {sorted(page_times)[int(0.9 * (len(page_times) - 1))] * 1000:.1f} ms; target < 100 ms)")
    print(f"  per-cell query baseline (data only, no rendering): {baseline * 1000:.1f} ms")
    print(f"  ratio baseline / grid page: {baseline / median:.1f}x")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--standards", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    run(args.students, args.standards, args.repeat)


if __name__ == "__main__":
    main()
