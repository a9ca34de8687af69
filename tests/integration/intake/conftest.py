"""Fixtures for the intake tests: fake Canvas and Moodle servers, an HTTP session and instant retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from lti_tool.adapters.http import HttpSettings, RetrySettings, build_session

TOOL_URL = "https://sbg.example"
FAST_RETRY = RetrySettings(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, jitter=0.0, max_retry_after=0.0)


def no_sleep(_seconds: float) -> None:
    """Stands in for time.sleep so retries cost nothing."""


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session from the production factory, with short timeouts for localhost."""
    session = build_session(TOOL_URL, HttpSettings(connect_timeout=2, read_timeout=5))
    yield session
    session.close()
