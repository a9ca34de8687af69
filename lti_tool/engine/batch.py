"""The batch path: NumPy arrays in, one result per (student, standard) out, equal to the per-student path.

It computes scores, levels and mastery only; traces and guidance come from :func:`calculate` for one student.
Both paths share the conversion, ordering, rounding and summation order, so the rounded results are identical.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .errors import PolicyError
from .evidence import Evidence, time_key
from .methods import POWER_LAW_ZERO
from .numbers import round_half_away_array, snap_array
from .policy import Policy
from .scale import ProficiencyScale

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class EvidenceTable:
    """Evidence as parallel arrays, one row per item, rows in input order.

    ``group`` indexes ``keys`` (student, standard); ``score``/``max_score``/``points`` are NaN where absent;
    ``time`` is :func:`~lti_tool.engine.evidence.time_key`; ``item_id``/``replaces`` are integer codes
    (-1 for none) where equal codes mean the same evidence id within the same group; ``weight`` is each
    item's weight (None: all 1).
    """

    keys: Sequence[tuple[str, str]]
    group: Ints
    time: Ints
    score: Floats
    max_score: Floats
    points: Floats
    excused: Bools
    missing: Bools
    item_id: Ints
    replaces: Ints
    weight: Floats | None = None

    @classmethod
    def from_evidence(cls, evidence: Sequence[Evidence]) -> EvidenceTable:
        """Build a table from Evidence objects (groups numbered in order of first appearance)."""
        keys: dict[tuple[str, str], int] = {}
        codes: dict[tuple[int, str], int] = {}

        def code(group: int, identifier: str | None) -> int:
            return -1 if identifier is None else codes.setdefault((group, identifier), len(codes))

        groups = [keys.setdefault((item.student, item.standard), len(keys)) for item in evidence]
        nan = float("nan")
        return cls(
            keys=list(keys),
            group=np.array(groups, dtype=np.int64),
            time=np.array([item.order_key for item in evidence], dtype=np.int64),
            score=np.array([nan if item.score is None else item.score for item in evidence], dtype=np.float64),
            max_score=np.array([nan if item.max_score is None else item.max_score for item in evidence],
                               dtype=np.float64),
            points=np.array([nan if item.points is None else item.points for item in evidence], dtype=np.float64),
            excused=np.array([item.excused for item in evidence], dtype=np.bool_),
            missing=np.array([item.missing for item in evidence], dtype=np.bool_),
            item_id=np.array([code(g, item.id) for g, item in zip(groups, evidence)], dtype=np.int64),
            replaces=np.array([code(g, item.replaces) for g, item in zip(groups, evidence)], dtype=np.int64),
            weight=np.array([item.weight for item in evidence], dtype=np.float64),
        )


class BatchRow(NamedTuple):
    """One batch result as plain values."""

    student: str
    standard: str
    score: float | None
    level: str | None
    mastered: bool
    evidence_count: int


@dataclass(frozen=True)
class BatchResult:
    """Per-group arrays: rounded ``score`` (NaN: no result), ``level_index`` into ``scale.levels`` (-1: none)."""

    keys: Sequence[tuple[str, str]]
    scale: ProficiencyScale
    score: Floats
    level_index: Ints
    mastered: Bools
    evidence_count: Ints

    def rows(self) -> Iterator[BatchRow]:
        """Iterate the results as plain rows, in group order."""
        for index, (student, standard) in enumerate(self.keys):
            score = float(self.score[index])
            level = int(self.level_index[index])
            yield BatchRow(student, standard, None if np.isnan(score) else score,
                           None if level < 0 else self.scale.levels[level].label,
                           bool(self.mastered[index]), int(self.evidence_count[index]))


@dataclass(frozen=True)
class _Sorted:
    """Counted evidence sorted by group then time (stable), with each row's position in its group."""

    group: Ints
    value: Floats
    weight: Floats
    rank: Ints
    counts: Ints
    starts: Ints

    @property
    def has(self) -> Bools:
        return self.counts > 0

    @property
    def last(self) -> Ints:
        return self.starts + self.counts - 1


def calculate_batch(table: EvidenceTable, policy: Policy, as_of: datetime | None = None) -> BatchResult:
    """Calculate every group of ``table`` at once; equal to :func:`calculate` group by group."""
    group_count = len(table.keys)
    rows = _sorted_counted(table, policy, as_of, group_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _BATCH_METHODS[policy.method.name](rows, policy)
    score = round_half_away_array(value, policy.rounding)
    scale = policy.scale
    ascending = np.array(scale.ascending_points, dtype=np.float64)
    has_score = ~np.isnan(score)
    rank = np.maximum(np.searchsorted(ascending, np.where(has_score, score, 0.0), side="right") - 1, 0)
    level_index = np.where(has_score, len(ascending) - 1 - rank, -1).astype(np.int64)
    mastered = has_score & (np.where(has_score, score, -np.inf) >= scale.mastery_points)
    return BatchResult(table.keys, scale, score, level_index, mastered, rows.counts)


def _sorted_counted(table: EvidenceTable, policy: Policy, as_of: datetime | None, group_count: int) -> _Sorted:
    in_window = np.ones(len(table.group), dtype=np.bool_) if as_of is None else table.time <= time_key(as_of)
    usable = in_window & ~table.excused
    if policy.missing == "exclude":
        usable &= ~table.missing
    counted = usable
    if policy.reassessment == "replace":
        superseded = np.unique(table.replaces[usable & (table.replaces >= 0)])
        counted = usable & ~((table.item_id >= 0) & np.isin(table.item_id, superseded))
    points = _points(table, policy, counted)
    weight = np.ones(len(table.group)) if table.weight is None else table.weight
    group, time, value, weight = table.group[counted], table.time[counted], points[counted], weight[counted]
    order = np.lexsort((time, group))  # stable: equal times keep input order
    group, value, weight = group[order], value[order], weight[order]
    counts = np.bincount(group, minlength=group_count).astype(np.int64)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(group), dtype=np.int64) - starts[group]
    return _Sorted(group, value, weight, rank, counts, starts)


def _points(table: EvidenceTable, policy: Policy, counted: Bools) -> Floats:
    rubric = ~np.isnan(table.points)
    needs_conversion = counted & ~rubric & ~table.missing
    points = np.where(rubric, table.points, 0.0)
    if needs_conversion.any():
        if policy.conversion is None:
            raise PolicyError("conversion", "cut scores are needed to convert score and max into points")
        cuts = policy.conversion.ascending
        mins = np.array([cut.min_percent for cut in cuts], dtype=np.float64)
        cut_points = np.array([cut.points for cut in cuts], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            percent = snap_array(table.score * 100 / table.max_score)
        index = np.searchsorted(mins, np.where(needs_conversion, percent, 0.0), side="right") - 1
        converted = np.where(index >= 0, cut_points[np.maximum(index, 0)], policy.scale.lowest.points)
        points = np.where(needs_conversion, converted, points)
    return np.where(table.missing, 0.0, points)


def _empty(rows: _Sorted) -> Floats:
    return np.full(len(rows.counts), np.nan)


def _latest(rows: _Sorted, policy: Policy) -> Floats:
    out, has = _empty(rows), rows.has
    out[has] = rows.value[rows.last[has]]
    return out


def _highest(rows: _Sorted, policy: Policy) -> Floats:
    out, has = _empty(rows), rows.has
    if has.any():
        out[has] = np.maximum.reduceat(rows.value, rows.starts[has])
    return out


def _group_sum(rows: _Sorted, mask: Bools | None = None, values: Floats | None = None) -> Floats:
    # bincount adds strictly in row order, the same left-to-right order as Python's sum() on one group.
    data = rows.value if values is None else values
    if mask is None:
        return np.bincount(rows.group, weights=data, minlength=len(rows.counts))
    return np.bincount(rows.group[mask], weights=data[mask], minlength=len(rows.counts))


def _weighted_mean(rows: _Sorted, mask: Bools | None = None) -> Floats:
    # Σ value × weight ÷ Σ weight, like methods.weighted_mean; with weights of 1 it is exactly sum ÷ count.
    return _group_sum(rows, mask, rows.value * rows.weight) / _group_sum(rows, mask, rows.weight)


def _average(rows: _Sorted, policy: Policy) -> Floats:
    return np.where(rows.has, _weighted_mean(rows), np.nan)


def _decaying_average(rows: _Sorted, policy: Policy) -> Floats:
    weight = policy.method.params["weight"]
    earlier = rows.rank < rows.counts[rows.group] - 1
    earlier_mean = _weighted_mean(rows, earlier)
    latest = _latest(rows, policy)
    weighted = latest * (weight / 100) + earlier_mean * ((100 - weight) / 100)
    return np.where(rows.counts == 1, latest, np.where(rows.has, weighted, np.nan))


def _standard_decaying_average(rows: _Sorted, policy: Policy) -> Floats:
    weight = policy.method.params["weight"]
    keep, take = (100 - weight) / 100, weight / 100
    out, has = _empty(rows), rows.has
    out[has] = rows.value[rows.starts[has]]
    # Step through positions, all groups at once, repeating the per-student recurrence operation for operation.
    for position in range(1, int(rows.counts.max(initial=0))):
        active = np.flatnonzero(rows.counts > position)
        out[active] = out[active] * keep + rows.value[rows.starts[active] + position] * take
    return out


def _n_mastery(rows: _Sorted, policy: Policy) -> Floats:
    needed = policy.method.params["n"]
    kept = rows.value >= policy.scale.mastery_points
    kept_count = np.bincount(rows.group[kept], minlength=len(rows.counts))
    enough = (rows.counts >= needed) & (kept_count >= needed)
    return np.where(enough, _weighted_mean(rows, kept), np.nan)


def _median(rows: _Sorted, policy: Policy) -> Floats:
    ordered = rows.value[np.lexsort((rows.value, rows.group))]
    has = rows.has
    low = np.where(has, rows.starts + (rows.counts - 1) // 2, 0)
    high = np.where(has, rows.starts + rows.counts // 2, 0)
    if not len(ordered):
        return _empty(rows)
    odd = rows.counts % 2 == 1
    value = np.where(odd, ordered[low], (ordered[low] + ordered[high]) / 2)
    return np.where(has, value, np.nan)


def _mode(rows: _Sorted, policy: Policy) -> Floats:
    out = _empty(rows)
    if not len(rows.value):
        return out
    order = np.lexsort((rows.value, rows.group))
    group, value, rank = rows.group[order], rows.value[order], rows.rank[order]
    new_run = np.ones(len(group), dtype=np.bool_)
    new_run[1:] = (group[1:] != group[:-1]) | (value[1:] != value[:-1])
    run_starts = np.flatnonzero(new_run)
    run_count = np.diff(np.append(run_starts, len(group)))
    run_last = np.maximum.reduceat(rank, run_starts)  # most recent position of each distinct score
    run_group = group[run_starts]
    # Per group, the winner is the run with the highest count, then the most recent last position.
    best = np.lexsort((run_last, run_count, run_group))
    final = np.ones(len(best), dtype=np.bool_)
    final[:-1] = run_group[best][1:] != run_group[best][:-1]
    winners = best[final]
    out[run_group[winners]] = value[run_starts[winners]]
    return out


def _average_of_latest(rows: _Sorted, policy: Policy) -> Floats:
    needed = policy.method.params["n"]
    used = rows.rank >= rows.counts[rows.group] - needed
    return np.where(rows.has, _weighted_mean(rows, used), np.nan)


def _power_law(rows: _Sorted, policy: Policy) -> Floats:
    scale = policy.scale
    log_x = np.log((rows.rank + 1).astype(np.float64))
    log_y = np.log(np.where(rows.value > 0, rows.value, POWER_LAW_ZERO))
    count = rows.counts.astype(np.float64)
    sum_x = _group_sum(rows, values=log_x)
    sum_y = _group_sum(rows, values=log_y)
    sum_xx = _group_sum(rows, values=log_x * log_x)
    sum_xy = _group_sum(rows, values=log_x * log_y)
    slope = (count * sum_xy - sum_x * sum_y) / (count * sum_xx - sum_x * sum_x)
    log_a = (sum_y - slope * sum_x) / count
    fitted = np.exp(log_a + slope * np.log(count))
    clamped = np.minimum(np.maximum(fitted, scale.lowest.points), scale.highest.points)
    single = _latest(rows, policy)
    return np.where(rows.counts == 1, single, np.where(rows.counts > 1, clamped, np.nan))


_BATCH_METHODS = {
    "decaying_average": _decaying_average,
    "standard_decaying_average": _standard_decaying_average,
    "n_mastery": _n_mastery,
    "latest": _latest,
    "highest": _highest,
    "average": _average,
    "median": _median,
    "mode": _mode,
    "average_of_latest": _average_of_latest,
    "power_law": _power_law,
}
