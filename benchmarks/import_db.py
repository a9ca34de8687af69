"""Benchmark: import a generated 10,000-standard CASE package into SQLite and a hermetic PostgreSQL.

An import is parse + compare with what is stored + bulk insert/update + commit. Each database gets a fresh
migrated schema and a district; the first import adds every standard, the second re-imports a new version
with 5% of statements changed and 1% of standards dropped (updates and retirements). Times are printed next
to the parse-only time of the same bytes, measured in the same run, and checked against the 5 s target.
Run: `.venv/bin/python -m benchmarks.import_db` from the repository root (PostgreSQL needs its server binaries;
`--sqlite-only` skips it).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_frameworks import best_of, generated_framework
from lti_tool.adapters.importers import (
    FrameworkDraft,
    export_case_json,
    parse_case_json,
)
from lti_tool.services.frameworks import import_framework
from lti_tool.services.platforms import add_district
from lti_tool.storage.db import make_engine, make_session_factory
from lti_tool.storage.migrate import upgrade

TARGET_SECONDS = 5.0


def newer_version(draft: FrameworkDraft) -> FrameworkDraft:
    """The same framework with every 20th statement reworded and every 100th leaf standard dropped."""
    kept = []
    for number, standard in enumerate(draft.standards):
        if standard.kind == "standard" and number % 100 == 7:
            continue
        if number % 20 == 3:
            standard = dataclasses.replace(standard, statement=standard.statement + " (revised)")
        kept.append(standard)
    return dataclasses.replace(draft, standards=tuple(kept))


def timed_import(url: str, first: bytes, second: bytes) -> tuple[float, float, dict[str, int]]:
    """Seconds for the first import and for the re-import (parse, plan, write, commit), and the re-import counts."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        district_id = add_district(session, f"benchmark-{time.time_ns()}", actor="benchmark").id
        session.commit()

    def run(data: bytes) -> dict[str, int]:
        with sessions() as session:
            result = import_framework(session, district_id, parse_case_json(data), actor="benchmark")
            session.commit()
            return result.counts

    started = time.perf_counter()
    added = run(first)
    first_seconds = time.perf_counter() - started
    assert added["added"] == len(parse_case_json(first).standards), added
    started = time.perf_counter()
    counts = run(second)
    second_seconds = time.perf_counter() - started
    engine.dispose()
    return first_seconds, second_seconds, counts


def report(name: str, parse_seconds: float, measure: Callable[[], tuple[float, float, dict[str, int]]]) -> bool:
    """Print one database's times and ratios; True when both imports meet the target."""
    first, second, counts = measure()
    print(f"{name:<11} first import {first:6.2f} s ({first / parse_seconds:4.1f}x parse)   "
          f"re-import {second:6.2f} s ({second / parse_seconds:4.1f}x parse; "
          f"{counts['added']} added, {counts['updated']} updated, {counts['retired']} retired)")
    return first < TARGET_SECONDS and second < TARGET_SECONDS


def main() -> int:
    """Time imports on each database against parse-only; exit 1 if any misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--standards", type=int, default=10_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    when = datetime(2025, 1, 1, tzinfo=UTC)
    draft = generated_framework(args.standards)
    first = export_case_json(dataclasses.replace(draft, source_format="case"), now=when)
    second = export_case_json(dataclasses.replace(newer_version(draft), source_format="case"), now=when)
    parse_seconds = best_of(3, lambda: parse_case_json(first))
    print(f"{args.standards:,} standards, CASE package {len(first) / 1e6:.1f} MB; parse only {parse_seconds:.3f} s")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        ok &= report("SQLite", parse_seconds,
                     lambda: timed_import(f"sqlite:///{folder}/bench.sqlite3", first, second))
    if not args.sqlite_only:
        from tests.support.services import PostgresServer

        server = PostgresServer.start()
        try:
            ok &= report("PostgreSQL", parse_seconds, lambda: timed_import(server.url, first, second))
        finally:
            server.stop()
    print(f"target: each import under {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
