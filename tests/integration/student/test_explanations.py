"""Explanations rendered from stored traces: same sentences as the live result, plain English for every method,
and Spanish with Spanish numbers and dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import textstat

from lti_tool import engine
from lti_tool.services.student_views import explain_stored
from lti_tool.web.student.explanations import render_sentences

from .course_data import CUT_SCORES

SCALE = {"levels": [{"points": 4, "label": "Exceeds"}, {"points": 3, "label": "Meets"},
                    {"points": 2, "label": "Approaching"}, {"points": 1, "label": "Beginning"}],
         "mastery_points": 3}
START = datetime(2026, 9, 1, 10, tzinfo=UTC)
METHOD_CASES = {
    "decaying_average": {"name": "decaying_average", "weight": 65},
    "standard_decaying_average": {"name": "standard_decaying_average", "weight": 65},
    "n_mastery": {"name": "n_mastery", "n": 2},
    "latest": {"name": "latest"},
    "highest": {"name": "highest"},
    "average": {"name": "average"},
    "median": {"name": "median"},
    "mode": {"name": "mode"},
    "average_of_latest": {"name": "average_of_latest", "n": 3},
    "power_law": {"name": "power_law"},
}


def _result(method: dict, scores=(6, 8, 7, 9), **extra) -> engine.MasteryResult:
    policy = engine.parse_policy({"scale": SCALE, "conversion": {"cut_scores": CUT_SCORES}, "method": method,
                                  "rounding": 2, **extra})
    evidence = [engine.Evidence(student="s", standard="x", assignment=f"Quiz {index + 1}", score=score,
                                max_score=10, submitted_at=START + timedelta(days=7 * index), id=f"q{index}")
                for index, score in enumerate(scores)]
    return engine.calculate(evidence, policy)


def _stored(result: engine.MasteryResult) -> list[dict]:
    """The trace as the database gives it back: JSON text parsed again."""
    return json.loads(json.dumps(result.trace_dicts()))


def test_a_stored_trace_explains_exactly_like_the_live_result():
    result = _result(METHOD_CASES["decaying_average"])
    assert engine.render(explain_stored(_stored(result))) == engine.render(engine.explain(result))


@pytest.mark.parametrize("method", sorted(METHOD_CASES))
def test_english_explanations_read_at_grade_8_or_below_for_every_method(app, method):
    result = _result(METHOD_CASES[method])
    with app.test_request_context("/?lang=en"):
        text = " ".join(render_sentences(explain_stored(_stored(result))))
    assert "September 1, 2026" in text
    assert textstat.flesch_kincaid_grade(text) <= 8, text


def test_the_weighted_average_explanation_shows_the_formula_with_numbers(app):
    result = _result(METHOD_CASES["decaying_average"], scores=(5, 8, 7, 10))
    with app.test_request_context("/?lang=en"):
        sentences = render_sentences(explain_stored(_stored(result)))
    assert "Quiz 1, September 1, 2026: 5 out of 10 is 50%, which is Beginning (1)." in sentences
    assert "Your most recent score counts 65%. The average of the earlier ones counts 35%." in sentences
    assert "0.65 × 4 + 0.35 × 2 = 3.3." in sentences
    assert "A result of 3.3 puts you at Meets (3)." in sentences
    assert "You have reached mastery." in sentences


def test_spanish_explanations_use_spanish_words_numbers_and_dates(app):
    result = _result(METHOD_CASES["decaying_average"], scores=(5, 8, 7, 10))
    with app.test_request_context("/?lang=es"):
        sentences = render_sentences(explain_stored(_stored(result)))
    assert "Quiz 1, 1 de septiembre de 2026: 5 de 10 es el 50%, que es Beginning (1)." in sentences
    assert "0,65 × 4 + 0,35 × 2 = 3,3." in sentences
    assert "Has alcanzado el dominio." in sentences


def test_spanish_lists_of_decimals_are_separated_by_semicolons(app):
    result = _result(METHOD_CASES["median"], scores=(5, 8, 7, 10))
    with app.test_request_context("/?lang=es"):
        sentences = render_sentences(explain_stored(_stored(result)))
    assert "De menor a mayor, tus notas son 1; 2; 3; 4." in sentences


def test_an_excused_and_a_replaced_score_are_explained(app):
    policy = engine.parse_policy({"scale": SCALE, "conversion": {"cut_scores": CUT_SCORES}, "method": "latest"})
    evidence = [
        engine.Evidence(student="s", standard="x", assignment="Quiz 1", score=4, max_score=10, submitted_at=START,
                        id="a"),
        engine.Evidence(student="s", standard="x", assignment="Project", excused=True,
                        submitted_at=START + timedelta(days=1), id="b"),
        engine.Evidence(student="s", standard="x", assignment="Quiz 1 retake", score=8, max_score=10,
                        submitted_at=START + timedelta(days=2), id="c", replaces="a"),
    ]
    result = engine.calculate(evidence, policy)
    with app.test_request_context("/?lang=en"):
        sentences = render_sentences(explain_stored(_stored(result)))
    assert "Quiz 1 does not count. Your retake, Quiz 1 retake, takes its place." in sentences
    assert "Project was excused, so it does not count." in sentences
    assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 8
