"""The LMS answers 5xx, or hangs past the tool's time-out, for a few seconds in the middle of a gradebook sync
and an evidence pull, on the deployed stack: every grade arrives exactly once, no evidence is lost, and the
tool's own pages keep working. The same scenario as `benchmarks.lms_outage`, shortened: time-outs and the
outbox's retry schedule are scaled down through the environment so the window can be seconds, not a minute.

SBG_OUTAGE_SECONDS sets the window (default 4).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from benchmarks.support.outage import OutageLab, OutagePlan, OutageReport
from benchmarks.support.stack import ProductionStack, StackOptions
from tests.fakes.canvas_server import FakeCanvas
from tests.lti_platform import LtiPlatform

OUTAGE_SECONDS = float(os.environ.get("SBG_OUTAGE_SECONDS", "4"))
AGS_TIMEOUT = 1.0
PULL_TIMEOUT = 1.0
HANG = 2.5  # longer than both time-outs: the client gives up, the LMS still stores what it was sent


@pytest.fixture(scope="module")
def lab() -> Iterator[OutageLab]:
    """Its own stack (short time-outs and retry schedule), test LMS and fake Canvas."""
    env = {"SBG_AGS_TIMEOUT_SECONDS": str(AGS_TIMEOUT), "SBG_SYNC_RETRY_BASE_SECONDS": "0.5",
           "SBG_SYNC_RETRY_CAP_SECONDS": "2", "SBG_SYNC_IN_DOUBT_SECONDS": str(HANG)}
    with LtiPlatform() as lms, FakeCanvas() as canvas:
        try:
            stack = ProductionStack(StackOptions(web_workers=2, threads=4, queue_threads=4), extra_env=env).start()
        except RuntimeError as error:
            if os.environ.get("SBG_REQUIRE_SERVICES") == "1" or "not installed" not in str(error):
                raise
            pytest.skip(str(error))
        try:
            with OutageLab(stack, lms, canvas, latency=0.05) as running:
                yield running
        finally:
            stack.stop()


def plan(mode: str) -> OutagePlan:
    """A 30-score course whose outage starts after the first few scores arrived."""
    return OutagePlan(mode=mode, seconds=OUTAGE_SECONDS, hang=HANG if mode == "timeout" else 0.0, students=6,
                      standards=5, start_after_scores=4, evidence_students=8, evidence_assignments=10,
                      pull_read_timeout=PULL_TIMEOUT, finish_timeout=60)


def assert_recovered(report: OutageReport, lab: OutageLab) -> None:
    """Exactly once, nothing lost, and the tool answered throughout."""
    detail = f"{report}\n{lab.stack.log('worker-0.log')[-3000:]}"
    assert report.requests_in_outage > 0, "the outage never met a request: " + detail
    assert report.finished and set(report.statuses) == {"sent"}, detail
    assert report.cells_with_score == report.planned == 30 and report.missing_cells == 0, detail
    assert report.wrong_values == 0 and report.duplicate_posts == 0, detail
    assert report.rows_wrong_after_failed_pull == 0, detail
    assert report.evidence_complete and report.second_pull.startswith("ok"), detail
    assert set(report.health) == {200} and set(report.launches) == {"ok"}, detail


def test_a_few_seconds_of_lms_5xx_answers_lose_and_duplicate_nothing(lab):
    assert_recovered(lab.run(plan("5xx")), lab)


def test_a_few_seconds_of_lms_time_outs_lose_and_duplicate_nothing(lab):
    report = lab.run(plan("timeout"))
    assert_recovered(report, lab)
    # The hung score posts were stored after the tool gave up on them; it checked instead of posting again.
    assert report.applied_posts == report.planned
