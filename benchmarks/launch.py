"""Full LTI login + launch handled by the app in-process: warm platform key cache vs. keys fetched every time.

Run: .venv/bin/python -m benchmarks.launch [--launches 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SBG_ENV", "test")

from lti_tool import create_app  # noqa: E402
from lti_tool.services.keys import ensure_signing_key  # noqa: E402
from lti_tool.services.platforms import PlatformSpec, add_platform  # noqa: E402
from lti_tool.storage.db import session_scope  # noqa: E402
from lti_tool.storage.migrate import upgrade  # noqa: E402
from tests.lti_platform import LaunchDriver, LtiPlatform  # noqa: E402


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(launches: int) -> dict[str, dict[str, float]]:
    """Time `launches` full launches per mode; server time = login + launch requests inside the app."""
    folder = tempfile.mkdtemp(prefix="sbg-bench-")
    base = "http://127.0.0.1:5999"
    app = create_app({"env": "test", "database_url": f"sqlite:///{folder}/bench.sqlite3", "base_url": base,
                      "instance_path": folder, "log_level": "ERROR"})
    runtime = app.extensions["sbg"]
    upgrade(runtime.engine)
    results: dict[str, dict[str, float]] = {}
    with LtiPlatform() as platform, session_scope(runtime.sessions) as session:
        ensure_signing_key(session)
        platform.register_tool("bench-client", ["1"], f"{base}/lti/login", f"{base}/lti/launch", None,
                               tool_jwks={"keys": []})
        add_platform(session, PlatformSpec(name="bench", client_id="bench-client", deployment_ids=("1",),
                                           **platform.platform_config("moodle")), allow_http=True)
        session.commit()
        server_times: dict[str, list[float]] = {"warm key cache": [], "keys fetched every launch": []}
        client = app.test_client()

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            response = original(*args, **kwargs)
            timed.elapsed += time.perf_counter() - started
            return response

        original = client.open
        client.open = timed  # type: ignore[method-assign]
        driver = LaunchDriver(platform, client)
        timed.elapsed = 0.0
        driver.launch("moodle", "learner", client_id="bench-client")  # warm the key cache and the app
        for mode, samples in server_times.items():
            fetches_before = runtime.platform_keys.fetches
            wall = time.perf_counter()
            for _ in range(launches):
                if mode != "warm key cache":
                    runtime.platform_keys.forget(platform.jwks_url("moodle"))
                timed.elapsed = 0.0
                result = driver.launch("moodle", "learner", client_id="bench-client")
                assert result.status_code == 303, result.describe()
                samples.append(timed.elapsed * 1000)
            wall = time.perf_counter() - wall
            results[mode] = {
                "launches_per_s": launches / wall, "p50_ms": statistics.median(samples),
                "p95_ms": _percentile(samples, 0.95), "key_fetches": runtime.platform_keys.fetches - fetches_before,
            }
    return results


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=300)
    args = parser.parse_args()
    results = run(args.launches)
    warm, cold = results["warm key cache"], results["keys fetched every launch"]
    print(f"{'mode':28} {'launches/s':>11} {'p50 ms':>8} {'p95 ms':>8} {'key fetches':>12}")
    for mode, row in results.items():
        print(f"{mode:28} {row['launches_per_s']:11.1f} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
              f"{row['key_fetches']:12.0f}")
    print(f"ratio p95 (baseline / warm): {cold['p95_ms'] / warm['p95_ms']:.2f}x; "
          f"target p95 < 20 ms: {'met' if warm['p95_ms'] < 20 else 'NOT met'}; "
          f"key fetches on a warm cache: {warm['key_fetches']:.0f}")


if __name__ == "__main__":
    main()
