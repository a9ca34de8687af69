"""The ``sbg compute`` contract: JSON in, JSON out; invalid input names the field on stderr, prints nothing."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lti_tool.cli.compute import compute

ISSUE_INPUT = {
    "scale": {"levels": [{"points": 4, "label": "Exceeds"}, {"points": 3, "label": "Meets"},
                         {"points": 2, "label": "Approaching"}, {"points": 1, "label": "Beginning"}],
              "mastery_points": 3},
    "conversion": {"cut_scores": [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
                                  {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]},
    "method": {"name": "decaying_average", "weight": 65},
    "rounding": 2,
    "evidence": [{"student": "s1", "standard": "8.EE.1", "assignment": "Quiz 1",
                  "score": 8, "max": 10, "at": "2026-09-01T10:00:00Z"},
                 {"student": "s1", "standard": "8.EE.1", "assignment": "Lab 2",
                  "points": 4, "at": "2026-09-08T10:00:00Z"}],
}


def run(document, as_text=None):
    runner = CliRunner()
    result = runner.invoke(compute, ["-"], input=as_text if as_text is not None else json.dumps(document))
    stderr = result.stderr if hasattr(result, "stderr") else ""
    return result, result.stdout, stderr


def changed(**changes):
    document = copy.deepcopy(ISSUE_INPUT)
    document.update(changes)
    return document


def evidence_changed(index, **changes):
    document = copy.deepcopy(ISSUE_INPUT)
    document["evidence"][index].update(changes)
    return document


def test_issue_example_produces_the_documented_output():
    result, stdout, _ = run(ISSUE_INPUT)
    assert result.exit_code == 0
    [row] = json.loads(stdout)["results"]
    assert {key: row[key] for key in ("student", "standard", "score", "level", "mastered", "evidence_count")} == {
        "student": "s1", "standard": "8.EE.1", "score": 3.65, "level": "Meets", "mastered": True,
        "evidence_count": 2}
    assert [step["step"] for step in row["trace"]] == ["evidence", "evidence", "method", "rounding", "level",
                                                       "next_step"]
    assert row["explanation"].startswith("2 scores count for this standard. Quiz 1, September 1, 2026: 8 out of 10")


def test_reads_a_file_path(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(ISSUE_INPUT), encoding="utf-8")
    result = CliRunner().invoke(compute, [str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout)["results"][0]["score"] == 3.65


def test_no_result_gives_null_score_and_level():
    _, stdout, _ = run(changed(method={"name": "n_mastery", "n": 3}))
    row = json.loads(stdout)["results"][0]
    assert (row["score"], row["level"], row["mastered"]) == (None, None, False)


def test_excused_missing_and_replaces_are_honoured():
    document = changed(missing="zero")
    document["evidence"][0]["id"] = "q1"
    document["evidence"] += [
        {"student": "s1", "standard": "8.EE.1", "assignment": "Quiz 1 retake", "id": "q1r", "replaces": "q1",
         "score": 10, "max": 10, "at": "2026-09-10T10:00:00Z"},
        {"student": "s1", "standard": "8.EE.1", "assignment": "Essay", "excused": True},
        {"student": "s1", "standard": "8.EE.1", "assignment": "Lab 3", "missing": True,
         "at": "2026-09-12T10:00:00Z"},
    ]
    row = json.loads(run(document)[1])["results"][0]
    # Counted, oldest first: Lab 2 (4), retake (4), Lab 3 missing (0): 0.65 × 0 + 0.35 × 4 = 1.4.
    assert (row["score"], row["level"], row["evidence_count"]) == (1.4, "Beginning", 3)
    reasons = {step["assignment"]: step["reason"] for step in row["trace"] if step["step"] == "dropped"}
    assert reasons == {"Quiz 1": "replaced", "Essay": "excused"}


def test_overrides_and_grading_are_optional_extras():
    document = changed(overrides=[{"student": "s1", "standard": "8.EE.1", "level": "Exceeds",
                                   "reason": "Portfolio", "by": "t1", "at": "2026-10-01T00:00:00Z"}],
                       grading={"kind": "average", "cuts": [{"min": 3.5, "grade": "A"}, {"min": 0, "grade": "B"}]})
    output = json.loads(run(document)[1])
    assert output["results"][0]["level"] == "Exceeds"
    assert output["grades"][0]["student"] == "s1" and output["grades"][0]["grade"] == "A"


@pytest.mark.parametrize(("document", "field"), [
    (changed(method={"name": "weighted_average"}), "method.name"),
    (changed(method={"name": "decaying_average", "weight": 100}), "method.weight"),
    (changed(method={"name": "standard_decaying_average", "weight": 30}), "method.weight"),
    (changed(method={"name": "n_mastery", "n": 11}), "method.n"),
    (evidence_changed(0, max=0), "evidence[0].max"),
    (evidence_changed(1, at="next tuesday"), "evidence[1].at"),
    (changed(scale={"levels": [{"points": 1, "label": "Beginning"}, {"points": 4, "label": "Exceeds"}],
                    "mastery_points": 3}), "scale.levels[1].points"),
    (changed(rounding="two"), "rounding"),
    (changed(missing="maybe"), "missing"),
    (evidence_changed(0, replaces="nope"), "evidence[0].replaces"),
    (evidence_changed(0, student=None), "evidence[0].student"),
    (evidence_changed(0, scroe=3), "evidence[0].scroe"),
    (changed(methd="latest"), "methd"),
    (changed(evidence="none"), "evidence"),
    (changed(as_of="soon"), "as_of"),
    (changed(overrides=[{"student": "s1", "standard": "8.EE.1", "level": "Great"}]), "overrides[0].level"),
])
def test_invalid_input_exits_non_zero_naming_the_field_with_nothing_on_stdout(document, field):
    result, stdout, stderr = run(document)
    assert result.exit_code != 0
    assert stdout == ""
    assert field in (stderr or result.output)


def test_invalid_json_is_reported_without_output():
    result, stdout, stderr = run(None, as_text="{not json")
    assert result.exit_code != 0 and stdout == "" and "not valid JSON" in (stderr or result.output)


def test_subprocess_run_separates_stdout_and_stderr(tmp_path):
    root = Path(__file__).resolve().parents[2]
    entry = "import sys; from lti_tool.cli.compute import compute; compute(sys.argv[1:])"
    bad = json.dumps(changed(method={"name": "decaying_average", "weight": 0}))
    done = subprocess.run([sys.executable, "-c", entry, "-"], input=bad, capture_output=True, text=True, cwd=root,
                          check=False)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.strip() == "Error: method.weight: must be from 1 to 99 for decaying_average"
    good = subprocess.run([sys.executable, "-c", entry, "-"], input=json.dumps(ISSUE_INPUT), capture_output=True,
                          text=True, cwd=root, check=False)
    assert good.returncode == 0 and json.loads(good.stdout)["results"][0]["score"] == 3.65
