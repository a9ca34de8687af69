"""Next-step guidance: the smallest next score (and how many of them) that would raise the level."""

from __future__ import annotations

from collections.abc import Sequence

from .numbers import round_half_away
from .policy import Policy
from .result import NextStep

#: How many extra scores the search tries before calling the next level out of reach (n_mastery needs up to 10).
MAX_EXTRA_SCORES = 10


def next_step(scores: Sequence[float], policy: Policy, current: float | None,
              weights: Sequence[float] | None = None) -> NextStep:
    """Guidance for a calculated (not overridden) result ``current`` from time-ordered ``scores``.

    The imagined next scores carry weight 1, like a new assessment aligned without a weight.
    """
    scale = policy.scale
    current_rank = scale.rank_of(current) if current is not None else -1
    top_rank = len(scale.levels) - 1
    mastered = current is not None and scale.is_mastered(current)
    found = _smallest_raise(scores, weights, policy, current_rank) if current_rank < top_rank else None
    if mastered:
        if found is None:
            return NextStep("mastery_reached")
        return NextStep("mastery_reached", found.points, found.label, found.count, found.new_label,
                        found.new_points, found.or_better)
    return found if found is not None else NextStep("out_of_reach", count=MAX_EXTRA_SCORES)


def _rank_after(scores: Sequence[float], weights: Sequence[float] | None, extra: float, count: int,
                policy: Policy) -> int:
    hypothetical = [*scores, *([extra] * count)]
    hypothetical_weights = None if weights is None else [*weights, *([1.0] * count)]
    value = policy.method.info.compute(hypothetical, policy.method.params, policy.scale, hypothetical_weights).value
    if value is None:
        return -1
    return policy.scale.rank_of(round_half_away(value, policy.rounding))


def _smallest_raise(scores: Sequence[float], weights: Sequence[float] | None, policy: Policy,
                    current_rank: int) -> NextStep | None:
    candidates = policy.scale.ascending_points
    for count in range(1, MAX_EXTRA_SCORES + 1):
        for index, points in enumerate(candidates):
            rank = _rank_after(scores, weights, points, count, policy)
            if rank <= current_rank:
                continue
            # "or better" is only promised when every higher score would also raise the level (not so for mode).
            or_better = all(_rank_after(scores, weights, higher, count, policy) > current_rank
                            for higher in candidates[index + 1:])
            scale = policy.scale
            new_level = scale.levels[len(scale.levels) - 1 - rank]
            label = scale.levels[len(scale.levels) - 1 - index].label
            return NextStep("raise", points, label, count, new_level.label, new_level.points, or_better)
    return None
