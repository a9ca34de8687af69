"""Canvas's outcomes import CSV."""

from __future__ import annotations

import pytest

from lti_tool.adapters.importers import (
    ExportFailed,
    FrameworkDraft,
    ImportFailed,
    RatingDraft,
    StandardDraft,
    export_canvas_outcomes,
    parse_canvas_outcomes,
)
from tests.unit.importers.framework_files import CANVAS_SAMPLE, outline

HEADER = (
    "vendor_guid,object_type,title,description,display_name,calculation_method,"
    "calculation_int,workflow_state,parent_guids,mastery_points,ratings,,,\n"
)
GROUP = "g1,group,Ratios,Ratio reasoning,,,,active,,,,,,\n"


def problems_of(text: str) -> list[str]:
    """Every problem the parser reports for a file, as "location: reason" lines."""
    with pytest.raises(ImportFailed) as failure:
        parse_canvas_outcomes(text.encode())
    return [str(problem) for problem in failure.value.problems]


def test_the_real_sample_has_groups_and_outcomes_in_canvas_order() -> None:
    draft = parse_canvas_outcomes(CANVAS_SAMPLE.read_bytes())

    assert len(draft.standards) == 16
    assert [s.kind for s in draft.standards].count("group") == 4
    top = [s.code for s in draft.standards if s.parent_identifier is None]
    assert top == ["CCSS.Math.Content.6.RP.A", "CCSS.Math.Content.7.RP.A"]


def test_an_outcome_keeps_its_vendor_guid_calculation_and_ratings() -> None:
    draft = parse_canvas_outcomes(CANVAS_SAMPLE.read_bytes())
    outcome = next(s for s in draft.standards if s.code == "CCSS.Math.Content.6.RP.A.1")

    assert outcome.identifier == "b6f61076-aa12-450b-8f9d-b86bc071f85e"
    assert outcome.parent_identifier == "edfce0e7-dbbf-40d5-af1a-baccabef85e9"
    assert outcome.calculation_method == "standard_decaying_average"
    assert outcome.calculation_int == 65
    assert outcome.scale is not None
    assert outcome.scale.mastery_points == 3
    assert outcome.scale.ratings[0] == RatingDraft(points=4, description="Exceeds Mastery")
    assert outcome.scale.ratings[-1] == RatingDraft(points=0, description="No Evidence")


def test_the_scale_every_outcome_shares_becomes_the_framework_scale() -> None:
    draft = parse_canvas_outcomes(CANVAS_SAMPLE.read_bytes())

    assert draft.scale is not None
    assert [r.description for r in draft.scale.ratings] == [
        "Exceeds Mastery", "Mastery", "Near Mastery", "Below Mastery", "No Evidence"
    ]


def test_a_display_name_repeating_the_title_is_not_a_label() -> None:
    draft = parse_canvas_outcomes(CANVAS_SAMPLE.read_bytes())

    assert {s.label for s in draft.standards} == {""}


def test_html_descriptions_become_plain_text() -> None:
    text = HEADER + 'o1,outcome,R.1,"<p>Use ratio &amp; rate</p><p>reasoning.</p>",Ratios,,,,,,,,,\n'

    standard = parse_canvas_outcomes(text.encode()).standards[0]

    assert standard.statement == "Use ratio & rate\nreasoning."
    assert standard.label == "Ratios"


def test_an_outcome_linked_into_two_groups_keeps_both() -> None:
    text = HEADER + GROUP + "g2,group,Other,,,,,,,,,,,\n" + "o1,outcome,R.1,Ratios,,,,,g1 g2,,,,,\n"

    outcome = parse_canvas_outcomes(text.encode()).standards[1]

    assert outcome.parent_identifier == "g1"
    assert outcome.extra_parent_identifiers == ("g2",)


def test_a_semicolon_separated_file_is_read() -> None:
    text = HEADER.replace(",", ";") + GROUP.replace(",", ";")

    assert parse_canvas_outcomes(text.encode()).standards[0].code == "Ratios"


def test_deleted_rows_are_left_out_but_their_children_are_reported() -> None:
    text = HEADER + "g1,group,Ratios,,,,,deleted,,,,,,\n" + "o1,outcome,R.1,Ratios,,,,,g1,,,,,\n"

    assert problems_of(text) == ["line 3, parent_guids: parent 'g1' is marked deleted on line 2"]


def test_every_row_problem_is_reported_with_its_line_and_column() -> None:
    text = (
        HEADER
        + GROUP
        + "o1,outcome,R.1,,,n_mastery,20,,g1,,3,Good,4,Better,\n"
        + "o2,thing,R.2,,,,,,g1,,,,,\n"
        + "o 3,outcome,,,,median,,,g9,x,,,,\n"
        + "o4,outcome,R.4,,,,,,o1,,,,,\n"
        + "g2,group,Nested,,,latest,,,g1 o1,2,,,,\n"
        + "o5,outcome,R.5,,,highest,3,paused,,,2,,,\n"
    )

    assert problems_of(text) == [
        "line 3, calculation_int: calculation_int for n_mastery must be between 1 and 10, not 20",
        "line 3, ratings: rating tier 2 has more points (4) than the tier before it (3); "
        "list ratings from highest to lowest",
        "line 4, object_type: object_type must be 'group' or 'outcome', not 'thing'",
        "line 5, vendor_guid: vendor_guid must not contain spaces",
        "line 5, title: title is empty",
        "line 5, calculation_method: unknown calculation_method 'median'; use one of "
        "decaying_average, weighted_average, standard_decaying_average, n_mastery, highest, "
        "latest, average",
        "line 5, mastery_points: mastery_points 'x' is not a number",
        "line 5, parent_guids: parent 'g9' of 'o 3' is not in the file",
        "line 6, parent_guids: parent 'o1' is an outcome; only groups can contain other rows",
        "line 7, parent_guids: a group can have only one parent group",
        "line 7: a group cannot have calculation_method, mastery_points; only outcomes can",
        "line 7, parent_guids: parent 'o1' is an outcome; only groups can contain other rows",
        "line 8, workflow_state: workflow_state must be 'active' or 'deleted', not 'paused'",
        "line 8, calculation_int: highest takes no calculation_int; leave it blank",
    ]


def test_header_problems_are_reported_before_any_row_is_read() -> None:
    text = (
        "vendor_guid,kind,title,colour,ratings,,extra\n"
        "o1,outcome,R.1,red,3,Good,\n"
    )

    assert problems_of(text) == [
        "line 1: the columns after 'ratings' must have empty headers (they hold rating points and "
        "descriptions), but found 'extra'",
        "line 1, kind: unknown column 'kind'; the Canvas outcomes CSV has the columns calculation_int, "
        "calculation_method, canvas_id, course_id, description, display_name, friendly_description, "
        "mastery_points, object_type, parent_guids, ratings, title, vendor_guid, workflow_state",
        "line 1, colour: unknown column 'colour'; the Canvas outcomes CSV has the columns "
        "calculation_int, calculation_method, canvas_id, course_id, description, display_name, "
        "friendly_description, mastery_points, object_type, parent_guids, ratings, title, "
        "vendor_guid, "
        "workflow_state",
        "line 1, object_type: required column 'object_type' is missing",
    ]


def test_duplicate_vendor_guids_and_titles_are_reported() -> None:
    text = HEADER + GROUP + "g1,group,Ratios 2,,,,,,,,,,,\n" + "o1,outcome,Ratios,,,,,,g1,,,,,\n"

    assert problems_of(text) == [
        "line 3, vendor_guid: duplicate vendor_guid 'g1' (first used on line 2)",
        "line 4, title: duplicate code 'Ratios' (first used on line 2)",
    ]


def test_export_round_trips_the_sample_exactly() -> None:
    draft = parse_canvas_outcomes(CANVAS_SAMPLE.read_bytes())

    assert parse_canvas_outcomes(export_canvas_outcomes(draft)) == draft


def test_export_turns_standards_with_children_into_groups_without_scoring() -> None:
    text = HEADER + "o1,outcome,R.1,Ratios,,latest,,,,,,,,\n"
    draft = parse_canvas_outcomes(text.encode())
    leaf = draft.standards[0]
    child = StandardDraft(
        identifier="o2", code="R.1.a", parent_identifier="o1", kind="standard", label="",
        statement="Part a",
    )
    nested = FrameworkDraft(identifier="", title="", source_format="csv", standards=(leaf, child))

    lines = export_canvas_outcomes(nested).decode().splitlines()

    assert lines[1] == "o1,group,R.1,Ratios,,,,active,,,"
    assert lines[2] == "o2,outcome,R.1.a,Part a,,,,active,o1,,"
    assert outline(parse_canvas_outcomes(export_canvas_outcomes(nested))) == outline(nested)


def test_export_refuses_identifiers_with_spaces() -> None:
    spaced = FrameworkDraft(
        identifier="",
        title="",
        source_format="csv",
        standards=(
            StandardDraft(
                identifier="has space", code="A", parent_identifier=None, kind="standard",
                label="", statement="A",
            ),
        ),
    )

    with pytest.raises(ExportFailed, match="'has space'"):
        export_canvas_outcomes(spaced)
