"""Student overview speed: server render time of the overview for 30 standards with 10 scores each.

Run: ``.venv/bin/python benchmarks/student_overview.py [--requests N]``. Builds a throwaway SQLite database
with one course (30 standards, 10 evidence items each, recalculated), then times N requests of the overview
and of one standard's page through the Flask test client, next to a baseline measured in the same run: the
tool's static home page, which renders a template without touching grading data. Target: overview < 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool import create_app
from lti_tool.services.grading import recalculate_course
from lti_tool.storage.db import session_scope
from lti_tool.storage.migrate import upgrade
from lti_tool.web.auth import SessionIdentity, issue_token
from tests.integration.student.course_data import (
    add_assignment,
    add_framework,
    add_policy,
    add_score,
    enroll,
    new_course,
    new_platform,
)

STANDARDS = 30
SCORES = 10


def build(app) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    """One course with the benchmark's data; returns a student token, the student id and a standard id."""
    runtime = app.extensions["sbg"]
    upgrade(runtime.engine)
    with session_scope(runtime.sessions) as session:
        platform = new_platform(session)
        course = new_course(session, platform)
        add_policy(session, platform.district_id)
        standards = add_framework(session, platform.district_id, course.id,
                                  [(f"S.{index + 1}", f"Standard number {index + 1}.") for index in range(STANDARDS)])
        student = enroll(session, course, "bench-student", name="Bench Student")
        for standard in standards:
            for number in range(SCORES):
                assignment = add_assignment(session, course.id, f"{standard.code} task {number + 1}", [standard])
                add_score(session, course.id, student, assignment, 4 + (number * 7 + standard.id) % 7, day=number)
        recalculate_course(session, course.id)
        identity = SessionIdentity(person_id=student.id, course_id=course.id, platform_id=platform.id,
                                   district_id=platform.district_id, role="student", locale="en")
        with app.test_request_context():
            token = issue_token(identity)
        return token, student.id, standards[0].id


def timed(client, url: str, requests: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds per request (after two warm-up requests); every response must be 200."""
    for _ in range(2):
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def percentile(samples: list[float], share: float) -> float:
    """The sample at this share of the sorted list."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sbg-bench-"))
    app = create_app({"env": "test", "database_url": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "base_url": "http://127.0.0.1:5000", "instance_path": str(folder),
                      "secret_key": "bench-secret-key-" + "x" * 32})
    token, student_id, standard_id = build(app)
    client = app.test_client()
    pages = {
        "baseline (home page)": "/",
        f"overview ({STANDARDS} standards x {SCORES} scores)": f"/student/students/{student_id}/?t={token}&since=",
        "one standard with chart and explanation": f"/student/students/{student_id}/standards/{standard_id}?t={token}",
    }
    results = {name: timed(client, url, args.requests) for name, url in pages.items()}
    baseline = statistics.median(results["baseline (home page)"])
    print(f"{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        print(f"{name:<48} {p50:8.2f} {percentile(samples, 0.95):8.2f} {p50 / baseline:11.1f}")
    overview = statistics.median(results[list(pages)[1]])
    print(f"target: overview p50 < 100 ms -> {'met' if overview < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
