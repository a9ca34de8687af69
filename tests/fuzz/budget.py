"""How many inputs each fuzz test tries, and a tally of the inputs actually tried (reported after the run).

The normal suite keeps the folder fast; `SBG_FUZZ_EXAMPLES=5000` runs that many inputs per test instead.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

_tally: Counter[str] = Counter()
_lock = threading.Lock()


def examples(default: int) -> int:
    """The per-test input budget: `default`, or SBG_FUZZ_EXAMPLES when set."""
    configured = os.environ.get("SBG_FUZZ_EXAMPLES", "").strip()
    return int(configured) if configured else default


def fuzz_settings(default: int) -> Any:
    """Hypothesis settings for a fuzz test: the budget, no deadline (I/O varies), no example database noise."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def tried(target: str) -> None:
    """Count one input sent to `target`."""
    with _lock:
        _tally[target] += 1


def tally() -> dict[str, int]:
    """Inputs tried so far, per target."""
    with _lock:
        return dict(sorted(_tally.items()))
