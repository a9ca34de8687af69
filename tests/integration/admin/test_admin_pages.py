"""The admin area over HTTP: import wizard, framework browser, scale and policy editors, audit log, tenancy."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lti_tool.storage.models import (
    AuditEvent,
    Framework,
    PendingImport,
    ProficiencyScaleRecord,
    Standard,
)

from .builders import DATA, SAMPLES, make_district
from .web_support import bearer, form_action, token_for


def _upload(client, token, path, fmt, **fields):
    data = {"t": token, "format": fmt, "file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/admin/frameworks/import", data=data, content_type="multipart/form-data")


def _import(client, token, path, fmt, **fields):
    preview = _upload(client, token, path, fmt, **fields)
    assert preview.status_code == 200, preview.text
    confirm = form_action(preview.text, "/confirm")
    return client.post(confirm, data={"t": token})


@pytest.fixture()
def district(db_session):
    return make_district(db_session)


@pytest.fixture()
def token(app, district):
    return token_for(app, district)


def test_the_wizard_previews_counts_then_imports_only_on_confirm(client, db_session, district, token):
    preview = _upload(client, token, SAMPLES["case"], "case")
    assert preview.status_code == 200
    assert 'data-count="added">16<' in preview.text and 'data-count="retired">0<' in preview.text
    assert "CCSS.Math.Content.6.RP.A.1" in preview.text
    assert db_session.scalar(select(func.count(Framework.id)).where(
        Framework.district_id == district.district_id)) == 0
    done = client.post(form_action(preview.text, "/confirm"), data={"t": token})
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert "Imported version 1: 16 added, 0 updated, 0 retired." in page.text
    assert db_session.scalar(select(func.count(PendingImport.id)).where(
        PendingImport.district_id == district.district_id)) == 0


def test_a_reimport_preview_lists_updated_and_retired_standards(client, district, token):
    assert _import(client, token, DATA / "grade8-expressions-v1.csv", "csv", title="Grade 8").status_code == 302
    preview = _upload(client, token, DATA / "grade8-expressions-v2.csv", "csv", title="Grade 8")
    assert 'data-count="added">1<' in preview.text
    assert 'data-count="updated">1<' in preview.text
    assert 'data-count="retired">1<' in preview.text
    assert "a new version (2) of an existing framework" in preview.text
    assert "8.EE.A.3" in preview.text and "(statement)" in preview.text


def test_a_bad_file_shows_every_problem_by_line_and_keeps_nothing(client, db_session, district, token, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,parent_code,label,statement,grade,subject\n8.EE,,A,S,8,M\n8.EE,,B,S,8,M\n"
                    b"8.F.A,8.F,C,S,8,M\n")
    page = _upload(client, token, bad, "csv")
    assert page.status_code == 422
    assert "Nothing was imported: the file has 2 problems" in page.text
    assert "<strong>line 3, code</strong>: duplicate code &#39;8.EE&#39; (first used on line 2)" in page.text
    assert "<strong>line 4, parent_code</strong>: parent &#39;8.F&#39; of &#39;8.F.A&#39; is not in the file" \
        in page.text
    assert db_session.scalar(select(func.count(PendingImport.id)).where(
        PendingImport.district_id == district.district_id)) == 0


def test_uploads_larger_than_the_app_wide_form_limit_are_accepted(client, app, district, token, tmp_path):
    rows = [b"code,parent_code,label,statement,grade,subject", b"D,,Domain,Top,8,M"]
    rows += [f"D.{n},D,Standard {n},Students can apply idea number {n} in context.,8,M".encode() for n in range(3000)]
    big = tmp_path / "big.csv"
    big.write_bytes(b"\n".join(rows) + b"\n")
    assert big.stat().st_size > app.config["MAX_CONTENT_LENGTH"]
    preview = _upload(client, token, big, "csv", title="Big")
    assert preview.status_code == 200 and 'data-count="added">3001<' in preview.text


def test_confirming_uses_the_kept_file_and_another_districts_upload_is_not_found(client, app, db_session, token):
    preview = _upload(client, token, SAMPLES["csv"], "csv", title="Kept")
    confirm = form_action(preview.text, "/confirm")
    other = make_district(db_session)
    assert client.post(confirm, data={"t": token_for(app, other)}).status_code == 404
    assert client.post(confirm, data={"t": token}).status_code == 302
    assert client.post(confirm, data={"t": token}).status_code == 404


def test_the_browser_searches_and_exports_the_districts_frameworks(client, db_session, district, token):
    _import(client, token, SAMPLES["csv"], "csv", title="Grade 8 expressions")
    found = client.get("/admin/frameworks", query_string={"t": token, "q": "exponent"})
    assert "8.EE.A.1" in found.text and "Integer exponents" in found.text and "8.EE.A.2" not in found.text
    framework = db_session.scalar(select(Framework).where(Framework.district_id == district.district_id))
    download = client.get(f"/admin/frameworks/{framework.id}/export", query_string={"t": token, "format": "csv"})
    assert download.status_code == 200
    assert download.data.startswith(b"code,parent_code,label,statement,grade,subject")
    assert "attachment" in download.headers["Content-Disposition"]


def test_another_districts_ids_give_404_in_pages_and_api(client, app, db_session, token):
    other = make_district(db_session)
    other_token = token_for(app, other)
    _import(client, other_token, SAMPLES["csv"], "csv", title="Theirs")
    theirs = db_session.scalar(select(Framework).where(Framework.district_id == other.district_id))
    their_scale = db_session.scalar(select(ProficiencyScaleRecord).where(
        ProficiencyScaleRecord.district_id == other.district_id))
    for path in (f"/admin/frameworks/{theirs.id}", f"/admin/frameworks/{theirs.id}/export",
                 f"/admin/scales/{their_scale.id}", f"/admin/policy?framework={theirs.id}&t={token}"):
        assert client.get(path if "?" in path else f"{path}?t={token}").status_code == 404, path
    for path in (f"/admin/api/frameworks/{theirs.id}/standards", f"/admin/api/scales/{their_scale.id}",
                 f"/admin/api/policy?framework={theirs.id}"):
        answer = client.get(path, headers=bearer(token))
        assert answer.status_code == 404 and answer.json["error"]["status"] == 404, path
    saved = client.post(f"/admin/scales/{their_scale.id}", data={"t": token, "name": "Mine now", "points_0": "1",
                                                                 "label_0": "x", "mastery_points": "1"})
    assert saved.status_code == 404
    assert client.post(f"/admin/frameworks/{theirs.id}/retire", data={"t": token}).status_code == 404
    listed = client.get("/admin/api/frameworks", headers=bearer(token)).json["frameworks"]
    assert theirs.id not in {item["id"] for item in listed}
    assert client.get("/admin/frameworks", query_string={"t": token, "q": "8.EE"}).text.count("Theirs") == 0


def test_only_admins_with_a_valid_token_get_in(client, app, district):
    assert client.get("/admin/frameworks").status_code == 401
    assert client.get("/admin/api/frameworks").json["error"]["status"] == 401
    teacher = token_for(app, district, role="teacher")
    assert client.get("/admin/frameworks", query_string={"t": teacher}).status_code == 403
    assert client.get("/admin/api/scales", headers=bearer(teacher)).status_code == 403


def test_the_policy_editor_saves_locks_and_audits(client, db_session, district, token):
    page = client.get("/admin/policy", query_string={"t": token})
    assert page.status_code == 200 and 'name="lock_method"' in page.text
    form = {"t": token, "method": "n_mastery", "method_param": "3", "rounding": "1", "missing": "zero",
            "reassessment": "replace", "cut_min_0": "80", "cut_points_0": "4", "cut_min_1": "0", "cut_points_1": "1",
            "lock_method": "1", "grade_rules": ""}
    saved = client.post("/admin/policy", data=form)
    assert saved.status_code == 302, saved.text
    api = client.get("/admin/api/policy", headers=bearer(token)).json
    assert api["document"]["method"] == {"name": "n_mastery", "n": 3}
    assert api["locked"] == ["method"] and api["sources"]["method"] == "district"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.district_id == district.district_id,
                                                       AuditEvent.entity == "policy:district",
                                                       AuditEvent.action == "update"))
    assert event.after["settings"]["rounding"] == 1 and event.before["settings"]["rounding"] == 2
    bad = client.post("/admin/policy", data={**form, "method_param": "99"})
    assert bad.status_code == 400 and "method.n" in bad.text


def test_the_policy_preview_runs_the_engine_on_sample_students(client, token):
    fields = {"method": "highest", "rounding": "2", "missing": "exclude", "reassessment": "replace",
              "cut_min_0": "90", "cut_points_0": "4", "cut_min_1": "0", "cut_points_1": "1"}
    answer = client.post("/admin/api/policy/preview", json=fields, headers=bearer(token))
    assert answer.status_code == 200, answer.json
    scores = {row["student"]: row["score"] for row in answer.json["results"]}
    assert scores == {"Ana (improving)": 4, "Ben (slipping)": 4, "Cy (missed one)": 1}
    assert answer.json["results"][0]["explanation"]
    bad = client.post("/admin/api/policy/preview", json={**fields, "rounding": "9"}, headers=bearer(token))
    assert bad.status_code == 400 and "rounding" in bad.json["error"]["message"]


def test_the_scale_editor_refuses_low_contrast_and_previews_contrast(client, db_session, district, token):
    fields = {"name": "Three", "points_0": "3", "label_0": "High", "colour_0": "#0B5394",
              "points_1": "2", "label_1": "Middle", "colour_1": "#FAB901", "points_2": "1", "label_2": "Low",
              "mastery_points": "2"}
    refused = client.post("/admin/scales/new", data={"t": token, **fields})
    assert refused.status_code == 400 and "Middle: white text on #FAB901 has contrast 1.74:1" in refused.text
    preview = client.post("/admin/api/scales/preview", json=fields, headers=bearer(token)).json
    assert [(c["label"], c["passes"]) for c in preview["contrast"]] == [("High", True), ("Middle", False)]
    assert {row["level"] for row in preview["results"]} <= {"High", "Middle", "Low"}
    saved = client.post("/admin/scales/new", data={"t": token, **fields, "colour_1": "#8A5300"})
    assert saved.status_code == 302
    scale = db_session.scalar(select(ProficiencyScaleRecord).where(
        ProficiencyScaleRecord.district_id == district.district_id, ProficiencyScaleRecord.name == "Three"))
    assert [level["label"] for level in scale.levels] == ["High", "Middle", "Low"]


def test_the_audit_log_shows_only_the_districts_changes(client, app, db_session, district, token):
    _import(client, token, SAMPLES["csv"], "csv", title="Audited")
    other = make_district(db_session)
    _import(client, token_for(app, other), SAMPLES["case"], "case")
    page = client.get("/admin/audit", query_string={"t": token, "entity": "framework"})
    assert page.status_code == 200
    assert "create framework" in page.text and "Audited" in page.text
    assert "What Standards Could Be" not in page.text


def test_retired_standards_are_hidden_unless_asked_for(client, db_session, district, token):
    _import(client, token, DATA / "grade8-expressions-v1.csv", "csv", title="G8")
    _import(client, token, DATA / "grade8-expressions-v2.csv", "csv", title="G8")
    framework = db_session.scalar(select(Framework).where(Framework.district_id == district.district_id))
    page = client.get(f"/admin/frameworks/{framework.id}", query_string={"t": token})
    assert "8.EE.A.3" not in page.text
    page = client.get(f"/admin/frameworks/{framework.id}", query_string={"t": token, "retired": "1"})
    assert "8.EE.A.3" in page.text and "(retired)" in page.text
    assert db_session.scalar(select(func.count(Standard.id)).where(Standard.framework_id == framework.id)) == 6
