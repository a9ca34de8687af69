"""Mastery scales: validation, WCAG contrast, audited changes, district scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_tool.services.errors import NotFound, ServiceError
from lti_tool.services.policies import CANVAS_SCALE_NAME
from lti_tool.services.scales import (
    check_contrast,
    contrast_ratio,
    delete_scale,
    get_scale,
    list_scales,
    save_scale,
    validate_scale,
)
from lti_tool.storage.models import AuditEvent

from .builders import make_district, unique

LEVELS = [
    {"points": 1, "label": "Beginning", "colour": "#a61b1b"},
    {"points": 3, "label": "Proficient", "description": "Meets it.", "colour": "1e6b2e"},
    {"points": 2, "label": "Developing", "colour": "#8A5300"},
]


def test_contrast_ratios_match_the_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


def test_a_light_colour_fails_for_white_text_and_gets_black_text_instead():
    [check] = check_contrast([{"label": "Near Mastery", "colour": "#FAB901"}])
    assert not check.passes
    assert check.ratio_with_white == 1.74
    assert check.text_colour == "#000000" and check.ratio_with_text >= 4.5
    assert "Near Mastery: white text on #FAB901 has contrast 1.74:1, below 4.5:1" in check.message()


def test_levels_are_ordered_highest_first_and_colours_normalised():
    checked = validate_scale(LEVELS, 2)
    assert [level["points"] for level in checked.levels] == [3, 2, 1]
    assert checked.levels[0]["colour"] == "#1E6B2E"
    assert all(check.passes for check in checked.contrast)


@pytest.mark.parametrize(("levels", "mastery", "message"), [
    ([], 1, "at least one level"),
    ([{"points": 1, "label": "A"}, {"points": 1, "label": "B"}], 1, "two levels have the same points"),
    ([{"points": 2, "label": "A"}, {"points": 1, "label": "a"}], 1, "two levels have the same label"),
    ([{"points": 2, "label": "A"}, {"points": 1, "label": "B"}], 5, "mastery threshold 5 must lie between"),
    ([{"points": "x", "label": "A"}], 1, "level 1: points must be a number"),
    ([{"points": 1, "label": ""}], 1, "level 1: a label is required"),
    ([{"points": 1, "label": "A", "colour": "red"}], 1, "'red' is not a colour"),
])
def test_invalid_scales_are_refused_naming_the_problem(levels, mastery, message):
    with pytest.raises(ServiceError, match=message):
        validate_scale(levels, mastery)


def test_saving_low_contrast_colours_is_refused_naming_the_levels_unless_accepted(db_session):
    district = make_district(db_session)
    levels = [{"points": 1, "label": "Low", "colour": "#FAB901"}, {"points": 2, "label": "High", "colour": "#0B5394"}]
    with pytest.raises(ServiceError, match="Low: white text on #FAB901"):
        save_scale(db_session, district.district_id, name="Bright", levels=levels, mastery_points=2, actor="a")
    scale = save_scale(db_session, district.district_id, name="Bright", levels=levels, mastery_points=2,
                       actor="a", accept_low_contrast=True)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity == "scale",
                                                       AuditEvent.entity_id == str(scale.id)))
    assert event.after["low_contrast_accepted"] == ["Low"]


def test_every_scale_change_is_audited_with_before_and_after(db_session):
    district = make_district(db_session)
    scale = save_scale(db_session, district.district_id, name="Three", levels=LEVELS, mastery_points=2, actor="ann")
    save_scale(db_session, district.district_id, scale_id=scale.id, name="Three levels", levels=LEVELS,
               mastery_points=3, actor="bob")
    events = list(db_session.scalars(select(AuditEvent).where(AuditEvent.entity == "scale",
                                                              AuditEvent.entity_id == str(scale.id))
                                     .order_by(AuditEvent.id)))
    assert [(e.action, e.actor) for e in events] == [("create", "ann"), ("update", "bob")]
    assert events[1].before["mastery_points"] == 2 and events[1].after["mastery_points"] == 3
    assert events[1].before["name"] == "Three" and events[1].after["name"] == "Three levels"


def test_scale_names_are_unique_within_a_district(db_session):
    district = make_district(db_session)
    with pytest.raises(ServiceError, match="already exists"):
        save_scale(db_session, district.district_id, name=CANVAS_SCALE_NAME, levels=LEVELS, mastery_points=2,
                   actor="a", accept_low_contrast=True)


def test_another_districts_scale_is_not_found_and_not_listed(db_session):
    mine, theirs = make_district(db_session), make_district(db_session)
    their_scale = save_scale(db_session, theirs.district_id, name=unique("s"), levels=LEVELS, mastery_points=2,
                             actor="a")
    with pytest.raises(NotFound):
        get_scale(db_session, mine.district_id, their_scale.id)
    with pytest.raises(NotFound):
        save_scale(db_session, mine.district_id, scale_id=their_scale.id, name="x", levels=LEVELS,
                   mastery_points=2, actor="a")
    assert their_scale.id not in {s.id for s in list_scales(db_session, mine.district_id)}


def test_a_scale_used_by_a_policy_cannot_be_deleted(db_session):
    district = make_district(db_session)
    used = next(s for s in list_scales(db_session, district.district_id) if s.name != CANVAS_SCALE_NAME)
    with pytest.raises(ServiceError, match="used by a grading policy"):
        delete_scale(db_session, district.district_id, used.id, actor="a")
    spare = save_scale(db_session, district.district_id, name="Spare", levels=LEVELS, mastery_points=2, actor="a")
    delete_scale(db_session, district.district_id, spare.id, actor="a")
    assert spare.id not in {s.id for s in list_scales(db_session, district.district_id)}


def test_a_ratio_just_under_the_minimum_is_shown_cut_down_so_it_never_reads_as_a_pass():
    [check] = check_contrast([{"label": "No Evidence", "colour": "#EE0612"}])
    assert contrast_ratio("#EE0612", "#FFFFFF") == pytest.approx(4.497, abs=0.001)
    assert check.ratio_with_white == 4.49 and not check.passes
