"""A running test platform and a builder of synced courses (the tool is served live, so the platform can
fetch its JWKS to check client assertions)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from lti_tool.adapters.lti.pacing import PACERS
from lti_tool.storage.db import session_scope
from tests.lti_platform import LtiPlatform

from .gradebook_course import GradebookCourse, build_course


@pytest.fixture(scope="module")
def lms() -> Iterator[LtiPlatform]:
    """One test LMS per module."""
    with LtiPlatform() as platform:
        yield platform


@pytest.fixture(autouse=True)
def _fresh_platform_state(lms: LtiPlatform) -> Iterator[None]:
    """Each test starts with no faults, no throttle and fresh pacers."""
    lms.faults.clear()
    lms.throttle.enabled = False
    PACERS.reset()
    yield
    lms.faults.clear()


@pytest.fixture()
def course_factory(app, live_server: str, lms: LtiPlatform) -> Callable[..., GradebookCourse]:
    """Build a course on both sides and commit it."""

    def _build(profile: str = "canvas", **kwargs: object) -> GradebookCourse:
        with session_scope(app.extensions["sbg"].sessions) as session:
            return build_course(session, lms, live_server, profile, **kwargs)  # type: ignore[arg-type]

    return _build
