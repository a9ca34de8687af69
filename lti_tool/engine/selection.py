"""Evidence selection: time order, conversion to points, and dropping excused, missing and replaced work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .conversion import percent_of
from .errors import PolicyError
from .evidence import Evidence, time_key
from .policy import Policy
from .result import Step


@dataclass(frozen=True, slots=True)
class Counted:
    """An evidence item that counts, with its points on the scale."""

    evidence: Evidence
    points: float


def time_ordered(items: Sequence[Evidence]) -> list[Evidence]:
    """Evidence oldest first; equal (or absent) times keep input order because sorted() is stable."""
    return sorted(items, key=lambda item: item.order_key)


def select_evidence(
    items: Sequence[Evidence], policy: Policy, as_of: datetime | None = None
) -> tuple[list[Counted], list[Step]]:
    """Return the counted evidence in time order and one trace step per item (counted or dropped, with why)."""
    cutoff = time_key(as_of) if as_of is not None else None

    def usable(item: Evidence) -> bool:
        # Only evidence that itself counts can supersede the assessment it retakes.
        if cutoff is not None and item.order_key > cutoff:
            return False
        return not item.excused and not (item.missing and policy.missing == "exclude")

    replaced_by: dict[str, Evidence] = {}
    if policy.reassessment == "replace":
        for item in items:
            if item.replaces is not None and usable(item):
                replaced_by.setdefault(item.replaces, item)
    titles = {item.id: item.label for item in items if item.id is not None}

    counted: list[Counted] = []
    steps: list[Step] = []
    for item in time_ordered(items):
        base = {"assignment": item.label, "id": item.id, "at": item.at}
        if cutoff is not None and item.order_key > cutoff:
            steps.append(Step("dropped", {**base, "reason": "after_as_of", "as_of": as_of}))
        elif item.excused:
            steps.append(Step("dropped", {**base, "reason": "excused"}))
        elif item.missing and policy.missing == "exclude":
            steps.append(Step("dropped", {**base, "reason": "missing"}))
        elif item.id is not None and item.id in replaced_by:
            newer = replaced_by[item.id]
            steps.append(Step("dropped", {**base, "reason": "replaced", "replaced_by": newer.label,
                                          "replaced_by_id": newer.id}))
        else:
            points, detail = _points(item, policy)
            counted.append(Counted(item, points))
            # A retake that adds evidence is worth naming; a replacing retake is named on the dropped item.
            if item.replaces is not None and item.replaces in titles and item.replaces not in replaced_by:
                detail["retake_of"] = titles[item.replaces]
            if item.weight != 1:
                detail["weight"] = item.weight
            steps.append(Step("evidence", {**base, **detail, "late": item.late, "position": len(counted)}))
    return counted, steps


def _points(item: Evidence, policy: Policy) -> tuple[float, dict[str, object]]:
    scale = policy.scale
    if item.missing:
        points = 0.0
        return points, {"source": "missing_zero", "points": points, "label": scale.level_for(points).label}
    if item.points is not None:
        return item.points, {"source": "rubric", "points": item.points, "label": scale.level_for(item.points).label}
    if policy.conversion is None:
        raise PolicyError("conversion", "cut scores are needed to convert score and max into points")
    assert item.score is not None and item.max_score is not None
    percent = percent_of(item.score, item.max_score)
    cut = policy.conversion.cut_for(percent)
    points = cut.points if cut is not None else scale.lowest.points
    return points, {"source": "score", "score": item.score, "max": item.max_score, "percent": percent,
                    "min_percent": cut.min_percent if cut is not None else None, "points": points,
                    "label": scale.level_for(points).label}
