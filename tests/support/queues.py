"""Running a test's waiting jobs as `sbg worker` would (the `sqlite_queue` fixture in tests/conftest.py holds them)."""

from __future__ import annotations

from flask import Flask

from lti_tool.jobs import queue


def run_queued_jobs(app: Flask) -> int:
    """Take each waiting job off the queue and run it; returns how many ran."""
    ran = 0
    with app.app_context():
        while (task := queue.huey.dequeue()) is not None:
            queue.huey.execute(task)
            ran += 1
    return ran
