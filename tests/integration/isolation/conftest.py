"""Isolation folder: report how many (route, role, id) combinations were tried."""

from __future__ import annotations

from typing import Any

from tests.integration.isolation.probe import TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the tally of isolation probes."""
    if TALLY:
        terminalreporter.section("isolation probes")
        for name, count in sorted(TALLY.items()):
            terminalreporter.write_line(f"{name:56} {count:6d}")
