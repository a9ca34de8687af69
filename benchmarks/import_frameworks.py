"""Benchmark: parse a generated 10,000-standard CASE package (and the same framework in the CSVs).

For each format it prints the best of several parse times next to a baseline measured in the same
run on the same bytes: `json.loads` for CASE, `csv.reader` over the decoded text for the CSV formats.
The ratio is the cost of checking and building the draft on top of merely reading the file.
The database part of an import (storing drafts) is measured separately once the import service exists.
Run: `.venv/bin/python -m benchmarks.import_frameworks` from the repository root.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool.adapters.importers import (  # noqa: E402
    FORMATS,
    FrameworkDraft,
    StandardDraft,
    export_case_json,
)

# The parse of a 10,000-standard package should leave most of the 5 s import budget to the database.
TARGET_SECONDS = 1.0


def generated_framework(total: int) -> FrameworkDraft:
    """Domains > clusters > standards with grades and statements, `total` standards in all."""
    standards: list[StandardDraft] = []
    domain = cluster = None
    for number in range(total):
        if number % 500 == 0:
            domain = f"D{number // 500}"
            standards.append(_standard(domain, None, "domain", len(standards)))
            continue
        if number % 25 == 1:
            cluster = f"{domain}.C{number // 25}"
            standards.append(_standard(cluster, domain, "cluster", len(standards)))
            continue
        standards.append(_standard(f"{cluster}.S{number}", cluster, "standard", len(standards)))
    return FrameworkDraft(
        identifier="bench-framework",
        title="Generated framework",
        source_format="csv",
        standards=tuple(standards),
        subject="Mathematics",
        creator="Benchmark",
    )


def _standard(code: str, parent: str | None, kind: str, number: int) -> StandardDraft:
    """One generated standard."""
    return StandardDraft(
        identifier=code,
        code=code,
        parent_identifier=parent,
        kind=kind,
        label=f"{kind.title()} {number}",
        statement=f"Students can explain and apply idea number {number} in a real-world problem.",
        grade_levels=(str(number % 12 + 1),),
        subject="Mathematics",
    )


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """The fastest of `repeats` runs, in seconds (least disturbed by the rest of the machine)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def csv_baseline(data: bytes) -> object:
    """Only decoding and splitting the CSV: the least any CSV parser has to do."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def main() -> int:
    """Time each parser against its baseline; exit 1 if CASE misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--standards", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    draft = generated_framework(args.standards)
    when = datetime(2025, 1, 1, tzinfo=timezone.utc)
    files = {
        "case": export_case_json(draft, now=when),
        **{name: FORMATS[name].export(draft) for name in ("canvas", "moodle", "csv")},
    }
    print(f"{args.standards:,} standards, best of {args.repeats} runs")
    print(f"{'format':<8} {'size':>9} {'baseline':>10} {'parse':>9} {'ratio':>7}")
    case_seconds = 0.0
    for name, data in files.items():
        parsed = FORMATS[name].parse(data)
        assert len(parsed.standards) == args.standards, name
        baseline = best_of(args.repeats, (lambda: json.loads(data)) if name == "case"
                           else (lambda: csv_baseline(data)))
        seconds = best_of(args.repeats, lambda: FORMATS[name].parse(data))
        case_seconds = seconds if name == "case" else case_seconds
        print(f"{name:<8} {len(data) / 1e6:>7.1f}MB {baseline * 1000:>8.1f}ms "
              f"{seconds * 1000:>7.1f}ms {seconds / baseline:>6.1f}x")
    verdict = "within" if case_seconds < TARGET_SECONDS else "OVER"
    print(f"CASE parse {case_seconds:.3f} s: {verdict} the {TARGET_SECONDS:.1f} s parse target")
    return 0 if case_seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
