"""Self-tests: Canvas's leaky bucket refuses a burst and recovers."""

from __future__ import annotations

import requests

from .claims import SCOPE_NRPS
from .server import LtiPlatform
from .stub_tool import StubTool
from .throttle import THROTTLED_BODY, CanvasThrottle, LeakyBucket, ManualClock


def test_the_bucket_refuses_the_request_that_reaches_the_high_water_mark_and_recovers() -> None:
    clock = ManualClock()
    bucket = LeakyBucket(high_water=600, outflow=10, up_front=50, clock=clock)
    in_flight = [bucket.reserve() for _ in range(12)]
    assert [r.allowed for r in in_flight] == [True] * 11 + [False]
    for reservation in in_flight:
        bucket.settle(reservation, 0.1 if reservation.allowed else 0.0)
    assert bucket.remaining > 598  # the reservations are released, only real costs stay
    bucket.fill(600)
    refused = bucket.reserve()
    assert not refused.allowed
    bucket.settle(refused, 0.0)
    clock.advance(10)  # 100 units drained
    assert bucket.reserve().allowed


def test_a_throttled_canvas_request_gets_403_with_canvas_body_and_headers(platform: LtiPlatform,
                                                                           tool: StubTool) -> None:
    clock = ManualClock()
    platform.throttle = CanvasThrottle(enabled=True, clock=clock)
    headers = {"Authorization": f"Bearer {tool.access_token('canvas', [SCOPE_NRPS])}", "User-Agent": "sbg"}
    url = platform.memberships_url("canvas", "101")
    ok = requests.get(url, headers=headers, timeout=5)
    assert ok.status_code == 200
    assert float(ok.headers["X-Rate-Limit-Remaining"]) < 600 and "X-Request-Cost" in ok.headers
    platform.throttle.bucket(tool.client_id).fill(590)
    refused = requests.get(url, headers=headers, timeout=5)
    assert (refused.status_code, refused.text) == (403, THROTTLED_BODY)
    assert platform.stats.throttled == 1
    clock.advance(60)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
