"""The per-student path: evidence and policy in, a MasteryResult with its full trace out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from .errors import InputError
from .evidence import Evidence
from .guidance import next_step
from .numbers import round_half_away, snap
from .policy import Policy
from .result import MasteryResult, NextStep, Override, Step
from .selection import select_evidence


def calculate(
    evidence: Iterable[Evidence],
    policy: Policy,
    as_of: datetime | None = None,
    override: Override | None = None,
) -> MasteryResult:
    """Calculate one student's result on one standard (all ``evidence`` must share student and standard)."""
    items = list(evidence)
    student, standard = _identity(items)
    scale = policy.scale
    counted, steps = select_evidence(items, policy, as_of)
    scores = [entry.points for entry in counted]
    weights = [entry.evidence.weight for entry in counted]
    info = policy.method.info
    outcome = info.compute(scores, policy.method.params, scale, weights)
    steps.append(Step("method", {"method": info.name, "method_label": info.label,
                                 "params": dict(policy.method.params), "count": len(scores), **outcome.detail}))

    score: float | None = None
    if outcome.value is None:
        steps.append(Step("no_result", {"method": info.name, "reason": outcome.detail.get("case")}))
    else:
        score = round_half_away(outcome.value, policy.rounding)
        steps.append(Step("rounding", {"value": outcome.value, "digits": policy.rounding, "rounded": score,
                                       "changed": score != snap(outcome.value)}))
        level = scale.level_for(score)
        steps.append(Step("level", {"score": score, "label": level.label, "points": level.points,
                                    "below_scale": score < scale.lowest.points,
                                    "mastered": scale.is_mastered(score), "mastery_points": scale.mastery_points,
                                    "mastery_label": scale.level_for(scale.mastery_points).label}))

    if override is not None:
        chosen = scale.level_with_points(override.points)
        if chosen is None:
            raise InputError("override.level", "must be one of the scale's levels")
        steps.append(Step("override", {"label": chosen.label, "points": chosen.points, "reason": override.reason,
                                       "by": override.by, "at": override.at, "calculated_score": score,
                                       "mastered": scale.is_mastered(chosen.points)}))
        guidance = NextStep("overridden")
        final_score: float | None = chosen.points
    else:
        guidance = next_step(scores, policy, score, weights)
        final_score = score
    steps.append(Step("next_step", guidance.to_dict()))

    return MasteryResult(
        student=student,
        standard=standard,
        method=info.name,
        score=final_score,
        level=scale.level_for(final_score) if final_score is not None else None,
        mastered=final_score is not None and scale.is_mastered(final_score),
        evidence_count=len(counted),
        next_step=guidance,
        trace=tuple(steps),
        calculated_score=score,
        override=override,
    )


def calculate_all(
    evidence: Iterable[Evidence],
    policy: Policy,
    as_of: datetime | None = None,
    overrides: Mapping[tuple[str, str], Override] | None = None,
) -> list[MasteryResult]:
    """Calculate every (student, standard) pair in ``evidence``, in order of first appearance."""
    groups: dict[tuple[str, str], list[Evidence]] = {}
    for item in evidence:
        groups.setdefault((item.student, item.standard), []).append(item)
    chosen = overrides or {}
    return [calculate(items, policy, as_of, chosen.get(key)) for key, items in groups.items()]


def _identity(items: list[Evidence]) -> tuple[str, str]:
    if not items:
        return "", ""
    student, standard = items[0].student, items[0].standard
    for item in items:
        if (item.student, item.standard) != (student, standard):
            raise InputError("evidence", "calculate() takes one student's evidence on one standard; "
                                         "use calculate_all() for more")
    return student, standard
