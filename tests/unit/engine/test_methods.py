"""Worked examples for every method, checked by hand against Canvas's definitions and the method notes."""

import math

import pytest

from lti_tool.engine import METHODS, calculate
from lti_tool.engine.methods import power_law
from lti_tool.engine.scale import Level, ProficiencyScale

from .builders import policy, series

FIVE_POINT = ProficiencyScale((Level(5, "Exceeds"), Level(3, "Meets"), Level(0, "Does Not Meet")), 3)


def score_of(method: str, *points: float, **params: int) -> float | None:
    return calculate(series(*points), policy(method, params=params)).score


def test_every_method_is_registered_with_canvas_stored_names():
    assert list(METHODS) == ["decaying_average", "standard_decaying_average", "n_mastery", "latest", "highest",
                             "average", "median", "mode", "average_of_latest", "power_law"]


def test_stored_and_ui_names_of_the_decaying_methods_are_swapped_as_in_canvas():
    assert METHODS["decaying_average"].label == "Weighted Average"
    assert METHODS["standard_decaying_average"].label == "Decaying Average"


class TestDecayingAverage:
    def test_canvas_example_weights_latest_65_and_the_earlier_mean_35(self):
        # Canvas spec: (5 × 0.65) + ((1+2+3+4)/4 × 0.35) = 3.25 + 0.875 = 4.125, reported as 4.13.
        scale_policy = policy("decaying_average", params={"weight": 65})
        outcome = METHODS["decaying_average"].compute([1, 2, 3, 4, 5], {"weight": 65}, scale_policy.scale)
        assert outcome.value == 4.125

    def test_rounds_4_125_up_to_4_13(self):
        assert score_of("decaying_average", 1, 2, 3, 4, 4) == round(0.65 * 4 + 0.35 * 2.5, 2) == 3.48
        assert score_of("decaying_average", 1, 1, 4, 4, 4) == 3.48  # 0.65 × 4 + 0.35 × 2.5 = 3.475 -> 3.48

    def test_one_score_gives_that_score(self):
        assert score_of("decaying_average", 2) == 2

    def test_weight_parameter_changes_the_share_of_the_latest_score(self):
        assert score_of("decaying_average", 2, 4, weight=50) == 3.0
        assert score_of("decaying_average", 2, 4, weight=99) == 3.98

    def test_default_weight_is_65(self):
        assert policy("decaying_average").method.params == {"weight": 65}


class TestStandardDecayingAverage:
    def test_canvas_example_decays_pair_by_pair(self):
        # Canvas spec: [1,2] -> 1.65, [1.65,3] -> 2.5275, [2.5275,4] -> 3.485..., [.., 5] -> 4.47
        outcome = METHODS["standard_decaying_average"].compute([1, 2, 3, 4, 5], {"weight": 65}, None)
        steps = [round(step["value"], 6) for step in outcome.detail["steps"]]
        assert steps == [1.65, 2.5275, 3.484625, 4.469619]
        assert round(outcome.value, 5) == 4.46962

    def test_reports_canvas_rounded_value(self):
        assert score_of("standard_decaying_average", 1, 2, 3, 4) == 3.48  # 2.5275 × 0.35 + 4 × 0.65 = 3.484625

    def test_one_score_gives_that_score(self):
        assert score_of("standard_decaying_average", 3) == 3

    def test_weight_below_50_is_not_allowed(self):
        from lti_tool.engine import PolicyError
        with pytest.raises(PolicyError) as error:
            policy("standard_decaying_average", params={"weight": 49})
        assert error.value.field == "method.weight"


class TestNMastery:
    def test_canvas_example_averages_the_mastery_scores(self):
        # Canvas spec: scores [1..5], mastery 3, n = 3 -> mean(3, 4, 5) = 4.
        assert METHODS["n_mastery"].compute([1, 2, 3, 4, 5], {"n": 3}, FIVE_POINT).value == 4

    def test_canvas_example_with_too_few_mastery_scores_has_no_result(self):
        outcome = METHODS["n_mastery"].compute([1, 2, 3, 4, 5], {"n": 4}, FIVE_POINT)
        assert outcome.value is None and outcome.detail["case"] == "too_few_mastery"

    def test_fewer_scores_than_n_has_no_result_even_if_all_are_mastery(self):
        result = calculate(series(4, 4), policy("n_mastery", params={"n": 3}))
        assert result.score is None and result.level is None and not result.mastered
        assert [step.data["reason"] for step in result.trace if step.kind == "no_result"] == ["too_few_scores"]

    def test_mean_includes_every_kept_score_not_only_n_of_them(self):
        assert score_of("n_mastery", 1, 3, 4, 4, n=2) == round((3 + 4 + 4) / 3, 2) == 3.67

    def test_default_n_is_5(self):
        assert policy("n_mastery").method.params == {"n": 5}


def test_latest_takes_the_most_recent_by_time_not_input_order():
    items = series(1, 2, 4)
    assert calculate(list(reversed(items)), policy("latest")).score == 4


def test_highest_takes_the_maximum():
    assert score_of("highest", 2, 4, 1) == 4


def test_average_is_the_plain_mean_rounded():
    assert score_of("average", 1, 2, 2) == 1.67


@pytest.mark.parametrize(("points", "expected"), [((3, 1, 4), 3), ((3, 1, 4, 2), 2.5), ((2,), 2)])
def test_median_takes_the_middle_or_halfway_between_the_two_middles(points, expected):
    assert score_of("median", *points) == expected


def test_mode_takes_the_most_frequent_score():
    assert score_of("mode", 2, 3, 2, 4) == 2


def test_mode_ties_go_to_the_most_recent_score():
    assert score_of("mode", 3, 2, 2, 3) == 3
    assert score_of("mode", 2, 3, 3, 2) == 2
    assert score_of("mode", 1, 2, 3) == 3


def test_average_of_latest_uses_the_n_most_recent():
    assert score_of("average_of_latest", 1, 1, 3, 4, n=2) == 3.5


def test_average_of_latest_with_fewer_than_n_averages_what_there_is():
    assert score_of("average_of_latest", 2, 3, n=3) == 2.5


class TestPowerLaw:
    def test_perfect_power_curve_is_recovered(self):
        # y = 1 × x^1 over x = 1..4 fits exactly; at x = 4 the value is 4.
        assert score_of("power_law", 1, 2, 3, 4) == 4

    def test_fit_by_hand(self):
        # x = 1, 2, 3; y = 2, 2, 3. By hand: b = 0.609852 / 1.851804 = 0.329329, ln a = 0.631610,
        # value at x = 3: exp(0.631610 + 0.329329 × 1.098612) = exp(0.993415) = 2.7004.
        lx = [0.0, math.log(2), math.log(3)]
        ly = [math.log(2), math.log(2), math.log(3)]
        n = 3
        b = (n * sum(a * c for a, c in zip(lx, ly)) - sum(lx) * sum(ly)) / (n * sum(a * a for a in lx) - sum(lx) ** 2)
        ln_a = (sum(ly) - b * sum(lx)) / n
        expected = math.exp(ln_a + b * math.log(3))
        assert round(expected, 4) == 2.7004
        assert score_of("power_law", 2, 2, 3) == 2.7

    def test_one_score_gives_that_score(self):
        assert score_of("power_law", 3) == 3

    def test_result_is_clamped_to_the_top_of_the_scale(self):
        result = calculate(series(1, 3, 4), policy("power_law"))  # the curve reaches 4.39
        method = next(step for step in result.trace if step.kind == "method").data
        assert method["fitted"] > 4 and method["clamped"] and result.score == 4

    def test_zeros_are_raised_to_0_01_and_the_result_clamped_to_the_bottom(self):
        scale = ProficiencyScale((Level(4, "Exceeds"), Level(1, "Beginning")), 3)
        outcome = power_law([2, 1, 0], {}, scale)
        assert outcome.detail["used"] == [2, 1, 0.01] and outcome.detail["raised_zeros"] == 1
        assert outcome.value == 1
