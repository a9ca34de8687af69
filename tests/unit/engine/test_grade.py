"""Overall letter grades: average of standards with cuts, and first-matching decision rules."""

import pytest

from lti_tool.engine import PolicyError, calculate, overall_grade, parse_grade_rules

from .builders import policy, series

AVERAGE = {"kind": "average", "cuts": [{"min": 3.5, "grade": "A"}, {"min": 2.5, "grade": "B"},
                                       {"min": 0, "grade": "C"}]}
RULES = {"kind": "rules", "otherwise": "C", "rules": [
    {"grade": "A", "when": [{"none_below": 3}, {"at_least_share": 0.5, "at_or_above": 4}]},
    {"grade": "B", "when": [{"none_below": 2}, {"at_most_count": 1, "below": 3}]},
]}


def test_average_of_standards_uses_the_highest_cut_reached():
    grade = overall_grade([("A", 4), ("B", 3), ("C", 3.5)], parse_grade_rules(AVERAGE))
    assert (grade.grade, grade.average) == ("A", 3.5)


def test_average_rounds_half_away_before_the_cut():
    # (3.49 + 3.5) / 2 = 3.495 rounds to 3.5 at two decimals, which is an A.
    assert overall_grade([("A", 3.49), ("B", 3.5)], parse_grade_rules(AVERAGE)).grade == "A"


def test_decision_rule_a_needs_none_below_3_and_half_at_4():
    rules = parse_grade_rules(RULES)
    assert overall_grade([("A", 4), ("B", 3)], rules).grade == "A"
    assert overall_grade([("A", 4), ("B", 3), ("C", 3)], rules).grade == "B"
    assert overall_grade([("A", 4), ("B", 2), ("C", 2)], rules).grade == "C"


def test_first_matching_rule_wins_and_the_trace_records_each_check():
    grade = overall_grade([("A", 4), ("B", 3), ("C", 3)], parse_grade_rules(RULES))
    rules = [step.to_dict() for step in grade.trace if step.kind == "grade_rule"]
    assert [(rule["grade"], rule["matched"]) for rule in rules] == [("A", False), ("B", True)]
    assert rules[0]["conditions"][1]["actual"] == 1 and rules[0]["conditions"][1]["passed"] is False


def test_standards_without_a_result_are_left_out_and_none_gives_no_grade():
    results = [calculate(series(4), policy("latest")), calculate(series(3), policy("n_mastery"))]
    assert overall_grade(results, parse_grade_rules(RULES)).grade == "A"
    assert overall_grade([("A", None)], parse_grade_rules(RULES)).grade is None


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "letters"}, "grading.kind"),
    ({"kind": "average", "cuts": []}, "grading.cuts"),
    ({"kind": "average", "cuts": [{"min": "x", "grade": "A"}]}, "grading.cuts[0].min"),
    ({"kind": "rules", "rules": [{"grade": "A", "when": [{"most": 1}]}]}, "grading.rules[0].when[0]"),
    ({"kind": "rules", "rules": [{"grade": "A", "when": [{"at_least_share": 2, "at_or_above": 4}]}]},
     "grading.rules[0].when[0].at_least_share"),
    ({"kind": "rules", "rules": [{"grade": "", "when": [{"none_below": 1}]}]}, "grading.rules[0].grade"),
])
def test_bad_grading_rules_name_the_field(data, field):
    with pytest.raises(PolicyError) as error:
        parse_grade_rules(data)
    assert error.value.field == field
