"""Every format reads back what it wrote, the samples agree, and 10,000 standards go through."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lti_tool.adapters.importers import (
    FORMATS,
    ImportFailed,
    export_case_json,
    parse_case_json,
    parse_csv_framework,
)
from tests.unit.importers.framework_files import CSV_HEADER, EDGE_CASES, SAMPLES, outline

SOURCES = {**SAMPLES, "csv": EDGE_CASES / "grade8-expressions.csv"}


def generated_csv(domains: int = 16, clusters: int = 24, standards: int = 25) -> bytes:
    """A plain CSV of domains > clusters > standards (defaults: 10,000 rows), children first."""
    rows = []
    for d in range(domains):
        for c in range(clusters):
            for s in range(standards):
                rows.append(f"D{d}.C{c}.S{s},D{d}.C{c},Standard {s},Do thing {d}-{c}-{s}.,{d % 12 + 1},Math\n")
            rows.append(f"D{d}.C{c},D{d},Cluster {c},,{d % 12 + 1},Math\n")
        rows.append(f"D{d},,Domain {d},,{d % 12 + 1},Math\n")
    return (CSV_HEADER + "".join(rows)).encode()


def test_the_three_lms_samples_describe_the_same_standards() -> None:
    outlines = {name: outline(FORMATS[name].parse(path.read_bytes())) for name, path in SAMPLES.items()}

    assert len(outlines["case"]) == 16
    assert outlines["case"] == outlines["canvas"] == outlines["moodle"]


@pytest.mark.parametrize("target", sorted(FORMATS))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_a_file_exported_to_any_format_reads_back_the_same_outline(source: str, target: str) -> None:
    draft = FORMATS[source].parse(SOURCES[source].read_bytes())

    again = FORMATS[target].parse(FORMATS[target].export(draft))

    assert outline(again) == outline(draft)
    assert [s.position for s in again.standards] == [s.position for s in draft.standards]


@pytest.mark.parametrize("name", ["canvas", "csv", "moodle"])
def test_exporting_what_was_read_again_gives_the_same_bytes(name: str) -> None:
    once = FORMATS[name].export(FORMATS[name].parse(SOURCES[name].read_bytes()))

    assert FORMATS[name].export(FORMATS[name].parse(once)) == once


def test_a_case_export_read_and_exported_again_gives_the_same_bytes() -> None:
    when = datetime(2025, 1, 2, tzinfo=timezone.utc)
    once = export_case_json(parse_case_json(SOURCES["case"].read_bytes()), now=when)

    assert export_case_json(parse_case_json(once), now=when) == once


def test_ten_thousand_standards_parse_in_tree_order() -> None:
    draft = parse_csv_framework(generated_csv())

    assert len(draft.standards) == 10_000
    assert draft.standards[0].code == "D0"
    assert draft.standards[1].code == "D0.C0"
    assert draft.standards[2].code == "D0.C0.S0"
    assert draft.standards[-1].code == "D15.C23.S24"


@pytest.mark.parametrize("target", sorted(FORMATS))
def test_ten_thousand_standards_round_trip_through_every_format(target: str) -> None:
    draft = parse_csv_framework(generated_csv())

    again = FORMATS[target].parse(FORMATS[target].export(draft))

    assert outline(again) == outline(draft)


def test_a_very_deep_chain_neither_overflows_nor_hides_a_cycle() -> None:
    rows = [f"N{n},{f'N{n - 1}' if n else ''},Level {n},,,\n" for n in range(5_000)]
    deep = parse_csv_framework((CSV_HEADER + "".join(rows)).encode())
    assert deep.standards[-1].code == "N4999"

    looped = CSV_HEADER + "".join(rows).replace("N0,,", "N0,N4999,", 1)
    with pytest.raises(ImportFailed) as failure:
        parse_csv_framework(looped.encode())
    assert len(failure.value.problems) == 1
    assert "parents form a cycle: 'N0' → 'N4999' → 'N4998'" in str(failure.value.problems[0])
