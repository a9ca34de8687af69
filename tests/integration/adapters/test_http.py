"""Contract tests for the shared HTTP layer: User-Agent, retries, backoff, pacing, pagination and errors."""

from __future__ import annotations

import http.client
import logging

import pytest
import requests

from lti_tool.adapters.http import (
    LmsPermissionDenied,
    LmsThrottled,
    LmsUnauthorized,
    LmsUnavailable,
    PacerSettings,
    RatePacer,
    RequestRunner,
    RetrySettings,
    user_agent,
)
from tests.fakes.canvas_server import FakeCanvas, build_course
from tests.integration.adapters.conftest import TOOL_URL, SleepRecorder


@pytest.fixture
def runner(session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> RequestRunner:
    """A runner whose pauses are recorded, not slept."""
    return RequestRunner(session=session, lms_name="Canvas", retry=fast_retry,
                         pacer=RatePacer(PacerSettings(low_water=100, max_delay=2.0), sleep=sleeps), sleep=sleeps)


@pytest.fixture
def canvas(fake_canvas: FakeCanvas) -> FakeCanvas:
    """The fake Canvas with one course and a never-expiring token."""
    fake_canvas.add_course(build_course(101, students=3, assignments=25))
    fake_canvas.add_token("good-token")
    return fake_canvas


def assignments_url(canvas: FakeCanvas) -> str:
    return f"{canvas.base_url}/api/v1/courses/101/assignments"


AUTH = {"Authorization": "Bearer good-token"}


def test_every_request_carries_the_identifiable_user_agent(runner: RequestRunner, canvas: FakeCanvas) -> None:
    runner.get_json(assignments_url(canvas), params={"per_page": 5}, headers=AUTH)
    sent = canvas.requests[-1].headers["User-Agent"]
    assert sent == user_agent(TOOL_URL)
    assert sent.startswith("sbg/") and sent.endswith(f"(+{TOOL_URL})")


def test_the_fake_canvas_refuses_a_request_without_user_agent_as_canvas_does(canvas: FakeCanvas) -> None:
    # http.client sends no User-Agent of its own (requests and urllib3 always add one).
    connection = http.client.HTTPConnection("127.0.0.1", int(canvas.base_url.rsplit(":", 1)[1]), timeout=2)
    connection.request("GET", "/api/v1/courses/101/assignments", headers=AUTH)
    assert connection.getresponse().status == 403
    connection.close()


def test_link_pagination_is_followed_as_opaque_urls_until_the_last_page(runner: RequestRunner,
                                                                         canvas: FakeCanvas) -> None:
    pages = list(runner.iter_pages(assignments_url(canvas), params={"per_page": 10}, headers=AUTH))
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [page[0]["id"] for page in pages] == [700, 710, 720]
    later_pages = [dict(r.query)["page"] for r in canvas.requests[1:]]
    assert len(later_pages) == 2 and all(page.startswith("bookmark:") for page in later_pages)


def test_a_throttled_403_is_retried_with_backoff_and_then_succeeds(runner: RequestRunner, canvas: FakeCanvas,
                                                                   sleeps: SleepRecorder) -> None:
    canvas.fail_next("throttle_403", times=2)
    body, _ = runner.get_json(assignments_url(canvas), params={"per_page": 5}, headers=AUTH)
    assert len(body) == 5
    assert canvas.count("/assignments") == 3
    assert len(sleeps.pauses) == 2 and all(0 < pause <= 0.06 for pause in sleeps.pauses)


def test_retry_after_is_honoured_over_the_backoff(runner: RequestRunner, canvas: FakeCanvas,
                                                  sleeps: SleepRecorder) -> None:
    canvas.fail_next("status_429", retry_after=3)
    runner.get_json(assignments_url(canvas), headers=AUTH)
    assert sleeps.pauses == [3.0]


def test_a_very_long_retry_after_is_capped(runner: RequestRunner, canvas: FakeCanvas,
                                           sleeps: SleepRecorder) -> None:
    canvas.fail_next("status_503", retry_after=3600)
    runner.get_json(assignments_url(canvas), headers=AUTH)
    assert sleeps.pauses == [5.0]


def test_server_errors_are_retried_until_attempts_run_out(runner: RequestRunner, canvas: FakeCanvas) -> None:
    canvas.fail_next("status_500", times=10)
    with pytest.raises(LmsUnavailable) as error:
        runner.get_json(assignments_url(canvas), headers=AUTH)
    assert error.value.status == 500
    assert canvas.count("/assignments") == 4  # max_attempts


def test_persistent_throttling_ends_in_lms_throttled(runner: RequestRunner, canvas: FakeCanvas) -> None:
    canvas.fail_next("throttle_403", times=10)
    with pytest.raises(LmsThrottled):
        runner.get_json(assignments_url(canvas), headers=AUTH)


def test_a_read_timeout_is_retried(session: requests.Session, canvas: FakeCanvas, fast_retry: RetrySettings,
                                   sleeps: SleepRecorder) -> None:
    from lti_tool.adapters.http import HttpSettings, build_session
    quick = build_session(TOOL_URL, HttpSettings(connect_timeout=1, read_timeout=0.2))
    runner = RequestRunner(session=quick, lms_name="Canvas", retry=fast_retry, sleep=sleeps)
    canvas.fail_next("slow", seconds=0.6)
    body, _ = runner.get_json(assignments_url(canvas), params={"per_page": 1}, headers=AUTH)
    assert len(body) == 1 and len(sleeps.pauses) == 1
    quick.close()


def test_an_unreachable_host_raises_lms_unavailable_in_plain_words(session: requests.Session,
                                                                   fast_retry: RetrySettings,
                                                                   sleeps: SleepRecorder) -> None:
    runner = RequestRunner(session=session, lms_name="Canvas", retry=fast_retry, sleep=sleeps)
    with pytest.raises(LmsUnavailable, match="could not be reached"):
        runner.get_json("http://127.0.0.1:9/api/v1/courses")
    assert len(sleeps.pauses) == fast_retry.max_attempts - 1


def test_an_invalid_token_means_reconnect_and_is_not_retried(runner: RequestRunner, canvas: FakeCanvas) -> None:
    with pytest.raises(LmsUnauthorized, match="reconnect") as error:
        runner.get_json(assignments_url(canvas), headers={"Authorization": "Bearer wrong"})
    assert error.value.lms_message == "Invalid access token."
    assert canvas.count("/assignments") == 1


def test_a_401_without_www_authenticate_is_a_permission_problem(runner: RequestRunner, canvas: FakeCanvas) -> None:
    url = f"{canvas.base_url}/api/v1/courses/101/students/submissions"  # without student_ids[]=all
    with pytest.raises(LmsPermissionDenied, match="user not authorized"):
        runner.get_json(url, headers=AUTH)


def test_the_pacer_reads_the_quota_header_in_any_case_and_slows_down_as_it_drops(
        runner: RequestRunner, canvas: FakeCanvas, sleeps: SleepRecorder) -> None:
    canvas.rate_limit_remaining = [500.0, 80.0, 40.0, 10.0]
    for _ in range(4):
        runner.get_json(assignments_url(canvas), headers=AUTH)
    # Responses alternate X-Rate-Limit-Remaining and x-rate-limit-remaining; each low value is seen.
    assert runner.pacer.remaining == 10.0
    assert sleeps.pauses == pytest.approx([2.0 * 0.2, 2.0 * 0.6])


def test_the_pacer_waits_nothing_while_the_quota_is_high() -> None:
    pacer = RatePacer(PacerSettings(low_water=100, max_delay=2))
    response = requests.Response()
    response.headers["x-rate-limit-remaining"] = "650.5"
    pacer.observe(response)
    assert pacer.remaining == 650.5 and pacer.delay() == 0.0


def test_tokens_never_reach_the_log(runner: RequestRunner, canvas: FakeCanvas,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lti_tool")
    canvas.fail_next("throttle_403")
    runner.get_json(assignments_url(canvas) + "?access_token=secret-in-query", headers=AUTH)
    assert caplog.records, "expected request logging"
    assert "good-token" not in caplog.text and "secret-in-query" not in caplog.text
