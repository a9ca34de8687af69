"""Which evidence counts: time order, conversion, excused, missing, reassessments and the as-of date."""

from datetime import timedelta

import pytest

from lti_tool.engine import Evidence, PolicyError, calculate
from lti_tool.engine.conversion import percent_of

from .builders import day, policy, rubric, scored


def dropped(result):
    return [(step.data["assignment"], step.data["reason"]) for step in result.trace if step.kind == "dropped"]


def counted(result):
    return [(step.data["assignment"], step.data["points"]) for step in result.trace if step.kind == "evidence"]


@pytest.mark.parametrize(("score", "maximum", "points"), [
    (9, 10, 4), (8, 10, 3), (7.5, 10, 3), (7.49, 10, 2), (57, 100, 1), (6, 10, 2), (0, 10, 1), (11, 10, 4),
])
def test_scores_convert_by_the_highest_matching_cut(score, maximum, points):
    result = calculate([scored(score, maximum, 0)], policy("latest"))
    assert result.score == points


def test_percent_is_exact_at_cut_edges():
    assert percent_of(57, 100) == 57 and percent_of(3, 4) == 75


def test_percent_below_every_cut_gets_the_lowest_level():
    data = {"cut_scores": [{"min_percent": 50, "points": 3}]}
    result = calculate([scored(1, 10, 0)], policy("latest", conversion=data))
    assert result.score == 1


def test_rubric_points_pass_through_unchanged():
    assert calculate([rubric(2.5, 0)], policy("latest")).score == 2.5


def test_score_evidence_without_conversion_names_the_conversion_field():
    with pytest.raises(PolicyError) as error:
        calculate([scored(8, 10, 0)], policy("latest", conversion=None))
    assert error.value.field == "conversion"


def test_excused_work_is_always_ignored_even_when_missing_counts_as_zero():
    items = [rubric(3, 0), rubric(1, 1, "Essay", excused=True, missing=True)]
    result = calculate(items, policy("average", missing="zero"))
    assert result.score == 3 and dropped(result) == [("Essay", "excused")]


def test_missing_work_is_left_out_by_default():
    items = [rubric(3, 0), Evidence("s1", "8.EE.1", "Lab", missing=True, graded_at=day(1))]
    result = calculate(items, policy("average"))
    assert result.score == 3 and result.evidence_count == 1 and dropped(result) == [("Lab", "missing")]


def test_missing_work_counts_as_zero_when_the_policy_says_so():
    items = [rubric(3, 0), Evidence("s1", "8.EE.1", "Lab", missing=True, graded_at=day(1))]
    result = calculate(items, policy("average", missing="zero"))
    assert result.score == 1.5 and counted(result) == [("Task 0", 3), ("Lab", 0)]


def test_a_reassessment_replaces_the_assessment_it_retakes():
    items = [rubric(1, 0, "Quiz", id="q1"), rubric(3, 1, "Quiz retake", id="q1r", replaces="q1"), rubric(2, 2)]
    result = calculate(items, policy("average"))
    assert result.score == 2.5 and dropped(result) == [("Quiz", "replaced")]


def test_replacement_chains_keep_only_the_last_retake():
    items = [rubric(1, 0, "A", id="a"), rubric(2, 1, "B", id="b", replaces="a"),
             rubric(4, 2, "C", id="c", replaces="b")]
    result = calculate(items, policy("average"))
    assert result.score == 4 and dropped(result) == [("A", "replaced"), ("B", "replaced")]


def test_an_excused_retake_does_not_replace_anything():
    items = [rubric(2, 0, "Quiz", id="q1"), rubric(4, 1, "Retake", id="r", replaces="q1", excused=True)]
    result = calculate(items, policy("average"))
    assert result.score == 2 and dropped(result) == [("Retake", "excused")]


def test_reassessments_add_evidence_when_the_policy_says_so():
    items = [rubric(1, 0, "Quiz", id="q1"), rubric(3, 1, "Quiz retake", replaces="q1")]
    result = calculate(items, policy("average", reassessment="add"))
    assert result.score == 2 and dropped(result) == []
    retake = [step.data for step in result.trace if step.kind == "evidence"][1]
    assert retake["retake_of"] == "Quiz"


def test_time_order_uses_submission_time_falling_back_to_grading_time():
    graded_only = Evidence("s1", "8.EE.1", "Graded", points=4, graded_at=day(5))
    submitted = Evidence("s1", "8.EE.1", "Submitted", points=1, submitted_at=day(3), graded_at=day(9))
    assert calculate([graded_only, submitted], policy("latest")).score == 4


def test_equal_timestamps_keep_input_order():
    first, second = rubric(2, 0, "First"), rubric(3, 0, "Second")
    assert calculate([first, second], policy("latest")).score == 3
    assert calculate([second, first], policy("latest")).score == 2


def test_undated_evidence_sorts_before_dated_evidence():
    undated = Evidence("s1", "8.EE.1", "Old", points=4)
    assert calculate([rubric(2, 0), undated], policy("latest")).score == 2


def test_evidence_after_the_as_of_date_is_left_out():
    result = calculate([rubric(2, 0), rubric(4, 2, "Later")], policy("latest"), as_of=day(1))
    assert result.score == 2 and dropped(result) == [("Later", "after_as_of")]


def test_as_of_includes_evidence_at_that_exact_moment():
    assert calculate([rubric(2, 0), rubric(4, 1)], policy("latest"), as_of=day(1)).score == 4
    assert calculate([rubric(2, 0), rubric(4, 1)], policy("latest"), as_of=day(1) - timedelta(seconds=1)).score == 2
