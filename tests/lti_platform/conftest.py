"""Fixtures for the platform's self-tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from .server import LtiPlatform
from .stub_tool import StubTool


@pytest.fixture
def platform() -> Iterator[LtiPlatform]:
    """A started platform."""
    with LtiPlatform() as started:
        yield started


@pytest.fixture
def tool(platform: LtiPlatform) -> Iterator[StubTool]:
    """A served stub tool registered with the platform."""
    with StubTool(platform) as served:
        served.register(["1"])
        yield served
