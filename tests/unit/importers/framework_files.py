"""Paths of the framework files the importer tests read, and a helper to compare drafts."""

from __future__ import annotations

from pathlib import Path

from lti_tool.adapters.importers import FrameworkDraft

REPOSITORY = Path(__file__).resolve().parents[3]
SHARED_DATA = REPOSITORY / "tests" / "data" / "samples"
EDGE_CASES = REPOSITORY / "tests" / "data" / "frameworks"

CASE_SAMPLE = SHARED_DATA / "case" / "opensalt-sample-ccss-math-ratios.case.json"
CANVAS_SAMPLE = SHARED_DATA / "canvas" / "ccss-math-ratios.outcomes.csv"
MOODLE_SAMPLE = SHARED_DATA / "moodle" / "ccss-math-ratios.competencies.csv"
SAMPLES = {"case": CASE_SAMPLE, "canvas": CANVAS_SAMPLE, "moodle": MOODLE_SAMPLE}

CSV_HEADER = "code,parent_code,label,statement,grade,subject\n"


def outline(draft: FrameworkDraft) -> list[tuple[str, str | None, str, str]]:
    """What must survive any format: each standard's code, its parent's code, label, statement."""
    code_of = {standard.identifier: standard.code for standard in draft.standards}
    return [
        (
            standard.code,
            code_of[standard.parent_identifier] if standard.parent_identifier else None,
            standard.label,
            standard.statement,
        )
        for standard in draft.standards
    ]
