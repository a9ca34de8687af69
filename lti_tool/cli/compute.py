"""``sbg compute FILE``: mastery results for JSON evidence, as JSON on standard output."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import click

from lti_tool.engine import (
    InputError,
    MasteryResult,
    calculate_all,
    explain,
    explain_grade,
    overall_grade,
    parse_datetime,
    parse_evidence_list,
    parse_grade_rules,
    parse_overrides,
    parse_policy,
    render,
)
from lti_tool.engine.numbers import tidy

INPUT_FIELDS = {"scale", "conversion", "method", "rounding", "missing", "reassessment", "evidence", "as_of",
                "overrides", "grading"}


@click.command("compute")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def compute(file: IO[str]) -> None:
    """Compute mastery results for the evidence in FILE (JSON; "-" reads standard input)."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"input: not valid JSON ({error})") from None
    try:
        output = compute_document(data)
    except InputError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(output, ensure_ascii=False, indent=2))


def compute_document(data: Any) -> dict[str, Any]:
    """Turn the parsed input document into the output document; raise InputError naming any bad field."""
    if not isinstance(data, Mapping):
        raise InputError("input", "must be a JSON object")
    for key in data:
        if key not in INPUT_FIELDS:
            raise InputError(key, "unknown field")
    policy = parse_policy(data)
    if "evidence" not in data:
        raise InputError("evidence", "is required")
    evidence = parse_evidence_list(data["evidence"])
    as_of = parse_datetime(data.get("as_of"), "as_of")
    overrides = parse_overrides(data.get("overrides", []), policy.scale)
    rules = parse_grade_rules(data["grading"]) if data.get("grading") is not None else None
    results = calculate_all(evidence, policy, as_of=as_of, overrides=overrides)
    output: dict[str, Any] = {"results": [result_json(result) for result in results]}
    if rules is not None:
        by_student: dict[str, list[MasteryResult]] = {}
        for result in results:
            by_student.setdefault(result.student, []).append(result)
        grades = []
        for student, student_results in by_student.items():
            grade = overall_grade(student_results, rules)
            grades.append({"student": student, "grade": grade.grade, "average": tidy(grade.average),
                           "trace": grade.trace_dicts(), "explanation": " ".join(render(explain_grade(grade)))})
        output["grades"] = grades
    return output


def result_json(result: MasteryResult) -> dict[str, Any]:
    """One result in the output contract's shape."""
    return {
        "student": result.student,
        "standard": result.standard,
        "score": tidy(result.score),
        "level": result.level.label if result.level is not None else None,
        "mastered": result.mastered,
        "evidence_count": result.evidence_count,
        "trace": result.trace_dicts(),
        "explanation": " ".join(render(explain(result))),
    }
