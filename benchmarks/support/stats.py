"""Latency summaries: percentiles over samples in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of non-empty `samples`."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, p99 and max of `samples`."""
    if not samples:
        return {"count": 0, "p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan}
    return {"count": len(samples), "p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95),
            "p99": percentile(samples, 0.99), "max": max(samples)}
