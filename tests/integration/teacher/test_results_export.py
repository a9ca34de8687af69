"""`sbg results export` in csv, json and OneRoster 1.2 gradebook CSV files."""

from __future__ import annotations

import csv
import io
import json

from lti_tool.cli import main


def test_csv_export_has_a_row_per_student_and_standard_with_evidence_counts(app, teacher_course):
    result = app.test_cli_runner().invoke(main, ["results", "export", "--district", teacher_course.district_name,
                                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    ana = [r for r in rows if r["student_name"] == "Ana Diaz" and r["standard_code"] == "8.EE.1"]
    assert len(ana) == 1 and ana[0]["level"] and ana[0]["evidence_count"] == "1"


def test_json_export_of_one_course(app, teacher_course):
    result = app.test_cli_runner().invoke(main, ["results", "export", "--district", teacher_course.district_name,
                                                 "--course", teacher_course.lms_course_id, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {row["course_id"] for row in json.loads(result.output)["results"]} == {teacher_course.lms_course_id}


def test_oneroster_export_writes_manifest_categories_line_items_and_results(app, teacher_course, tmp_path):
    result = app.test_cli_runner().invoke(main, ["results", "export", "--district", teacher_course.district_name,
                                                 "--format", "oneroster", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {"manifest.csv", "categories.csv", "lineItems.csv", "results.csv"}
    items = list(csv.DictReader(io.StringIO((tmp_path / "lineItems.csv").read_text())))
    results = list(csv.DictReader(io.StringIO((tmp_path / "results.csv").read_text())))
    assert {"sourcedId", "classSourcedId", "categorySourcedId", "resultValueMax"} <= set(items[0])
    assert {r["lineItemSourcedId"] for r in results} <= {i["sourcedId"] for i in items}
    assert all(r["scoreStatus"] in ("fully graded", "not submitted") for r in results)


def test_an_unknown_district_is_a_clean_error(app):
    result = app.test_cli_runner().invoke(main, ["results", "export", "--district", "nowhere-xyz", "--format", "csv"])
    assert result.exit_code == 1 and "No district" in result.output
