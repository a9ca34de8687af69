"""Fuzz folder: report how many inputs each target received."""

from __future__ import annotations

from typing import Any

from tests.fuzz.budget import tally


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the number of inputs tried per target, and the total."""
    counts = tally()
    if not counts:
        return
    terminalreporter.section("fuzz inputs tried")
    for target, count in counts.items():
        terminalreporter.write_line(f"{target:48} {count:8d}")
    terminalreporter.write_line(f"{'total':48} {sum(counts.values()):8d}")
