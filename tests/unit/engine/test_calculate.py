"""Levels, mastery, overrides and next-step guidance on the per-student path."""

from datetime import UTC, datetime

import pytest

from lti_tool.engine import Evidence, InputError, Override, calculate, calculate_all

from .builders import policy, rubric, scored, series


def test_issue_example_gives_3_65_meets_mastered():
    items = [scored(8, 10, 0, "Quiz 1"), rubric(4, 1, "Lab 2")]
    result = calculate(items, policy("decaying_average", params={"weight": 65}))
    assert (result.score, result.level.label, result.mastered, result.evidence_count) == (3.65, "Meets", True, 2)


@pytest.mark.parametrize(("points", "label", "mastered"), [
    (4, "Exceeds", True), (3.99, "Meets", True), (3, "Meets", True), (2.99, "Approaching", False),
    (1, "Beginning", False), (0.5, "Beginning", False),
])
def test_level_is_the_highest_level_at_or_below_the_rounded_score(points, label, mastered):
    result = calculate([rubric(points, 0)], policy("latest"))
    assert (result.level.label, result.mastered) == (label, mastered)


def test_level_uses_the_rounded_score():
    # 2.995 rounds to 3.00, which is Meets.
    result = calculate(series(2.99, 3), policy("average", rounding=2))
    assert result.score == 3.0 and result.level.label == "Meets"


def test_teacher_override_wins_and_the_calculation_stays_in_the_trace():
    when = datetime(2026, 10, 1, tzinfo=UTC)
    override = Override(points=3, reason="Showed it in class", by="t1", at=when)
    result = calculate(series(1, 2), policy("latest"), override=override)
    assert (result.score, result.level.label, result.mastered) == (3, "Meets", True)
    assert result.calculated_score == 2 and result.next_step.kind == "overridden"
    step = next(step.to_dict() for step in result.trace if step.kind == "override")
    assert step == {"step": "override", "label": "Meets", "points": 3, "reason": "Showed it in class", "by": "t1",
                    "at": "2026-10-01T00:00:00+00:00", "calculated_score": 2, "mastered": True}


def test_override_to_a_points_value_that_is_not_a_level_is_refused():
    with pytest.raises(InputError):
        calculate(series(1), policy("latest"), override=Override(2.5, "", "t1"))


def test_calculate_refuses_mixed_students():
    with pytest.raises(InputError):
        calculate([rubric(1, 0), Evidence("s2", "8.EE.1", "X", points=2)], policy("latest"))


def test_calculate_all_keeps_first_appearance_order():
    items = [Evidence("s2", "A", "x", points=1), Evidence("s1", "A", "x", points=2), Evidence("s2", "A", "y", points=3)]
    results = calculate_all(items, policy("average"))
    assert [(r.student, r.standard, r.score) for r in results] == [("s2", "A", 2), ("s1", "A", 2)]


def test_no_evidence_gives_no_result():
    result = calculate([], policy("average"))
    assert result.score is None and result.level is None and result.evidence_count == 0


class TestNextStep:
    def test_smallest_single_score_that_raises_the_level(self):
        step = calculate(series(2, 2), policy("latest")).next_step
        assert (step.kind, step.count, step.points, step.label, step.new_label, step.or_better) == \
            ("raise", 1, 3, "Meets", "Meets", True)

    def test_average_needs_a_higher_score_to_move(self):
        # (1 + 1 + x) / 3 >= 2 needs x = 4.
        step = calculate(series(1, 1), policy("average")).next_step
        assert (step.count, step.points, step.new_label) == (1, 4, "Approaching")

    def test_several_scores_when_one_is_not_enough(self):
        # (1 + 1 + 1 + 1 + 4k) / (4 + k) >= 2 needs k = 2.
        step = calculate(series(1, 1, 1, 1), policy("average")).next_step
        assert (step.count, step.points) == (2, 4)

    def test_n_mastery_counts_the_mastery_scores_still_needed(self):
        step = calculate(series(3, 1), policy("n_mastery", params={"n": 3})).next_step
        assert (step.kind, step.count, step.points, step.new_label) == ("raise", 2, 3, "Meets")

    def test_mode_does_not_promise_or_better_when_a_higher_score_would_not_help(self):
        step = calculate(series(2, 2, 3), policy("mode")).next_step
        assert (step.points, step.or_better) == (3, False)

    def test_mastery_reached_also_says_how_to_reach_the_next_level(self):
        step = calculate(series(3), policy("latest")).next_step
        assert (step.kind, step.points, step.new_label) == ("mastery_reached", 4, "Exceeds")

    def test_top_level_is_mastery_reached_with_nothing_further(self):
        step = calculate(series(4), policy("highest")).next_step
        assert (step.kind, step.points) == ("mastery_reached", None)

    def test_unreachable_level_is_reported_as_out_of_reach(self):
        # Weight 1: the earlier 1s keep the result below 2 for a long time.
        step = calculate(series(*[1] * 20), policy("decaying_average", params={"weight": 1})).next_step
        assert step.kind == "out_of_reach"
