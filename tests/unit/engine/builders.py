"""Builders shared by the engine tests: the four-level scale, cut scores and dated evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lti_tool.engine import Evidence, Policy, parse_policy

START = datetime(2026, 9, 1, 10, tzinfo=UTC)

POLICY_DATA: dict[str, Any] = {
    "scale": {"levels": [{"points": 4, "label": "Exceeds"}, {"points": 3, "label": "Meets"},
                         {"points": 2, "label": "Approaching"}, {"points": 1, "label": "Beginning"}],
              "mastery_points": 3},
    "conversion": {"cut_scores": [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
                                  {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]},
    "method": {"name": "decaying_average", "weight": 65},
    "rounding": 2,
}


def policy(method: str = "decaying_average", **changes: Any) -> Policy:
    """The standard test policy with another method (params given as keyword ``params``) or other settings."""
    params = changes.pop("params", {})
    return parse_policy({**POLICY_DATA, "method": {"name": method, **params}, **changes})


def day(number: int) -> datetime:
    """Midday-ish timestamps one week apart, in UTC."""
    return START + timedelta(days=7 * number)


def rubric(points: float, when: int, title: str | None = None, **flags: Any) -> Evidence:
    """Evidence of student s1 on 8.EE.1 rated in scale points on week ``when``."""
    return Evidence("s1", "8.EE.1", title or f"Task {when}", points=points, submitted_at=day(when), **flags)


def scored(score: float, maximum: float, when: int, title: str | None = None, **flags: Any) -> Evidence:
    """Evidence of student s1 on 8.EE.1 with a raw score on week ``when``."""
    return Evidence("s1", "8.EE.1", title or f"Quiz {when}", score=score, max_score=maximum,
                    submitted_at=day(when), **flags)


def series(*points: float) -> list[Evidence]:
    """Rubric evidence one week apart, oldest first."""
    return [rubric(value, index) for index, value in enumerate(points)]
