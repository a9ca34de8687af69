"""`sbg run` on the embedded default: it serves the tool and runs queued jobs with a worker of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lti_tool.jobs.intake_tasks import refresh_roster_async
from lti_tool.jobs.queue import build_huey, huey
from tests.support.services import free_port


def _environment(tmp_path: Path) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items()
            if not key.startswith("SBG_") and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORT"}}
    return {**kept, "SBG_ENV": "development", "SBG_INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'sbg.sqlite3'}"}


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "sbg run exited early"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"sbg run did not serve {url} within {timeout} s")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_sbg_run_serves_and_its_worker_runs_a_queued_job_then_stops_with_it(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lti_tool.cli", "run", "--port", str(port)],
                              env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        workers = _children(server.pid)
        assert len(workers) == 1

        # Queue a job in the tool's SQLite queue, as the web process does, and wait for the worker's answer.
        queue = build_huey("sqlite", sqlite_path=str(tmp_path / "instance" / "queue.sqlite3"))
        queue._registry = huey._registry  # a second handle on the same queue knows the same tasks
        result = queue.enqueue(refresh_roster_async.s(0))
        assert result.get(blocking=True, timeout=30) == "no roster service for this course"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "a queue worker runs beside the server" in output
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
              for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}/cmdline").exists()
                and b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_sbg_run_without_worker_starts_no_child(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lti_tool.cli", "run", "--port", str(port), "--no-worker"],
                              env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        assert _children(server.pid) == []
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
