"""`sbg compute` with hostile JSON: results, or a non-zero exit with a message naming the problem; never a traceback."""

from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.cli.compute import compute
from tests.fuzz.budget import fuzz_settings, tried
from tests.fuzz.mutations import JSON_VALUES, mutated_json

VALID_INPUT = {
    "scale": {"levels": [{"points": 4, "label": "Exceeds"}, {"points": 3, "label": "Meets"},
                         {"points": 2, "label": "Approaching"}, {"points": 1, "label": "Beginning"}],
              "mastery_points": 3},
    "conversion": {"cut_scores": [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
                                  {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]},
    "method": {"name": "decaying_average", "weight": 65},
    "rounding": 2,
    "missing": "exclude",
    "reassessment": "replace",
    "as_of": "2026-10-01T00:00:00Z",
    "evidence": [{"student": "s1", "standard": "8.EE.1", "assignment": "Quiz 1", "score": 8, "max": 10,
                  "at": "2026-09-01T10:00:00Z"},
                 {"student": "s1", "standard": "8.EE.1", "assignment": "Lab 2", "points": 4,
                  "at": "2026-09-08T10:00:00Z"},
                 {"student": "s2", "standard": "8.EE.2", "assignment": "Quiz 1", "score": 3, "max": 10,
                  "at": "2026-09-02T10:00:00Z"}],
    "overrides": [{"student": "s2", "standard": "8.EE.2", "level": "Meets", "reason": "conference"}],
    "grading": {"kind": "average", "cuts": [{"min": 3.5, "grade": "A"}, {"min": 2.5, "grade": "B"},
                                            {"min": 0, "grade": "C"}]},
}
METHOD_NAMES = ["decaying_average", "standard_decaying_average", "n_mastery", "latest", "highest", "average",
                "median", "mode", "power_law", "no_such_method"]

documents = st.one_of(
    mutated_json(VALID_INPUT, max_edits=4),
    st.builds(lambda name, extra: {**VALID_INPUT, "method": {"name": name, **extra}},
              st.sampled_from(METHOD_NAMES), st.dictionaries(st.sampled_from(["weight", "n", "count", "length"]),
                                                             JSON_VALUES, max_size=2)),
    JSON_VALUES,
)


def run_compute(text: str):  # type: ignore[no-untyped-def]
    """Invoke `sbg compute -` with `text` on standard input."""
    return CliRunner().invoke(compute, ["-"], input=text)


def assert_result_or_message(text: str) -> None:
    """Exit 0 with a JSON document, or exit 1 with `Error: ...` and nothing on standard output."""
    tried("sbg compute")
    result = run_compute(text)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"crash on input {text[:500]!r}: {result.exception!r}")
    if result.exit_code == 0:
        assert isinstance(json.loads(result.stdout), dict)
    else:
        assert result.exit_code == 1, result.output
        assert "Error:" in result.stderr and "Traceback" not in result.output, result.output
        assert result.stdout == "", result.stdout


def test_the_valid_sample_computes():
    result = run_compute(json.dumps(VALID_INPUT))
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["results"]) == 2


@fuzz_settings(600)
@given(document=documents)
def test_compute_answers_any_json_document_with_results_or_a_message(document):
    assert_result_or_message(json.dumps(document))


@fuzz_settings(200)
@given(text=st.one_of(st.text(max_size=200), st.just(json.dumps(VALID_INPUT)).map(lambda s: s[: len(s) // 2])))
def test_compute_answers_text_that_is_not_json_with_a_message(text):
    assert_result_or_message(text)
