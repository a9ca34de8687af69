"""The LMS answers 5xx, then times out, for a minute in the middle of a gradebook sync and an evidence pull.

Starts the deployed stack (gunicorn over TLS, `sbg worker`, PostgreSQL, Redis) with the test LTI platform
(Canvas-shaped AGS, token endpoint) and the fake Canvas REST API, then runs three syncs of a fresh course
each: a baseline without an outage, one with a 5xx window and one with a time-out window (requests held
longer than the tool waits, then processed). Prints, per run, whether every planned score is in the
gradebook exactly once with its value, duplicate and refused posts, the evidence rows against Canvas's
submissions, /healthz and launch results during the run, and how long after the LMS recovered the last
grade arrived, with the sync time as a ratio of the baseline measured in the same run.

Run: .venv/bin/python -m benchmarks.lms_outage [--outage 60] [--students 20] [--standards 15]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")

from benchmarks.support.outage import OutageLab, OutagePlan, OutageReport  # noqa: E402
from benchmarks.support.stack import ProductionStack, StackOptions  # noqa: E402
from tests.fakes.canvas_server import FakeCanvas  # noqa: E402
from tests.lti_platform import LtiPlatform  # noqa: E402

#: The tool's AGS read time-out and the evidence pull's (production defaults); a hang must outlast both.
AGS_READ_TIMEOUT = 20.0
PULL_READ_TIMEOUT = 30.0


def describe(name: str, report: OutageReport, baseline: OutageReport | None) -> list[str]:
    """The lines printed for one run."""
    ratio = f" ({report.sync_seconds / baseline.sync_seconds:.1f}x the baseline)" if baseline and \
        baseline.sync_seconds else ""
    recovered = "" if report.recovered_after is None else \
        f"; last grade stored {report.recovered_after:.1f} s after the LMS recovered"
    refused = ", ".join(f"{count} x {status}" for status, count in sorted(report.refused_posts.items())) or "none"
    launches = ", ".join(f"{count} {outcome}" for outcome, count in sorted(report.launches.items()))
    health = ", ".join(f"{count} x {status}" for status, count in sorted(report.health.items()))
    return [
        f"== {name}",
        (f"  outage: {report.plan.mode or 'none'}"
         + (f", {report.plan.seconds:.0f} s from {report.outage_started_after:.1f} s after the sync was queued"
            f" ({report.requests_in_outage} LMS requests arrived during it)" if report.plan.mode else "")),
        (f"  sync: {report.planned} scores planned, items {dict(report.statuses)}, finished={report.finished}; "
         f"{report.sync_seconds:.1f} s from queue to last grade{ratio}{recovered}"),
        (f"  gradebook: {report.cells_with_score}/{report.planned} cells hold a score, {report.missing_cells} "
         f"missing, {report.wrong_values} wrong; {report.applied_posts} stored posts, {report.duplicate_posts} "
         f"duplicate; refused posts: {refused}"),
        f"  evidence: pull during the outage -> {report.first_pull}",
        f"            rows written by it that differ from Canvas: {report.rows_wrong_after_failed_pull}",
        f"            next pull -> {report.second_pull}",
        (f"            {report.evidence_rows} rows for {report.canvas_submissions} Canvas submissions, "
         f"{report.evidence_missing} missing, {report.evidence_wrong} wrong"),
        f"  tool: /healthz {health}; launches {launches}",
        (f"  exactly once: {'yes' if report.exactly_once else 'NO'}; evidence complete: "
         f"{'yes' if report.evidence_complete else 'NO'}"),
    ]


def main() -> int:
    """Run the baseline, the 5xx minute and the time-out minute; exit 1 if a grade or evidence was lost."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the LMS is down (default 60)")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--standards", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every LMS request")
    parser.add_argument("--modes", default="5xx,timeout", help="which outages to run (comma-separated)")
    args = parser.parse_args()
    # Stopped with SIGTERM, still stop the stack's processes and delete their files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    hang = max(AGS_READ_TIMEOUT, PULL_READ_TIMEOUT) + 5
    common = {"students": args.students, "standards": args.standards, "pull_read_timeout": PULL_READ_TIMEOUT,
              "start_after_scores": max(1, args.students * args.standards // 5)}
    reports: list[tuple[str, OutageReport]] = []
    with LtiPlatform() as lms, FakeCanvas() as canvas, \
            ProductionStack(StackOptions(web_workers=2, threads=4, queue_threads=4)) as stack, \
            OutageLab(stack, lms, canvas, latency=args.latency) as lab:
        baseline = lab.run(OutagePlan(mode=None, **common))  # type: ignore[arg-type]
        reports.append(("baseline: no outage", baseline))
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            plan = OutagePlan(mode=mode, seconds=args.outage, hang=hang if mode == "timeout" else 0.0,
                              **common)  # type: ignore[arg-type]
            title = (f"LMS answers 503 for {args.outage:.0f} s" if mode == "5xx" else
                     f"LMS holds every request {hang:.0f} s (tool waits {AGS_READ_TIMEOUT:.0f} s) "
                     f"for {args.outage:.0f} s")
            print(f"running: {title}", flush=True)
            reports.append((title, lab.run(plan)))
    print()
    print(f"Canvas course: {args.students} students x {args.standards} standards, {args.latency * 1000:.0f} ms "
          f"latency; gunicorn 2x4 over TLS, one `sbg worker` with 4 threads, PostgreSQL, Redis")
    for name, report in reports:
        print("\n".join(describe(name, report, baseline if report is not baseline else None)))
    lost = any(not (r.exactly_once and r.evidence_complete) for _, r in reports)
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
