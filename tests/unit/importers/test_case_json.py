"""1EdTech CASE JSON packages, from a file or from a CASE provider."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from lti_tool.adapters.importers import (
    FetchFailed,
    ImportFailed,
    export_case_json,
    parse_case_json,
    parse_case_url,
    parse_csv_framework,
)
from tests.unit.importers.framework_files import CASE_SAMPLE, EDGE_CASES, outline

STRICT = EDGE_CASES / "grade8-case-1.1-envelope.json"


def sample() -> dict[str, Any]:
    """The OpenSALT sample as a dictionary to break in one place."""
    return json.loads(CASE_SAMPLE.read_bytes())


def problems_of(package: Any) -> list[str]:
    """Every problem the parser reports for a package, as "location: reason" lines."""
    data = package if isinstance(package, bytes) else json.dumps(package).encode()
    with pytest.raises(ImportFailed) as failure:
        parse_case_json(data)
    return [str(problem) for problem in failure.value.problems]


def test_the_early_opensalt_sample_is_read_tolerantly() -> None:
    draft = parse_case_json(CASE_SAMPLE.read_bytes())

    assert (draft.identifier, draft.title, draft.creator) == (
        "20c5134f-423d-4097-a971-3dd5152bf507", "What Standards Could Be", "Brandon Dorman"
    )
    assert len(draft.standards) == 16
    assert [s.code for s in draft.standards if s.parent_identifier is None] == [
        "CCSS.Math.Content.6.RP.A", "CCSS.Math.Content.7.RP.A"
    ]


def test_item_types_grade_levels_and_components_come_through() -> None:
    draft = parse_case_json(CASE_SAMPLE.read_bytes())
    by_code = {s.code: s for s in draft.standards}

    assert by_code["CCSS.Math.Content.6.RP.A"].kind == "cluster"
    assert by_code["CCSS.Math.Content.6.RP.A.3"].kind == "standard"
    component = by_code["CCSS.Math.Content.6.RP.A.3b"]
    assert component.kind == "component"
    assert component.grade_levels == ("06",)
    assert component.parent_identifier == by_code["CCSS.Math.Content.6.RP.A.3"].identifier
    assert [s.code[-1] for s in draft.standards if s.parent_identifier == component.parent_identifier] == [
        "a", "b", "c", "d"
    ]


def test_strict_case_1_1_in_the_endpoint_envelope_is_read() -> None:
    draft = parse_case_json(STRICT.read_bytes())
    by_code = {s.code: s for s in draft.standards}

    assert draft.title == "Grade 8 Mathematics"
    assert (draft.version, draft.subject, draft.publisher) == ("2024", "Mathematics", "Example State")
    assert [s.code for s in draft.standards] == ["8.EE", "8.EE.A", "8.EE.A.1", "8.EE.A.2"]
    assert by_code["8.EE"].kind == "domain"
    assert by_code["8.EE.A.2"].grade_levels == ("07", "08")
    assert by_code["8.EE.A.2"].label == "Square and cube roots"
    assert by_code["8.EE.A.2"].subject == "Mathematics"


def test_siblings_follow_sequence_numbers_rather_than_file_order() -> None:
    package = json.loads(STRICT.read_bytes())
    items = package["CFPackage"]["CFItems"]
    items[2], items[3] = items[3], items[2]

    draft = parse_case_json(json.dumps(package).encode())

    assert [s.code for s in draft.standards][2:] == ["8.EE.A.1", "8.EE.A.2"]


def test_a_second_parent_is_kept_as_an_extra_parent() -> None:
    package = sample()
    extra = copy.deepcopy(package["CFAssociations"][2])  # 6.RP.A.1 isChildOf 6.RP.A
    extra["destinationNodeURI"]["identifier"] = "ddcf67a6-abf2-4df1-8d95-8752d65f0ec2"
    package["CFAssociations"].append(extra)

    draft = parse_case_json(json.dumps(package).encode())
    standard = next(s for s in draft.standards if s.code == "CCSS.Math.Content.6.RP.A.1")

    assert standard.extra_parent_identifiers == ("ddcf67a6-abf2-4df1-8d95-8752d65f0ec2",)


def test_item_problems_are_reported_with_json_paths() -> None:
    package = sample()
    package["CFItems"][3]["fullStatement"] = ""
    package["CFItems"][5]["identifier"] = package["CFItems"][4]["identifier"]
    package["CFItems"][7]["humanCodingScheme"] = package["CFItems"][6]["humanCodingScheme"]
    package["CFItems"][8]["educationalLevel"] = {"grade": 6}

    assert problems_of(package) == [
        "$.CFItems[3].fullStatement: fullStatement is empty",
        "$.CFItems[8].educationalLevel: educationalLevel must be a list of text values",
        "$.CFItems[5].identifier: duplicate identifier "
        f"'{package['CFItems'][4]['identifier']}' (first used on $.CFItems[4].identifier)",
        f"$.CFItems[7].humanCodingScheme: duplicate code '{package['CFItems'][6]['humanCodingScheme']}' "
        "(first used on $.CFItems[6].humanCodingScheme)",
    ]


def test_a_parent_outside_the_package_and_a_cycle_are_reported_at_the_association() -> None:
    package = sample()
    package["CFAssociations"][2]["destinationNodeURI"] = {"title": "?", "identifier": "not-here", "uri": "x"}
    top = package["CFAssociations"][15]  # 6.RP.A isChildOf the document
    top["destinationNodeURI"]["identifier"] = "d83a65ed-770c-4dbe-a505-11e5e17a9a79"  # its grandchild

    assert problems_of(package) == [
        "$.CFAssociations[2].destinationNodeURI: parent 'not-here' of "
        "'CCSS.Math.Content.6.RP.A.1' is not in the file",
        "$.CFAssociations[15].destinationNodeURI: parents form a cycle: 'CCSS.Math.Content.6.RP.A' "
        "→ 'CCSS.Math.Content.6.RP.A.3' → 'CCSS.Math.Content.6.RP.A'",
    ]


def test_a_child_that_is_no_item_of_the_package_is_reported() -> None:
    package = sample()
    package["CFAssociations"][2]["originNodeURI"] = {"title": "x", "identifier": "ghost", "uri": "u"}

    assert problems_of(package) == [
        "$.CFAssociations[2].originNodeURI: isChildOf names a child 'ghost' that is not a CFItem here"
    ]


def test_broken_json_names_its_line() -> None:
    assert problems_of(b'{\n  "CFDocument": {,\n}') == [
        "line 2: not valid JSON: Expecting property name enclosed in double quotes (column 18)"
    ]


def test_a_package_without_document_or_items_is_refused() -> None:
    assert problems_of([1, 2]) == ["$: a CASE package is a JSON object with CFDocument and CFItems"]
    assert problems_of({"CFItems": []}) == ["$.CFDocument: CFDocument is missing"]
    assert problems_of({"CFDocument": {"identifier": "d", "title": "T"}, "CFItems": []}) == [
        "$.CFItems: the package has no CFItems (no standards)"
    ]
    assert problems_of(b"") == ["file: the file is empty"]


def test_export_round_trips_the_sample_with_its_identifiers() -> None:
    draft = parse_case_json(CASE_SAMPLE.read_bytes())

    assert parse_case_json(export_case_json(draft)) == draft


def test_export_writes_case_1_1_shapes() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    package = json.loads(export_case_json(draft, now=when, base_uri="https://sbg.example.org/case/"))

    item = package["CFItems"][2]
    assert uuid.UUID(item["identifier"])
    assert item["uri"] == f"https://sbg.example.org/case/{item['identifier']}"
    assert item["humanCodingScheme"] == "8.EE.A.1"
    assert item["CFItemType"] == "Standard"
    assert set(item["CFItemTypeURI"]) == {"title", "identifier", "uri"}
    assert item["educationLevel"] == ["8"]
    assert item["lastChangeDateTime"] == "2025-01-02T03:04:05Z"
    assert "CFDocumentURI" not in item
    association = package["CFAssociations"][0]
    assert association["associationType"] == "isChildOf"
    assert association["destinationNodeURI"]["identifier"] == package["CFDocument"]["identifier"]
    assert package["CFDocument"]["caseVersion"] == "1.1"
    assert outline(parse_case_json(json.dumps(package).encode())) == outline(draft)


def test_exporting_twice_gives_the_same_identifiers() -> None:
    draft = parse_csv_framework((EDGE_CASES / "grade8-expressions.csv").read_bytes())
    when = datetime(2025, 1, 2, tzinfo=timezone.utc)

    assert export_case_json(draft, now=when) == export_case_json(draft, now=when)


def test_a_provider_package_address_is_fetched_and_read() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return STRICT.read_bytes()

    draft = parse_case_url("https://case.example.org/ims/case/v1p1/CFPackages/c1a6", fetch=fetch)

    assert asked == ["https://case.example.org/ims/case/v1p1/CFPackages/c1a6"]
    assert draft.title == "Grade 8 Mathematics"


def test_a_document_address_is_turned_into_its_package_address() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return CASE_SAMPLE.read_bytes()

    parse_case_url("https://case.example.org/ims/case/v1p0/CFDocuments/20c5134f", fetch=fetch)

    assert asked == ["https://case.example.org/ims/case/v1p0/CFPackages/20c5134f"]


def test_plain_http_addresses_are_refused_without_fetching() -> None:
    def fetch(url: str) -> bytes:
        raise AssertionError("must not be called")

    with pytest.raises(ImportFailed) as failure:
        parse_case_url("http://case.example.org/ims/case/v1p0/CFPackages/x", fetch=fetch)

    assert str(failure.value.problems[0]) == "url: only https:// addresses can be imported"


def test_a_failed_download_becomes_an_import_problem() -> None:
    def fetch(url: str) -> bytes:
        raise FetchFailed("the server answered HTTP 404")

    with pytest.raises(ImportFailed) as failure:
        parse_case_url("https://case.example.org/ims/case/v1p0/CFPackages/x", fetch=fetch)

    assert str(failure.value.problems[0]) == (
        "url: could not download https://case.example.org/ims/case/v1p0/CFPackages/x: "
        "the server answered HTTP 404"
    )
