"""Fixtures for the LMS adapter contract tests: fake Canvas and Moodle servers and fast retry settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from lti_tool.adapters.http import HttpSettings, RetrySettings, build_session

TOOL_URL = "https://sbg.example"


class SleepRecorder:
    """Stands in for time.sleep: records each requested pause instead of waiting."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Pauses the code under test asked for."""
    return SleepRecorder()


@pytest.fixture
def fast_retry() -> RetrySettings:
    """Small backoff so retries are visible in `sleeps` without slowing the suite."""
    return RetrySettings(max_attempts=4, initial_backoff=0.01, max_backoff=0.05, jitter=0.01, max_retry_after=5)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    """A session from the production factory, with short timeouts for localhost."""
    http = build_session(TOOL_URL, HttpSettings(connect_timeout=2, read_timeout=2))
    yield http
    http.close()
