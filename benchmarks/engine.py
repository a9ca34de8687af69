"""Mastery engine speed: batch path vs per-student path for every method, and one student's page.

Run: ``.venv/bin/python benchmarks/engine.py [--rows N] [--per-student-groups N]``. Generates N evidence rows
(default 1,000,000 = 10,000 students × 25 standards × 4 scores), times the NumPy batch path on all rows and the
per-student path (with traces and guidance) on a sample of groups, scaled to all rows, and prints ratios.
Targets: linear methods < 1 s per million rows in the batch path, power_law < 3 s, one student's 25 standards
with traces < 5 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool.engine import (  # noqa: E402
    METHODS, Evidence, EvidenceTable, calculate, calculate_batch, parse_method, parse_policy,
)

STANDARDS = 25
SCORES = 4
START = datetime(2026, 9, 1, tzinfo=UTC)
POLICY = {
    "scale": {"levels": [{"points": 4, "label": "Exceeds"}, {"points": 3, "label": "Meets"},
                         {"points": 2, "label": "Approaching"}, {"points": 1, "label": "Beginning"}],
              "mastery_points": 3},
    "conversion": {"cut_scores": [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
                                  {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]},
    "method": "average",
    "n_mastery_n": 3,
}


def make_table(rows: int, seed: int = 1) -> EvidenceTable:
    """Random raw scores out of 10, four a week apart per (student, standard), 2% excused, in shuffled order."""
    rng = np.random.default_rng(seed)
    groups = rows // SCORES
    group = np.repeat(np.arange(groups, dtype=np.int64), SCORES)
    week = np.tile(np.arange(SCORES, dtype=np.int64), groups)
    time_us = (START.timestamp() + week * 7 * 86400 + rng.integers(0, 86400, len(group))).astype(np.int64) * 10**6
    order = rng.permutation(len(group))  # rows arrive in no particular order; time decides
    keys = [(f"s{index // STANDARDS}", f"std{index % STANDARDS}") for index in range(groups)]
    return EvidenceTable(
        keys=keys, group=group[order], time=time_us[order],
        score=rng.integers(3, 11, len(group)).astype(np.float64)[order],
        max_score=np.full(len(group), 10.0), points=np.full(len(group), np.nan),
        excused=(rng.random(len(group)) < 0.02)[order], missing=np.zeros(len(group), dtype=np.bool_),
        item_id=np.full(len(group), -1, dtype=np.int64), replaces=np.full(len(group), -1, dtype=np.int64))


def evidence_for(table: EvidenceTable, groups: np.ndarray) -> list[list[Evidence]]:
    """Evidence objects for the chosen groups, in table row order."""
    wanted = set(groups.tolist())
    by_group: dict[int, list[Evidence]] = {int(g): [] for g in groups}
    for row in np.flatnonzero(np.isin(table.group, groups)):
        g = int(table.group[row])
        if g in wanted:
            student, standard = table.keys[g]
            moment = datetime.fromtimestamp(int(table.time[row]) / 10**6, UTC)
            by_group[g].append(Evidence(student, standard, f"A{row}", score=float(table.score[row]),
                                        max_score=float(table.max_score[row]), submitted_at=moment,
                                        excused=bool(table.excused[row])))
    return [by_group[int(g)] for g in groups]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--per-student-groups", type=int, default=5_000,
                        help="groups timed on the per-student path (scaled to all rows); 0 = all")
    args = parser.parse_args()
    table = make_table(args.rows)
    group_count = len(table.keys)
    sample_size = group_count if args.per_student_groups <= 0 else min(args.per_student_groups, group_count)
    sample = np.random.default_rng(2).choice(group_count, sample_size, replace=False)
    sample_evidence = evidence_for(table, sample)
    base = parse_policy({key: value for key, value in POLICY.items() if key != "n_mastery_n"})
    print(f"{len(table.group):,} evidence rows, {group_count:,} (student, standard) groups; "
          f"per-student path timed on {sample_size:,} groups and scaled")
    print(f"{'method':<27}{'batch s':>9}{'per-student s':>15}{'ratio':>8}{'target s':>10}  equal")
    for name in METHODS:
        params = {"n": POLICY["n_mastery_n"]} if name == "n_mastery" else {}
        policy = type(base)(scale=base.scale, method=parse_method({"name": name, **params}),
                            conversion=base.conversion)
        started = time.perf_counter()
        batch = calculate_batch(table, policy)
        batch_seconds = time.perf_counter() - started
        started = time.perf_counter()
        singles = [calculate(items, policy) for items in sample_evidence]
        per_student_seconds = (time.perf_counter() - started) * group_count / sample_size
        equal = all((batch.score[g] == r.score) or (np.isnan(batch.score[g]) and r.score is None)
                    for g, r in zip(sample.tolist(), singles))
        target = 3.0 if name == "power_law" else 1.0
        scale_to_million = 1_000_000 / len(table.group)
        print(f"{name:<27}{batch_seconds * scale_to_million:>9.3f}{per_student_seconds * scale_to_million:>15.2f}"
              f"{per_student_seconds / batch_seconds:>7.0f}x{target:>10.1f}  {'yes' if equal else 'NO'}")
    one_student = [[Evidence("s1", f"std{standard}", f"Task {k}", points=float(1 + (standard + k) % 4),
                             submitted_at=START + timedelta(days=7 * k)) for k in range(SCORES)]
                   for standard in range(STANDARDS)]
    policy = type(base)(scale=base.scale, method=parse_method("decaying_average"), conversion=base.conversion)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        results = [calculate(items, policy) for items in one_student]
        for result in results:
            result.trace_dicts()
    single_ms = (time.perf_counter() - started) / runs * 1000
    print(f"one student, {STANDARDS} standards with traces and guidance: {single_ms:.2f} ms (target < 5 ms)")
    print("batch seconds are per million rows on one core; ratio = per-student time / batch time")


if __name__ == "__main__":
    main()
