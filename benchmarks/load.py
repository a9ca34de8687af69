"""500 full LTI launches at the bell: gunicorn (TLS, production settings) + PostgreSQL + Redis + `sbg worker`.

Each launch is what a student's browser does: OIDC login initiation at the tool, authorization at the platform,
the id_token form post to the tool, then the student overview page. Two ways to send them:

* **at the bell** (the target): students arrive at a steady rate (`--rate`, default 500 in 50 s, inside the
  60 s window), each in their own browser (up to `--clients` at once). A launch's latency is measured from the
  moment its student arrived, so any wait for the server counts (no coordinated omission).
* **flat out** (capacity): `--clients` browsers launch back to back with no pause; this saturates the two cores
  and shows the throughput ceiling and what latency looks like beyond it.

Baselines measured in the same run: GET /healthz from the same number of clients (the floor of TLS + gunicorn +
one database round trip), and launches from a single client (no contention).

Run: .venv/bin/python -m benchmarks.load [--launches 500] [--rate 10] [--clients 16] [--web-workers 4] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")  # this process only drives the stack; the stack runs in production mode

from benchmarks.support.stack import ProductionStack, StackOptions  # noqa: E402
from benchmarks.support.stats import summary  # noqa: E402
from tests.lti_platform import LaunchDriver, LtiPlatform  # noqa: E402

PROFILE = "moodle"
CLIENT_ID = "load-client"
STUDENTS_PER_COURSE = 25
TARGET_P95_MS = 300.0
DEADLINE_S = 60.0
STEP_OF_PATH = {"/lti/login": "login", "/lti/launch": "launch"}


class TimedSession(requests.Session):
    """A requests session that records how long each request to the tool took, by step."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[tuple[str, float, int]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send, and remember (step, milliseconds, status)."""
        started = time.perf_counter()
        response = super().request(method, url, *args, **kwargs)
        path = urlsplit(url).path
        step = STEP_OF_PATH.get(path, "overview" if path.startswith("/student") else path)
        self.samples.append((step, (time.perf_counter() - started) * 1000, response.status_code))
        return response


def roster(platform: LtiPlatform, students: int) -> list[tuple[str, str]]:
    """(course id, user id) for `students` learners, 25 to a course, like a district's classes."""
    pairs = []
    for index in range(students):
        course_id = f"load-{index // STUDENTS_PER_COURSE}"
        if course_id not in platform.courses:
            platform.add_course(course_id, course_id.upper(), f"Class {course_id}")
        user = platform.add_user(f"9{index:05d}", "Student", f"{index:05d}")
        platform.enroll(course_id, user, "learner")
        pairs.append((course_id, user.id))
    return pairs


class Client:
    """One browser: a keep-alive session to the tool and a LaunchDriver around it."""

    def __init__(self, stack: ProductionStack, platform: LtiPlatform) -> None:
        self.session = TimedSession()
        trusted = stack.http()
        self.session.verify, self.session.trust_env = trusted.verify, False
        self.session.headers.update(trusted.headers)
        self.driver = LaunchDriver(platform, self.session, base_url=stack.base_url)
        self.base_url = stack.base_url

    def launch(self, course_id: str, user_id: str) -> tuple[float, str]:
        """One full launch and the overview page; (milliseconds, error or "")."""
        started = time.perf_counter()
        try:
            result = self.driver.launch(PROFILE, "learner", client_id=CLIENT_ID, course=course_id, user=user_id)
            if result.status_code != 303:
                return _elapsed(started), f"launch answered {result.status_code}: {result.text[:200]}"
            overview = self.session.get(self.base_url + result.response.headers["Location"], timeout=30)
            if overview.status_code != 200:
                return _elapsed(started), f"overview answered {overview.status_code}"
        except Exception as error:  # noqa: BLE001 - every failure is counted and printed, not raised
            return _elapsed(started), f"{type(error).__name__}: {error}"
        return _elapsed(started), ""


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _gather(clients: list[Client], outcomes: list[tuple[float, str]], wall: float) -> dict[str, Any]:
    """One run's wall time, whole-launch latencies, per-step latencies of every client, and errors."""
    steps: dict[str, list[float]] = defaultdict(list)
    for client in clients:
        for step, ms, _status in client.session.samples:
            steps[step].append(ms)
    return {"wall_s": wall, "overall": [ms for ms, _ in outcomes], "steps": dict(steps),
            "errors": [error for _, error in outcomes if error]}


def run_launches(stack: ProductionStack, platform: LtiPlatform, pairs: list[tuple[str, str]],
                 clients: int) -> dict[str, Any]:
    """Launch every (course, user) from `clients` concurrent browsers; per-step and overall latencies."""
    local = threading.local()
    made: list[Client] = []
    lock = threading.Lock()

    def one(pair: tuple[str, str]) -> tuple[float, str]:
        if not hasattr(local, "client"):
            local.client = Client(stack, platform)
            with lock:
                made.append(local.client)
        return local.client.launch(*pair)

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(one, pairs))
    return _gather(made, outcomes, time.perf_counter() - wall)


def run_arrivals(stack: ProductionStack, platform: LtiPlatform, pairs: list[tuple[str, str]], rate: float,
                 clients: int) -> dict[str, Any]:
    """Students arrive `rate` per second; each launch's latency counts from its arrival (open loop)."""
    local = threading.local()
    made: list[Client] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def one(index: int) -> tuple[float, str]:
        arrival = start + index / rate
        if not hasattr(local, "client"):
            local.client = Client(stack, platform)
            with lock:
                made.append(local.client)
        time.sleep(max(0.0, arrival - time.perf_counter()))
        _, error = local.client.launch(*pairs[index])
        return (time.perf_counter() - arrival) * 1000, error

    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(one, range(len(pairs))))
    return _gather(made, outcomes, time.perf_counter() - start)


def run_health(stack: ProductionStack, requests_total: int, clients: int) -> list[float]:
    """GET /healthz `requests_total` times from `clients` concurrent sessions."""
    local = threading.local()

    def one(_: int) -> float:
        if not hasattr(local, "session"):
            local.session = stack.http()
        started = time.perf_counter()
        response = local.session.get(stack.base_url + "/healthz", timeout=30)
        response.raise_for_status()
        return _elapsed(started)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, range(requests_total)))


def _server_errors(log: str) -> list[str]:
    """The distinct last lines of the exceptions in the web log's JSON lines (what to fix), with counts."""
    found: dict[str, int] = defaultdict(int)
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("exception"):
            lines = [text for text in str(record["exception"]).splitlines() if text.strip()]
            error = next((text for text in reversed(lines) if "Error" in text.split(":")[0]), lines[-1])
            origin = next((text.strip() for text in reversed(lines) if "lti_tool/" in text), "")
            found[f"{error.strip()[:300]} (at {origin[:200]})"] += 1
    return [f"{count} x {text}" for text, count in found.items()]


def _row(name: str, samples: list[float]) -> str:
    s = summary(samples)
    return f"{name:34} {s['count']:6.0f} {s['p50']:9.1f} {s['p95']:9.1f} {s['p99']:9.1f} {s['max']:9.1f}"


def _report(name: str, result: dict[str, Any], launches: int) -> float:
    """Print one run's per-step and whole-launch rows; returns the whole-launch p95."""
    for step in ("login", "launch", "overview"):
        print(_row(f"{name}: {step}", result["steps"].get(step, [])))
    print(_row(f"{name}: full launch", result["overall"]))
    throughput = launches / result["wall_s"]
    print(f"  {launches} launches in {result['wall_s']:.1f} s ({throughput:.1f} launches/s, "
          f"{throughput * 4:.0f} tool requests/s); errors: {len(result['errors'])}")
    return summary(result["overall"])["p95"]


def main() -> int:
    """Start the stack, run baselines, the bell and the flat-out load; exit 1 on any error or a missed target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="Arrivals per second at the bell.")
    parser.add_argument("--clients", type=int, default=16, help="Browsers at once (flat out: all busy).")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--single-client-launches", type=int, default=40)
    parser.add_argument("--skip-flat-out", action="store_true")
    args = parser.parse_args()

    options = StackOptions(web_workers=args.web_workers, threads=args.threads)
    started = time.perf_counter()
    with LtiPlatform() as platform, ProductionStack(options) as stack:
        stack.register(platform, PROFILE, CLIENT_ID)
        flat_count = 0 if args.skip_flat_out else args.launches
        pairs = roster(platform, args.launches + flat_count + args.single_client_launches + args.web_workers * 2)
        warmup, pairs = pairs[:args.web_workers * 2], pairs[args.web_workers * 2:]
        single, pairs = pairs[:args.single_client_launches], pairs[args.single_client_launches:]
        bell_pairs, flat_pairs = pairs[:args.launches], pairs[args.launches:]
        print(f"stack up in {time.perf_counter() - started:.1f} s: gunicorn {args.web_workers} workers x "
              f"{args.threads} threads (TLS, SBG_ENV=production), PostgreSQL, Redis, 1 sbg worker; "
              f"{os.cpu_count()} CPU cores")
        run_launches(stack, platform, warmup, args.web_workers)  # each worker process loads keys and templates
        health = run_health(stack, args.launches, args.clients)
        sequential = run_launches(stack, platform, single, 1)
        bell = run_arrivals(stack, platform, bell_pairs, args.rate, max(args.clients, 32))
        flat = run_launches(stack, platform, flat_pairs, args.clients) if flat_pairs else None
        worker_alive = all(process.poll() is None for process in stack.queue)
        server_errors = _server_errors(stack.log())

    print(f"\n{'latency (ms)':34} {'n':>6} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
    print(_row(f"baseline: GET /healthz, {args.clients} clients", health))
    single_p95 = summary(sequential["overall"])["p95"]
    print(_row("baseline: full launch, 1 client", sequential["overall"]))
    bell_p95 = _report(f"bell {args.rate:g}/s", bell, len(bell_pairs))
    flat_p95 = _report(f"flat out {args.clients}", flat, len(flat_pairs)) if flat else float("nan")
    print(f"\nqueue worker alive: {worker_alive}")
    print(f"ratio p95 full launch at the bell / single client: {bell_p95 / single_p95:.2f}x; "
          f"flat out / single client: {flat_p95 / single_p95:.2f}x")
    errors = bell["errors"] + (flat["errors"] if flat else [])
    in_window = bell["wall_s"] <= DEADLINE_S
    met = not errors and in_window and bell_p95 < TARGET_P95_MS
    print(f"targets: zero errors {'met' if not errors else 'NOT met'}; {len(bell_pairs)} launches within "
          f"{DEADLINE_S:.0f} s {'met' if in_window else 'NOT met'} ({bell['wall_s']:.1f} s); p95 full launch at the "
          f"bell < {TARGET_P95_MS:.0f} ms {'met' if bell_p95 < TARGET_P95_MS else 'NOT met'} ({bell_p95:.0f} ms)")
    for error in errors[:5]:
        print("  error:", error[:160].replace("\n", " "))
    for line in server_errors if errors else []:
        print("  server log:", line[:600])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
