"""Calculation methods: one pure function per method and the METHODS registry keyed by Canvas's stored names.

Every method receives the counted scores (already in scale points) in time order, oldest first, with their
weights (None: all 1), and returns the unrounded value (None when the method has no result) with a detail
mapping for the trace. Only the methods that take a mean use the weights (``MethodInfo.weighted``): a score
with weight 2 counts as much as two scores; the others pick or fit scores, and weights do not change them.
Canvas's stored names and UI labels differ for the two decaying methods: the stored ``decaying_average`` is the
UI's "Weighted Average" and the stored ``standard_decaying_average`` is the UI's "Decaying Average".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .scale import ProficiencyScale

Detail = dict[str, Any]
Weights = Sequence[float] | None
MethodFunction = Callable[[Sequence[float], Mapping[str, int], ProficiencyScale, Weights], "MethodOutcome"]

#: Scores of 0 are raised to this before the power-law fit, because ln 0 is undefined.
POWER_LAW_ZERO = 0.01


def ordered_sum(values: Sequence[float]) -> float:
    """Left-to-right sum, the order NumPy's bincount uses in the batch path (sum() may compensate in 3.12+)."""
    total = 0.0
    for value in values:
        total += value
    return total


def weighted_mean(scores: Sequence[float], weights: Weights) -> tuple[float, Detail]:
    """Σ score × weight ÷ Σ weight, summed left to right like the batch path, with its trace detail.

    With every weight 1 this is exactly the plain mean (x × 1.0 and a sum of 1.0s are exact), and the
    detail is just the sum; otherwise the detail also lists the weights and their total.
    """
    if weights is None or all(weight == 1 for weight in weights):
        total = ordered_sum(scores)
        return total / len(scores), {"sum": total}
    total = ordered_sum([score * weight for score, weight in zip(scores, weights, strict=True)])
    weight_total = ordered_sum(weights)
    return total / weight_total, {"sum": total, "weights": list(weights), "weight_total": weight_total}


@dataclass(frozen=True, slots=True)
class MethodOutcome:
    """A method's unrounded value (None: no result) and what it did, for the trace."""

    value: float | None
    detail: Detail


@dataclass(frozen=True, slots=True)
class Param:
    """An integer method parameter with its allowed range and default."""

    name: str
    minimum: int
    maximum: int
    default: int


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """A registered method: stored name, the label people see, its parameters and its function."""

    name: str
    label: str
    params: tuple[Param, ...]
    compute: MethodFunction
    weighted: bool = False  # True: evidence weights change the result


def decaying_average(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Weighted Average": latest × w + mean of all earlier scores × (1 − w); one score gives itself.

    >>> decaying_average([1, 2, 3, 4, 5], {"weight": 65}, None).value  # 5 × 0.65 + 2.5 × 0.35
    4.125
    """
    weight = params["weight"]
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    if len(scores) == 1:
        return MethodOutcome(scores[0], {"case": "single", "value": scores[0]})
    *earlier, latest = scores
    earlier_mean, mean_detail = weighted_mean(earlier, None if weights is None else weights[:-1])
    value = latest * (weight / 100) + earlier_mean * ((100 - weight) / 100)
    detail = {"case": "weighted", "weight": weight, "latest": latest, "earlier": list(earlier),
              "earlier_mean": earlier_mean, "value": value}
    if "weights" in mean_detail:
        detail |= {"earlier_weights": mean_detail["weights"], "earlier_weight_total": mean_detail["weight_total"]}
    return MethodOutcome(value, detail)


def standard_decaying_average(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Decaying Average": d = s1, then d = d × (1 − w) + s × w for each later score.

    >>> round(standard_decaying_average([1, 2, 3, 4, 5], {"weight": 65}, None).value, 8)  # Canvas reports 4.47
    4.46961875
    """
    weight = params["weight"]
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    if len(scores) == 1:
        return MethodOutcome(scores[0], {"case": "single", "value": scores[0]})
    keep, take = (100 - weight) / 100, weight / 100
    running = scores[0]
    steps = []
    for score in scores[1:]:
        updated = running * keep + score * take
        steps.append({"previous": running, "score": score, "value": updated})
        running = updated
    return MethodOutcome(running, {"case": "decayed", "weight": weight, "first": scores[0], "steps": steps,
                                   "value": running})


def n_mastery(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Number of Times": needs n scores, then n at or above mastery; the mean of those mastery scores.

    >>> from lti_tool.engine.scale import Level, ProficiencyScale
    >>> scale = ProficiencyScale((Level(5, "Exceeds"), Level(3, "Meets"), Level(0, "Not yet")), 3)
    >>> n_mastery([1, 2, 3, 4, 5], {"n": 3}, scale).value
    4.0
    """
    needed = params["n"]
    mastery = scale.mastery_points
    base: Detail = {"n": needed, "mastery_points": mastery, "count": len(scores)}
    if len(scores) < needed:
        return MethodOutcome(None, {**base, "case": "too_few_scores", "kept": []})
    positions = [index for index, score in enumerate(scores) if score >= mastery]
    kept = [scores[index] for index in positions]
    if len(kept) < needed:
        return MethodOutcome(None, {**base, "case": "too_few_mastery", "kept": kept})
    value, mean_detail = weighted_mean(kept, None if weights is None else [weights[index] for index in positions])
    return MethodOutcome(value, {**base, "case": "mean", "kept": kept, **mean_detail, "value": value})


def latest(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Most Recent Score": the last score in time order.

    >>> latest([1, 4, 2], {}, None).value
    2
    """
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    return MethodOutcome(scores[-1], {"case": "latest", "value": scores[-1]})


def highest(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Highest Score": the maximum.

    >>> highest([1, 4, 2], {}, None).value
    4
    """
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    value = max(scores)
    return MethodOutcome(value, {"case": "highest", "value": value})


def average(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Canvas "Average": the mean of every score.

    >>> average([1, 4, 2], {}, None).value
    2.3333333333333335
    """
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    value, mean_detail = weighted_mean(scores, weights)
    return MethodOutcome(value, {"case": "mean", "scores": list(scores), **mean_detail, "value": value})


def median(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """The middle score; with an even count, halfway between the two middle scores.

    >>> median([1, 4, 2, 3], {}, None).value
    2.5
    """
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    ordered = sorted(scores)
    middle = len(ordered) // 2
    pair = ordered[middle - 1 : middle + 1] if len(ordered) % 2 == 0 else [ordered[middle]]
    value = statistics.median(ordered)
    return MethodOutcome(value, {"case": "median", "sorted": ordered, "middle": pair, "value": value})


def mode(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """The most frequent score; a tie goes to the score given most recently.

    >>> mode([3, 2, 2, 3], {}, None).value
    3
    """
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    counts: dict[float, int] = {}
    last_seen: dict[float, int] = {}
    for position, score in enumerate(scores):
        counts[score] = counts.get(score, 0) + 1
        last_seen[score] = position
    top = max(counts.values())
    tied = [score for score in counts if counts[score] == top]
    value = max(tied, key=lambda score: last_seen[score])
    return MethodOutcome(value, {"case": "mode", "times": top, "tied": sorted(tied), "value": value})


def average_of_latest(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """The mean of the n most recent scores (of all of them when there are fewer than n).

    >>> average_of_latest([1, 4, 2, 3], {"n": 2}, None).value
    2.5
    """
    needed = params["n"]
    if not scores:
        return MethodOutcome(None, {"case": "no_scores"})
    used = list(scores[-needed:])
    value, mean_detail = weighted_mean(used, None if weights is None else weights[-needed:])
    return MethodOutcome(value, {"case": "mean", "n": needed, "count": len(scores), "used": used, **mean_detail,
                                 "value": value})


def power_law(
    scores: Sequence[float], params: Mapping[str, int], scale: ProficiencyScale, weights: Weights = None
) -> MethodOutcome:
    """Marzano's trend: fit ln y = ln a + b ln x over x = 1..n, report a × n^b clamped to the scale.

    >>> from lti_tool.engine.scale import Level, ProficiencyScale
    >>> scale = ProficiencyScale((Level(4, "Exceeds"), Level(1, "Beginning")), 3)
    >>> round(power_law([2, 2, 3], {}, scale).value, 4)
    2.7004
    """
    count = len(scores)
    if count == 0:
        return MethodOutcome(None, {"case": "no_scores"})
    if count == 1:
        return MethodOutcome(scores[0], {"case": "single", "value": scores[0]})
    raised = sum(1 for score in scores if score <= 0)
    used = [score if score > 0 else POWER_LAW_ZERO for score in scores]
    sum_x = sum_y = sum_xx = sum_xy = 0.0
    # Accumulate in time order, the same order the batch path's bincount uses, so both agree exactly.
    for position, score in enumerate(used, start=1):
        log_x = math.log(position)
        log_y = math.log(score)
        sum_x += log_x
        sum_y += log_y
        sum_xx += log_x * log_x
        sum_xy += log_x * log_y
    slope = (count * sum_xy - sum_x * sum_y) / (count * sum_xx - sum_x * sum_x)
    log_a = (sum_y - slope * sum_x) / count
    fitted = math.exp(log_a + slope * math.log(count))
    value = min(max(fitted, scale.lowest.points), scale.highest.points)
    detail = {"case": "fit", "used": used, "raised_zeros": raised, "a": math.exp(log_a), "b": slope,
              "x": count, "fitted": fitted, "clamped": value != fitted, "value": value}
    return MethodOutcome(value, detail)


_WEIGHT = Param("weight", 1, 99, 65)

#: Every method by its stored name (Canvas's where Canvas has it).
METHODS: Mapping[str, MethodInfo] = {
    info.name: info
    for info in (
        MethodInfo("decaying_average", "Weighted Average", (_WEIGHT,), decaying_average, weighted=True),
        MethodInfo("standard_decaying_average", "Decaying Average", (Param("weight", 50, 99, 65),),
                   standard_decaying_average),
        MethodInfo("n_mastery", "Number of Times", (Param("n", 1, 10, 5),), n_mastery, weighted=True),
        MethodInfo("latest", "Most Recent Score", (), latest),
        MethodInfo("highest", "Highest Score", (), highest),
        MethodInfo("average", "Average", (), average, weighted=True),
        MethodInfo("median", "Median", (), median),
        MethodInfo("mode", "Mode", (), mode),
        MethodInfo("average_of_latest", "Average of Most Recent", (Param("n", 1, 20, 3),), average_of_latest,
                   weighted=True),
        MethodInfo("power_law", "Power Law", (), power_law),
    )
}
