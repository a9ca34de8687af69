"""Policy parsing: every invalid field is named in the error."""

import pytest

from lti_tool.engine import PolicyError, parse_policy

from .builders import POLICY_DATA, policy


def error_field(**changes):
    with pytest.raises(PolicyError) as error:
        parse_policy({**POLICY_DATA, **changes})
    return error.value.field


def test_valid_policy_parses_with_defaults():
    parsed = parse_policy({"scale": POLICY_DATA["scale"], "method": "latest"})
    assert (parsed.rounding, parsed.missing, parsed.reassessment, parsed.conversion) == (2, "exclude", "replace", None)


@pytest.mark.parametrize(("method", "field"), [
    ({"name": "weighted"}, "method.name"),
    ({"name": "decaying_average", "weight": 0}, "method.weight"),
    ({"name": "decaying_average", "weight": 100}, "method.weight"),
    ({"name": "decaying_average", "weight": 65.5}, "method.weight"),
    ({"name": "standard_decaying_average", "weight": 49}, "method.weight"),
    ({"name": "n_mastery", "n": 0}, "method.n"),
    ({"name": "n_mastery", "n": 11}, "method.n"),
    ({"name": "average_of_latest", "n": 0}, "method.n"),
    ({"name": "latest", "weight": 65}, "method.weight"),
    ({"weight": 65}, "method.name"),
])
def test_bad_methods_name_the_field(method, field):
    assert error_field(method=method) == field


def test_levels_out_of_order_name_the_level():
    levels = [{"points": 3, "label": "Meets"}, {"points": 4, "label": "Exceeds"}]
    assert error_field(scale={"levels": levels, "mastery_points": 3}) == "scale.levels[1].points"


def test_duplicate_level_points_are_out_of_order():
    levels = [{"points": 3, "label": "Meets"}, {"points": 3, "label": "Also"}]
    assert error_field(scale={"levels": levels, "mastery_points": 3}) == "scale.levels[1].points"


@pytest.mark.parametrize(("changes", "field"), [
    ({"scale": {"levels": [], "mastery_points": 1}}, "scale.levels"),
    ({"scale": {"levels": [{"points": 1, "label": ""}], "mastery_points": 1}}, "scale.levels[0].label"),
    ({"scale": {"levels": [{"points": "1", "label": "A"}], "mastery_points": 1}}, "scale.levels[0].points"),
    ({"scale": {"levels": [{"points": 1, "label": "A"}], "mastery_points": 5}}, "scale.mastery_points"),
    ({"scale": {"levels": [{"points": 1, "label": "A"}]}}, "scale.mastery_points"),
    ({"conversion": {"cut_scores": []}}, "conversion.cut_scores"),
    ({"conversion": {"cut_scores": [{"min_percent": 0, "points": 9}]}}, "conversion.cut_scores[0].points"),
    ({"conversion": {"cut_scores": [{"min_percent": "a", "points": 1}]}}, "conversion.cut_scores[0].min_percent"),
    ({"rounding": 7}, "rounding"),
    ({"rounding": -1}, "rounding"),
    ({"missing": "drop"}, "missing"),
    ({"reassessment": "keep"}, "reassessment"),
])
def test_other_bad_fields_are_named(changes, field):
    assert error_field(**changes) == field


def test_error_message_starts_with_the_field():
    with pytest.raises(PolicyError, match=r"^method\.weight: must be from 1 to 99"):
        policy("decaying_average", params={"weight": 0})
