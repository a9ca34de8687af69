"""Moodle's competency framework CSV (admin/tool/lpimportcsv)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lti_tool.adapters.importers import (
    ImportFailed,
    export_moodle_competencies,
    parse_csv_framework,
    parse_moodle_competencies,
)
from lti_tool.adapters.importers.moodle_competencies import HEADER
from tests.unit.importers.framework_files import EDGE_CASES, MOODLE_SAMPLE, outline

FRAMEWORK_ROW = ',FW,Framework,,1,"Low,High","[{""scaleid"":""0""},{""id"":2,""proficient"":1}]",,,,,,1,domain\n'


def moodle_file(*rows: str) -> bytes:
    """A Moodle file with the current header, a framework row and the given rows."""
    return (",".join(HEADER) + "\n" + FRAMEWORK_ROW + "".join(rows)).encode()


def problems_of(data: bytes) -> list[str]:
    """Every problem the parser reports, as "location: reason" lines."""
    with pytest.raises(ImportFailed) as failure:
        parse_moodle_competencies(data)
    return [str(problem) for problem in failure.value.problems]


def test_the_real_sample_gives_the_framework_and_its_16_competencies() -> None:
    draft = parse_moodle_competencies(MOODLE_SAMPLE.read_bytes())

    assert (draft.identifier, draft.title) == ("CCSS.MATH.RP", "What Standards Could Be")
    assert draft.description.startswith("Common Core State Standards for Mathematics")
    assert len(draft.standards) == 16
    assert draft.standards[0].code == "CCSS.Math.Content.6.RP.A"
    assert draft.standards[0].parent_identifier is None


def test_the_framework_scale_keeps_its_order_and_its_proficient_items() -> None:
    draft = parse_moodle_competencies(MOODLE_SAMPLE.read_bytes())

    assert draft.scale is not None
    assert [(r.points, r.description) for r in draft.scale.ratings] == [
        (4, "Exceeds"), (3, "Meets"), (2, "Approaching"), (1, "Beginning")
    ]
    assert draft.scale.mastery_points == 3


def test_kinds_come_from_the_taxonomy_term_of_each_level() -> None:
    draft = parse_moodle_competencies(MOODLE_SAMPLE.read_bytes())
    kinds = {s.code: s.kind for s in draft.standards}

    assert kinds["CCSS.Math.Content.6.RP.A"] == "domain"
    assert kinds["CCSS.Math.Content.6.RP.A.1"] == "cluster"
    assert kinds["CCSS.Math.Content.6.RP.A.3a"] == "competency"


def test_older_column_titles_html_descriptions_and_quoted_newlines_are_read() -> None:
    draft = parse_moodle_competencies((EDGE_CASES / "moodle-older-headers.csv").read_bytes())
    life_science, cells = draft.standards

    assert draft.title == "Science 6"
    assert life_science.label == "Life science"
    assert life_science.statement == "Living things and their environments.\nSecond paragraph & more."
    assert cells.parent_identifier == "SCI-6.LS"
    assert cells.kind == "competency"
    assert draft.scale is not None and draft.scale.mastery_points == 2


def test_a_file_without_a_framework_row_is_refused() -> None:
    data = (",".join(HEADER) + "\n" + ",A,Alpha,Statement,1,,,,,,,,,\n").encode()

    assert problems_of(data) == ["file: no framework row: one row needs 'Is framework' set to 1"]


def test_a_second_framework_row_is_reported() -> None:
    data = moodle_file(",A,Alpha,Statement,1,,,,,,,,,\n", ",FW2,Another,,1,,,,,,,,1,\n")

    assert problems_of(data) == [
        "line 4, Is framework: a second framework row; a file holds one framework "
        "(the first is on line 2)"
    ]


def test_every_competency_problem_is_reported_with_its_line() -> None:
    data = moodle_file(
        ",A,Alpha,Statement,1,,,,,,,,,\n",
        "A,B,,Statement,1,,,,,,,,,\n",
        "Z,C,Gamma,Statement,1,,,,,,,,,\n",
        "A,A.1,A one,Statement,1,Yes,{bad json,,,,,,,\n",
        ",A,Alpha again,Statement,1,,,,,,,,,\n",
    )

    assert problems_of(data) == [
        "line 4, Short name: Short name is empty",
        "line 5, Parent ID number: parent 'Z' of 'C' is not in the file",
        "line 6, Scale configuration: Scale configuration is not valid JSON",
        "line 7, ID number: duplicate ID number 'A' (first used on line 3)",
    ]


def test_a_missing_required_column_is_named() -> None:
    header = [title for title in HEADER if title != "Is framework"]
    data = (",".join(header) + "\n,A,Alpha,,1\n").encode()

    assert problems_of(data) == ["line 1, Is framework: required column 'Is framework' is missing"]


def test_a_competency_naming_the_framework_as_parent_sits_at_the_top() -> None:
    draft = parse_moodle_competencies(moodle_file("FW,A,Alpha,Statement,1,,,,,,,,,\n"))

    assert draft.standards[0].parent_identifier is None


def test_export_round_trips_the_sample_apart_from_taxonomy_terms_moodle_lacks() -> None:
    draft = parse_moodle_competencies(MOODLE_SAMPLE.read_bytes())

    again = parse_moodle_competencies(export_moodle_competencies(draft))

    assert outline(again) == outline(draft)
    assert (again.identifier, again.title, again.description, again.scale) == (
        draft.identifier, draft.title, draft.description, draft.scale
    )
    assert {s.kind for s in again.standards} == {"domain", "competency"}


def test_export_writes_moodle_headers_a_valid_scale_and_shortnames() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())

    rows = list(csv.reader(io.StringIO(export_moodle_competencies(draft).decode())))

    assert rows[0] == list(HEADER)
    framework = dict(zip(HEADER, rows[1]))
    assert framework["Is framework"] == "1"
    assert framework["Scale values"] == "Beginning,Approaching,Meets,Exceeds"
    assert json.loads(framework["Scale configuration"])[1] == {
        "id": 3, "scaledefault": 1, "proficient": 1
    }
    assert framework["Taxonomy"] == "competency,competency,competency,competency"
    leaf = dict(zip(HEADER, rows[-1]))
    assert (leaf["Parent ID number"], leaf["ID number"], leaf["Short name"]) == (
        "8.EE.A.2", "8.EE.A.2.a", "Perfect squares"
    )
