"""The tool as deployed (gunicorn over TLS, `sbg worker`, PostgreSQL, Redis, production settings) and the test
LTI platform registered with it, once for this folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from benchmarks.support.stack import ProductionStack, StackOptions
from tests.lti_platform import LaunchDriver, LtiPlatform

PROFILE = "moodle"


@pytest.fixture(scope="package")
def platform() -> Iterator[LtiPlatform]:
    """The test LMS."""
    with LtiPlatform() as running:
        yield running


@pytest.fixture(scope="package")
def stack(platform: LtiPlatform) -> Iterator[ProductionStack]:
    """Two gunicorn workers and one queue worker against hermetic PostgreSQL and Redis."""
    try:
        running = ProductionStack(StackOptions(web_workers=2, threads=4)).start()
    except RuntimeError as error:
        if os.environ.get("SBG_REQUIRE_SERVICES") == "1" or "not installed" not in str(error):
            raise
        pytest.skip(str(error))
    running.register(platform, PROFILE, "production-client")
    yield running
    running.stop()


@pytest.fixture()
def launch(stack: ProductionStack, platform: LtiPlatform) -> Callable[..., tuple[int, int]]:
    """Launch a fresh learner into a course (a fresh one unless named); (launch status, overview status)."""

    def _launch(course_id: str | None = None) -> tuple[int, int]:
        course = course_id or f"course-{uuid.uuid4().hex[:8]}"
        if course not in platform.courses:
            platform.add_course(course, course.upper(), f"Class {course}")
        user = platform.add_user(uuid.uuid4().hex[:12], "Student", course)
        platform.enroll(course, user, "learner")
        session = stack.http()
        result = LaunchDriver(platform, session, base_url=stack.base_url).launch(
            PROFILE, "learner", client_id="production-client", course=course, user=user.id)
        if result.status_code != 303:
            return result.status_code, 0
        return 303, session.get(stack.base_url + result.response.headers["Location"], timeout=30).status_code

    return _launch
