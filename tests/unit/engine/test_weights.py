"""Evidence weights: hand-worked weighted means, the methods weights leave alone, parsing and explanations."""

import pytest
import textstat

from lti_tool.engine import (
    METHODS,
    EvidenceError,
    calculate,
    explain,
    parse_evidence,
    render,
)

from .builders import policy, rubric


def weighted(*pairs: tuple[float, float]) -> list:
    """s1's rubric evidence, one week apart, as (points, weight) pairs."""
    return [rubric(points, week, weight=weight) for week, (points, weight) in enumerate(pairs)]


def test_average_counts_a_weight_2_score_twice():
    # (2 × 4 + 1 × 1) ÷ 3 = 3
    assert calculate(weighted((4, 2), (1, 1)), policy("average")).score == 3


def test_average_with_a_half_weight():
    # (0.5 × 4 + 1 × 2 + 1 × 2) ÷ 2.5 = 2.4
    assert calculate(weighted((4, 0.5), (2, 1), (2, 1)), policy("average")).score == 2.4


def test_average_of_latest_weights_only_the_latest_n():
    # The first score is outside the latest 2: (3 × 4 + 1 × 1) ÷ 4 = 3.25
    result = calculate(weighted((1, 10), (4, 3), (1, 1)), policy("average_of_latest", params={"n": 2}))
    assert result.score == 3.25


def test_average_of_latest_can_drop_when_a_heavy_score_leaves_the_window():
    # Latest 2 before: (3 × 3 + 1 × 1) ÷ 4 = 2.5. A new 2 pushes the heavy 3 out of the window:
    # (1 + 2) ÷ 2 = 1.5. Only the n most recent scores count, whatever their weight.
    chosen = policy("average_of_latest", params={"n": 2})
    assert calculate(weighted((3, 3), (1, 1)), chosen).score == 2.5
    assert calculate(weighted((3, 3), (1, 1), (2, 1)), chosen).score == 1.5


def test_decaying_average_weights_the_earlier_mean_only():
    # earlier mean (3 × 4 + 1 × 2) ÷ 4 = 3.5; latest 1 × 0.65 + 3.5 × 0.35 = 1.875 → 1.88
    result = calculate(weighted((4, 3), (2, 1), (1, 5)), policy("decaying_average", params={"weight": 65}))
    assert result.score == 1.88


def test_n_mastery_averages_the_kept_scores_by_weight_and_counts_items():
    # Kept: 4 (weight 3) and 3 (weight 1): (12 + 3) ÷ 4 = 3.75. Two items are needed, two are kept.
    result = calculate(weighted((4, 3), (1, 9), (3, 1)), policy("n_mastery", params={"n": 2}))
    assert result.score == 3.75


@pytest.mark.parametrize("method", ["latest", "highest", "median", "mode", "standard_decaying_average",
                                    "power_law"])
def test_methods_that_pick_or_fit_scores_ignore_weights(method):
    plain = calculate(weighted((4, 1), (2, 1), (3, 1)), policy(method))
    heavy = calculate(weighted((4, 7), (2, 0.2), (3, 3)), policy(method))
    assert heavy.score == plain.score
    assert not METHODS[method].weighted


def test_only_the_mean_methods_are_marked_weighted():
    assert {name for name, info in METHODS.items() if info.weighted} == {
        "average", "average_of_latest", "n_mastery", "decaying_average"}


def test_every_weight_of_1_gives_the_unweighted_result_and_trace():
    plain = calculate([rubric(4, 0), rubric(1, 1)], policy("average"))
    ones = calculate(weighted((4, 1), (1, 1)), policy("average"))
    assert ones == plain


def test_guidance_imagines_new_scores_of_weight_1():
    # Now (3 × 1 + 1 × 1) ÷ 4 = 1; one more 4 at weight 1: (3 + 1 + 4) ÷ 5 = 1.6 (still Beginning);
    # two more: (3 + 1 + 8) ÷ 6 = 2.0 → Approaching.
    result = calculate(weighted((1, 3), (1, 1)), policy("average", rounding=1))
    assert result.score == 1
    assert (result.next_step.count, result.next_step.points, result.next_step.new_label) == (2, 4, "Approaching")


def test_explanation_names_each_weight_and_shows_the_weighted_sum():
    result = calculate(weighted((4, 2), (1, 1)), policy("average"))
    text = render(explain(result))
    assert "Task 0 has a weight of 2. Most scores have a weight of 1." in text
    assert "Each score is multiplied by its weight. The weights add up to 3. (2 × 4 + 1 × 1) ÷ 3 = 3." in text
    assert not any("Task 1 has a weight" in sentence for sentence in text)


def test_weighted_average_explains_the_weighted_earlier_mean():
    result = calculate(weighted((4, 3), (2, 1), (1, 5)), policy("decaying_average", params={"weight": 65}))
    text = render(explain(result))
    assert ("Each earlier score is multiplied by its weight. The weights add up to 4. (3 × 4 + 1 × 2) ÷ 4 = 3.5."
            in text)
    assert "0.65 × 1 + 0.35 × 3.5 = 1.875." in text


def test_average_of_latest_and_n_mastery_explain_their_weights():
    latest_text = render(explain(calculate(weighted((1, 10), (4, 3), (1, 1)),
                                           policy("average_of_latest", params={"n": 2}))))
    assert ("Your 2 most recent scores count. Each is multiplied by its weight. The weights add up to 4. "
            "(3 × 4 + 1 × 1) ÷ 4 = 3.25.") in latest_text
    mastery_text = render(explain(calculate(weighted((4, 3), (1, 9), (3, 1)), policy("n_mastery", params={"n": 2}))))
    assert ("You have 2 of them. Each is multiplied by its weight. The weights add up to 4. "
            "(3 × 4 + 1 × 3) ÷ 4 = 3.75.") in mastery_text


def test_compute_json_accepts_a_weight_and_defaults_to_1():
    assert parse_evidence({"student": "s", "standard": "A", "points": 3, "weight": 2.5}).weight == 2.5
    assert parse_evidence({"student": "s", "standard": "A", "points": 3}).weight == 1
    assert parse_evidence({"student": "s", "standard": "A", "points": 3, "weight": None}).weight == 1


@pytest.mark.parametrize("bad, message", [(0, "must be greater than 0"), (-1, "must be a finite number at or above 0"),
                                          ("2", "must be a number"), (True, "must be a number"),
                                          (float("inf"), "must be a finite number at or above 0")])
def test_compute_json_refuses_a_bad_weight_naming_the_field(bad, message):
    with pytest.raises(EvidenceError) as caught:
        parse_evidence({"student": "s", "standard": "A", "points": 3, "weight": bad}, "evidence[4]")
    assert (caught.value.field, caught.value.message) == ("evidence[4].weight", message)


@pytest.mark.parametrize("method", ["average", "average_of_latest", "n_mastery", "decaying_average"])
def test_weighted_explanations_read_at_or_below_grade_8(method):
    params = {param.name: param.default for param in METHODS[method].params} | (
        {"n": 2} if method == "n_mastery" else {})
    result = calculate(weighted((4, 2), (3, 0.5), (3, 1), (4, 3)), policy(method, params=params))
    sentences = render(explain(result))
    assert any("multiplied by its weight" in sentence for sentence in sentences)
    assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 8
