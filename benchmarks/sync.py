"""Gradebook sync of 3,000 scores (100 students × 30 standards) to the test LMS with 50 ms latency and Canvas's
leaky-bucket throttle: the outbox sender (shared token, keep-alive, adaptive pacing) vs a naive baseline (one
request at a time, a new access token per score), measured in the same run.

The naive baseline runs on a sample of the scores (default 300) and its wall time is scaled to the full
count, because it needs several minutes otherwise; its requests and tokens per score are measured as is.

Run: .venv/bin/python -m benchmarks.sync [--students 100] [--standards 30] [--baseline-sample 300]
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

from lti_tool import create_app  # noqa: E402
from lti_tool.adapters.lti.ags import service_url  # noqa: E402
from lti_tool.adapters.lti.service_auth import ServiceClient  # noqa: E402
from lti_tool.services import sync  # noqa: E402
from lti_tool.services.keys import ensure_signing_key, published_jwks  # noqa: E402
from lti_tool.storage.db import session_scope  # noqa: E402
from lti_tool.storage.migrate import upgrade  # noqa: E402
from lti_tool.storage.models import Course, Platform, SyncItem  # noqa: E402
from tests.integration.sync.gradebook_course import build_course  # noqa: E402
from tests.lti_platform import CanvasThrottle, LtiPlatform  # noqa: E402


def run(students: int, standards: int, sample: int) -> None:
    """Build two identical courses (one per mode, each its own developer key and bucket) and sync them."""
    folder = tempfile.mkdtemp(prefix="sbg-bench-")
    base = "http://127.0.0.1:5998"
    app = create_app({"env": "test", "database_url": f"sqlite:///{folder}/bench.sqlite3", "base_url": base,
                      "instance_path": folder, "log_level": "ERROR"})
    runtime = app.extensions["sbg"]
    upgrade(runtime.engine)
    with session_scope(runtime.sessions) as session:
        ensure_signing_key(session)
        jwks = published_jwks(session)
    total = students * standards
    with LtiPlatform(throttle=CanvasThrottle(enabled=True)) as lms, app.app_context():
        with session_scope(runtime.sessions) as session:
            ours = build_course(session, lms, base, "canvas", students=students, standards=standards, tool_jwks=jwks)
            naive = build_course(session, lms, base, "canvas", students=students, standards=standards, tool_jwks=jwks)
        lms.faults.latency = 0.05
        gradebooks = sync.gradebook_factory(runtime.http, runtime.service_tokens)

        # -- the outbox sender ------------------------------------------------------------------
        start_index, tokens_before, throttled_before = len(lms.requests), lms.stats.token_requests, lms.stats.throttled
        started = time.perf_counter()
        with session_scope(runtime.sessions) as session:
            run_row = sync.plan_sync(session, ours.course_id, trigger="cli", actor="bench")
            run_id = run_row.id
        with session_scope(runtime.sessions) as session:
            course = session.get(Course, ours.course_id)
            sync.ensure_line_items(session, ours.course_id, gradebooks(session, course))
            item_ids = sync.unfinished_item_ids(session, run_id=run_id)
        statuses = sync.send_items(runtime.sessions, item_ids, gradebooks, workers=8)
        wall = time.perf_counter() - started
        ours_requests = [r for r in lms.requests[start_index:] if r.client_id == ours.client_id]
        tokens = lms.stats.token_requests - tokens_before
        throttled = lms.stats.throttled - throttled_before
        first = ours_requests[0].at if ours_requests else 0.0
        throttled_late = sum(1 for r in ours_requests if r.status == 403 and r.at - first > 60)
        assert statuses == {"sent": total}, statuses

        # -- the naive baseline: one request at a time, a new token per score --------------------
        with session_scope(runtime.sessions) as session:
            course = session.get(Course, naive.course_id)
            platform = session.get(Platform, course.platform_id)
            client = ServiceClient(platform.issuer, platform.client_id, platform.token_url)
            lines = sync.ensure_line_items(session, naive.course_id, gradebooks(session, course))
            run_row = sync.plan_sync(session, naive.course_id, trigger="cli", actor="bench")
            items = session.query(SyncItem).filter(SyncItem.run_id == run_row.id).order_by(SyncItem.id).all()[:sample]
            work = [(lines[item.target].url, sync.score_body(item, "canvas")) for item in items]
        naive_index, naive_tokens_before = len(lms.requests), lms.stats.token_requests
        naive_throttled_before = lms.stats.throttled
        started = time.perf_counter()
        sent = 0
        for url, body in work:
            scopes = ("https://purl.imsglobal.org/spec/lti-ags/scope/score",)
            runtime.service_tokens.forget(client, scopes)
            token = runtime.service_tokens.token(client, scopes)
            for _attempt in range(20):
                answer = runtime.http.post(service_url(url, "/scores"), json=body, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/vnd.ims.lis.v1.score+json"})
                if answer.status_code != 403:
                    break
                time.sleep(1.0)  # throttled: wait and try again
            sent += answer.ok
        naive_wall = (time.perf_counter() - started) * total / max(len(work), 1)
        naive_requests = [r for r in lms.requests[naive_index:] if r.client_id == naive.client_id]
        naive_tokens = lms.stats.token_requests - naive_tokens_before
        naive_throttled = lms.stats.throttled - naive_throttled_before

    score_posts = sum(1 for r in ours_requests if r.kind == "scores")
    print(f"Gradebook sync: {students} students x {standards} standards = {total} scores, 50 ms latency, "
          f"Canvas leaky bucket (600 / 10 per s / 50 up front)")
    print(f"{'':32}{'sbg outbox sender':>22}{'naive baseline':>22}")
    print(f"{'wall time (s)':32}{wall:>22.1f}{naive_wall:>22.1f}   (baseline: {len(work)} scores, scaled)")
    print(f"{'AGS requests per score':32}{len(ours_requests) / total:>22.4f}{len(naive_requests) / max(len(work), 1):>22.4f}")
    print(f"{'  of which score posts':32}{score_posts / total:>22.4f}")
    print(f"{'token requests':32}{tokens:>22d}{naive_tokens:>22d}   (baseline: per {len(work)} scores)")
    print(f"{'throttled answers (403)':32}{throttled:>22d}{naive_throttled:>22d}")
    print(f"{'throttled after the first min':32}{throttled_late:>22d}")
    print(f"speed-up: {naive_wall / wall:.1f}x; tokens per hour of sync: {tokens / max(wall / 3600, 1):.0f} "
          f"(one token lives 1 h); line item requests: "
          f"{sum(1 for r in ours_requests if r.kind.startswith('lineitem'))}")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--standards", type=int, default=30)
    parser.add_argument("--baseline-sample", type=int, default=300)
    args = parser.parse_args()
    run(args.students, args.standards, args.baseline_sample)


if __name__ == "__main__":
    main()
