"""Explanations: snapshot texts (reviewed by eye), readability for every method, and translation hooks."""

from datetime import UTC, datetime

import pytest
import textstat

from lti_tool.engine import (
    MESSAGES, METHODS, Evidence, Override, calculate, explain, explain_grade, overall_grade, parse_grade_rules,
    render,
)
from lti_tool.engine.explain import Sentence

from .builders import day, policy, rubric, scored, series


def text(result):
    return render(explain(result))


def scenario():
    return [scored(8, 10, 0, "Quiz 1", id="q1"), rubric(2, 1, "Lab 2"),
            Evidence("s1", "8.EE.1", "Homework 3", excused=True, submitted_at=day(2)),
            scored(19, 20, 3, "Quiz 1 retake", replaces="q1"), rubric(3, 4, "Project")]


def defaults(name):
    return {param.name: param.default for param in METHODS[name].params}


def test_issue_example_reads_plainly():
    result = calculate([scored(8, 10, 0, "Quiz 1"), rubric(4, 1, "Lab 2")], policy("decaying_average"))
    assert text(result) == [
        "2 scores count for this standard.",
        "Quiz 1, September 1, 2026: 8 out of 10 is 80%, which is Meets (3).",
        "Lab 2, September 8, 2026: you were rated Exceeds (4).",
        "Your most recent score counts 65%. The average of the earlier ones counts 35%.",
        "0.65 × 4 + 0.35 × 3 = 3.65.",
        "A result of 3.65 puts you at Meets (3).",
        "You have reached mastery.",
    ]


def test_weighted_average_with_rounding_matches_the_student_page_example():
    result = calculate(series(2, 3, 4), policy("decaying_average"))
    assert text(result)[4:] == [
        "Your most recent score counts 65%. The average of the earlier ones counts 35%.",
        "The average of the earlier ones is (2 + 3) ÷ 2 = 2.5.",
        "0.65 × 4 + 0.35 × 2.5 = 3.475.",
        "Rounded to 2 decimal places, that is 3.48.",
        "A result of 3.48 puts you at Meets (3).",
        "You have reached mastery.",
    ]


def test_left_out_work_is_explained_with_its_reason():
    result = calculate(scenario(), policy("average"))
    assert text(result) == [
        "3 scores count for this standard.",
        "Quiz 1 does not count. Your retake, Quiz 1 retake, takes its place.",
        "Lab 2, September 8, 2026: you were rated Approaching (2).",
        "Homework 3 was excused, so it does not count.",
        "Quiz 1 retake, September 22, 2026: 19 out of 20 is 95%, which is Exceeds (4).",
        "Project, September 29, 2026: you were rated Meets (3).",
        "All your scores count the same. (2 + 4 + 3) ÷ 3 = 3.",
        "A result of 3 puts you at Meets (3).",
        "You have reached mastery.",
    ]


def test_decaying_average_shows_each_step():
    assert text(calculate(scenario(), policy("standard_decaying_average")))[6:] == [
        "Each new score counts 65%. Your result so far counts 35%.",
        "You start at your first score, 2.",
        "Next, 0.35 × 2 + 0.65 × 4 = 3.3.",
        "Next, 0.35 × 3.3 + 0.65 × 3 = 3.105.",
        "Rounded to 2 decimal places, that is 3.11.",
        "A result of 3.11 puts you at Meets (3).",
        "You have reached mastery.",
        "5 more scores of Exceeds (4) or better would raise you to Exceeds.",
    ]


def test_n_mastery_without_a_result_says_what_is_needed():
    assert text(calculate(scenario(), policy("n_mastery")))[6:] == [
        "Only scores of 3 or more count. You need 5 of them.",
        "You have 3 scores, and you need at least 5. So there is no result yet.",
        "3 more scores of Meets (3) or better would raise you to Meets.",
    ]


def test_missing_as_zero_retakes_that_add_and_next_step_are_explained():
    items = [rubric(1, 0, "Quiz", id="q"), rubric(2, 1, "Quiz again", replaces="q"),
             Evidence("s1", "8.EE.1", "Lab", missing=True, graded_at=day(2))]
    result = calculate(items, policy("latest", missing="zero", reassessment="add"))
    assert text(result) == [
        "3 scores count for this standard.",
        "Quiz, September 1, 2026: you were rated Beginning (1).",
        "Quiz again, September 8, 2026: you were rated Approaching (2).",
        "Quiz again is a retake of Quiz. Both count.",
        "Lab is missing, so it counts as 0.",
        "Your most recent score is the one that counts: 0.",
        "A result of 0 is below every level, so you are at Beginning (1).",
        "One more score of Approaching (2) or better would raise you to Approaching.",
    ]


def test_override_explains_the_teacher_decision():
    result = calculate(series(2), policy("latest"), override=Override(3, "Showed it in class.", "t1"))
    assert text(result)[-4:] == [
        "Your teacher set your level to Meets (3).",
        "The reason: Showed it in class.",
        "Without this, your result would be 2.",
        "Ask your teacher what to work on next.",
    ]


def test_power_law_explains_the_curve_and_the_clamp():
    assert text(calculate(series(1, 3, 4), policy("power_law")))[4:] == [
        "A growth curve is drawn through your scores. It shows where you are now.",
        "The curve is 1.0554 × x to the power 1.2967. At score number 3, it gives 4.3859.",
        "That is above the top of the scale, so it becomes 4.",
        "A result of 4 puts you at Exceeds (4).",
        "You have reached mastery.",
    ]


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("points", [(2, 3, 4), (1,), (3, 3, 2, 2), (1, 1, 2, 4, 3, 3, 1), (4, 4, 4, 4, 4, 4)])
def test_every_method_explains_at_or_below_grade_8(name, points):
    result = calculate(series(*points), policy(name, params=defaults(name)))
    sentences = text(result)
    assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 8
    assert all("{" not in sentence and "e-" not in sentence for sentence in sentences)


@pytest.mark.parametrize("name", list(METHODS))
def test_the_full_scenario_reads_at_or_below_grade_8(name):
    result = calculate(scenario(), policy(name, params=defaults(name), missing="zero"))
    assert textstat.flesch_kincaid_grade(" ".join(text(result))) <= 8


def test_every_message_template_reads_at_or_below_grade_8():
    assert textstat.flesch_kincaid_grade(" ".join(MESSAGES.values())) <= 8


def test_every_message_id_used_exists():
    scenarios = [calculate(items, policy(name, params=defaults(name), missing=missing))
                 for name in METHODS for missing in ("exclude", "zero")
                 for items in (scenario(), series(1, 1, 2), series(4), [])]
    for result in scenarios:
        for sentence in explain(result):
            assert sentence.message_id in MESSAGES


def test_translation_is_applied_to_the_template_before_formatting():
    catalog = {MESSAGES["latest"]: "Tu puntuación más reciente es la que cuenta: {value}."}
    result = calculate(series(2, 3.5), policy("latest"))
    rendered = render(explain(result), translate=lambda template: catalog.get(template, template))
    assert "Tu puntuación más reciente es la que cuenta: 3.5." in rendered


def test_number_and_date_formatters_can_be_swapped():
    sentences = [Sentence("level", {"score": 3.48, "label": "Meets", "points": 3})]
    assert render(sentences, number=lambda value: str(value).replace(".", ",")) == [
        "A result of 3,48 puts you at Meets (3)."]
    dated = [Sentence("dropped_after_as_of", {"assignment": "Quiz", "date": datetime(2026, 9, 1, tzinfo=UTC)})]
    assert render(dated, day=lambda moment: moment.strftime("%d/%m/%Y")) == [
        "Quiz came after 01/09/2026, so it does not count here."]


def test_grade_explanation_names_the_rule_and_its_conditions():
    rules = parse_grade_rules({"kind": "rules", "rules": [
        {"grade": "A", "when": [{"none_below": 3}, {"at_least_share": 0.5, "at_or_above": 4}]},
        {"grade": "B", "when": [{"none_below": 2}]}], "otherwise": "C"})
    grade = overall_grade([("A", 4), ("B", 3), ("C", 3)], rules)
    assert render(explain_grade(grade)) == [
        "You do not get A yet.",
        "No standard may be below 3. You have 0 below it.",
        "At least 50% of standards must be at 4 or more. You have 1 of 3.",
        "You get B because every rule for B is met.",
        "No standard may be below 2. You have 0 below it.",
    ]
