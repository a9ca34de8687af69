"""Framework files and gradebook exports with random damage: a clear, located problem each time, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lti_tool.adapters.importers import FORMATS, FrameworkDraft, ImportFailed
from lti_tool.adapters.importers.gradebook_csv import GradebookFormatError, GradebookImport, parse_gradebook_csv
from tests.fuzz.budget import fuzz_settings, tried
from tests.fuzz.mutations import mutated_bytes

DATA = Path(__file__).resolve().parents[1] / "data"
FRAMEWORK_SEEDS = {
    "case": [DATA / "samples/case/opensalt-sample-ccss-math-ratios.case.json",
             DATA / "frameworks/grade8-case-1.1-envelope.json"],
    "canvas": [DATA / "samples/canvas/ccss-math-ratios.outcomes.csv"],
    "moodle": [DATA / "samples/moodle/ccss-math-ratios.competencies.csv", DATA / "frameworks/moodle-older-headers.csv"],
    "csv": [DATA / "frameworks/grade8-expressions.csv", DATA / "frameworks/grade8-expressions-semicolon-bom.csv",
            DATA / "frameworks/latin1.csv", DATA / "frameworks/broken-hierarchy.csv"],
}
GRADEBOOK_SEEDS = sorted((DATA / "gradebooks").glob("*.csv"))


def _seeds(paths: list[Path]) -> st.SearchStrategy[bytes]:
    return st.sampled_from([path.read_bytes() for path in paths])


def framework_inputs(format_name: str) -> st.SearchStrategy[bytes]:
    """Damaged copies of the format's sample files, other formats' files, and plain random bytes."""
    every_seed = [path for paths in FRAMEWORK_SEEDS.values() for path in paths]
    return st.one_of(
        _seeds(FRAMEWORK_SEEDS[format_name]).flatmap(mutated_bytes),
        _seeds(every_seed),
        st.binary(max_size=512),
    )


def assert_parses_or_explains(format_name: str, data: bytes) -> None:
    """A draft, or ImportFailed whose every problem says where (line or JSON path) and why."""
    tried(f"import {format_name}")
    try:
        draft = FORMATS[format_name].parse(data)
    except ImportFailed as failure:
        assert failure.problems, "ImportFailed without a problem"
        for problem in failure.problems:
            assert problem.reason.strip(), problem
            assert problem.line is not None or problem.path is not None or problem.field or \
                problem.location == "file", problem
            if problem.line is not None:
                assert problem.line >= 1, problem
        return
    assert isinstance(draft, FrameworkDraft)


@fuzz_settings(400)
@given(data=framework_inputs("case"))
def test_the_case_importer_explains_every_damaged_file(data):
    assert_parses_or_explains("case", data)


@fuzz_settings(400)
@given(data=framework_inputs("canvas"))
def test_the_canvas_outcomes_importer_explains_every_damaged_file(data):
    assert_parses_or_explains("canvas", data)


@fuzz_settings(400)
@given(data=framework_inputs("moodle"))
def test_the_moodle_competencies_importer_explains_every_damaged_file(data):
    assert_parses_or_explains("moodle", data)


@fuzz_settings(400)
@given(data=framework_inputs("csv"))
def test_the_csv_framework_importer_explains_every_damaged_file(data):
    assert_parses_or_explains("csv", data)


@fuzz_settings(400)
@given(data=st.one_of(_seeds(GRADEBOOK_SEEDS).flatmap(mutated_bytes), st.binary(max_size=512),
                      st.text(max_size=300).map(str.encode)))
def test_the_gradebook_csv_importer_reports_problems_by_line_or_refuses_the_format(data):
    tried("gradebook csv")
    try:
        parsed = parse_gradebook_csv(data)
    except GradebookFormatError as refusal:
        assert str(refusal).strip()
        return
    assert isinstance(parsed, GradebookImport)
    assert parsed.ok or not parsed.students, "records and problems together"
    for problem in parsed.problems:
        assert problem.line >= 1 and problem.message.strip(), problem
