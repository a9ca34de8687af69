"""Benchmark: pull a 40-student, 60-assignment course from the fake Canvas with 50 ms latency per request.

Prints wall time and request count of CanvasClient.pull_course next to a naive baseline that asks for each
submission separately, both measured in this run. Run from the repo root: `.venv/bin/python benchmarks/pull.py` (add `--baseline-limit 200` for a quick run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import StaticAccessToken
from lti_tool.adapters.http import build_session
from tests.fakes.canvas_server import FakeCanvas, build_course

COURSE_ID = "101"
TARGET_SECONDS = 10.0


def main() -> int:
    """Run both pulls and print the comparison; exit 1 if the optimised pull misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignments", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--baseline-limit", type=int, default=0,
                        help="time only this many baseline requests and extrapolate (0: run the whole baseline)")
    args = parser.parse_args()

    server = FakeCanvas(latency=args.latency).start()
    session = build_session("https://sbg.example")
    try:
        course = server.add_course(build_course(int(COURSE_ID), students=args.students,
                                                assignments=args.assignments))
        server.add_token("bench-token")
        client = CanvasClient(server.base_url, StaticAccessToken("bench-token"), session)

        started = time.perf_counter()
        data = client.pull_course(COURSE_ID)
        pull_seconds = time.perf_counter() - started
        pull_requests = client.request_count

        baseline = CanvasClient(server.base_url, StaticAccessToken("bench-token"), session)
        pairs = [(str(s["assignment_id"]), str(s["user_id"])) for s in course.submissions]
        timed = pairs[: args.baseline_limit] if args.baseline_limit else pairs
        started = time.perf_counter()
        baseline.list_assignments(COURSE_ID)
        for assignment_id, student_id in timed:
            baseline.get_submission(COURSE_ID, assignment_id, student_id)
        measured = time.perf_counter() - started
        baseline_requests = 1 + len(pairs)
        baseline_seconds = measured * baseline_requests / (1 + len(timed))
    finally:
        session.close()
        server.stop()

    note = "" if len(timed) == len(pairs) else f" (extrapolated from {1 + len(timed)} requests)"
    print(f"course: {args.students} students x {args.assignments} assignments, "
          f"{len(data.submissions)} submissions, {args.latency * 1000:.0f} ms latency per request")
    print(f"{'method':<28}{'requests':>10}{'wall time':>12}")
    print(f"{'pull_course (grouped)':<28}{pull_requests:>10}{pull_seconds:>11.2f}s")
    print(f"{'one request per submission':<28}{baseline_requests:>10}{baseline_seconds:>11.2f}s{note}")
    print(f"speed-up: {baseline_seconds / pull_seconds:.0f}x, "
          f"requests: {baseline_requests / pull_requests:.0f}x fewer; "
          f"target < {TARGET_SECONDS:.0f}s: {'met' if pull_seconds < TARGET_SECONDS else 'MISSED'}")
    return 0 if pull_seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
