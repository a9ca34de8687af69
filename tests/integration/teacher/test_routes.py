"""The teacher area over HTTP: grid, filters, drill-down with the student's explanation, overrides, policy."""

from __future__ import annotations

import json

from sqlalchemy import select

from lti_tool.storage.models import AuditEvent, MasteryResultRecord, OverrideRecord


def test_the_grid_shows_every_student_and_standard_with_labels_cues_and_totals(client, teacher_course,
                                                                                 teacher_token):
    page = client.get("/teacher/", query_string={"t": teacher_token()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ana Diaz" in html and "Ben Lee" in html and "8.EE.3" in html
    assert "●" in html and "no evidence" in html  # a non-colour cue and empty cells
    assert "<tfoot>" in html


def test_the_grid_filters_by_student_and_by_not_yet_mastered(client, teacher_course, teacher_token):
    by_name = client.get("/teacher/", query_string={"t": teacher_token(), "student": "ana"}).get_data(as_text=True)
    assert "Ana Diaz" in by_name and "Ben Lee" not in by_name
    not_yet = client.get("/teacher/", query_string={"t": teacher_token(), "not_mastered": "1"}).get_data(as_text=True)
    assert "Ben Lee" in not_yet and "Ana Diaz" not in not_yet


def test_students_cannot_open_the_teacher_area(client, teacher_course, teacher_token):
    assert client.get("/teacher/", query_string={"t": teacher_token(role="student")}).status_code == 403


def test_a_student_of_another_course_is_not_found(client, teacher_course, teacher_token):
    other = teacher_course.standards[0].id
    response = client.get(f"/teacher/students/999999/standards/{other}", query_string={"t": teacher_token()})
    assert response.status_code == 404


def test_the_drill_down_shows_the_explanation_the_student_sees(client, teacher_course, teacher_token):
    url = f"/teacher/students/{teacher_course.ana.id}/standards/{teacher_course.standards[0].id}"
    html = client.get(url, query_string={"t": teacher_token()}).get_data(as_text=True)
    assert 'class="explanation"' in html and "Quiz 1" in html and "Set level" in html


def test_an_override_needs_a_reason_is_audited_shown_and_removable(app, client, db_session, teacher_course,
                                                                    teacher_token):
    person, standard = teacher_course.ben.id, teacher_course.standards[0].id
    url = f"/teacher/students/{person}/standards/{standard}/override"
    refused = client.post(url, data={"t": teacher_token(), "points": "3", "reason": " "})
    assert refused.status_code == 302 and "reason" in refused.headers["Location"].lower()
    done = client.post(url, data={"t": teacher_token(), "points": "3", "reason": "Retook the quiz with me"})
    assert done.status_code == 302
    db_session.expire_all()
    row = db_session.scalar(select(MasteryResultRecord).where(MasteryResultRecord.course_id == teacher_course.course_id,
                                                              MasteryResultRecord.person_id == person,
                                                              MasteryResultRecord.standard_id == standard))
    assert row.overridden and row.level_points == 3
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.entity == "override",
                                                      AuditEvent.district_id == teacher_course.district_id))
    page = client.get(f"/teacher/students/{person}/standards/{standard}", query_string={"t": teacher_token()})
    assert "Retook the quiz with me" in page.get_data(as_text=True)
    client.post(url, data={"t": teacher_token(), "action": "remove"})
    db_session.expire_all()
    assert db_session.get(MasteryResultRecord, row.id).overridden is False
    assert db_session.scalar(select(OverrideRecord).where(OverrideRecord.person_id == person)).removed_at is not None


def test_the_policy_preview_counts_students_whose_level_would_change_and_keeps_nothing(client, db_session,
                                                                                        teacher_course, teacher_token):
    before = {r.id: r.level_points for r in db_session.scalars(
        select(MasteryResultRecord).where(MasteryResultRecord.course_id == teacher_course.course_id))}
    strict = {"cut_scores": [{"min_percent": 95, "points": 4}, {"min_percent": 90, "points": 3},
                             {"min_percent": 50, "points": 2}, {"min_percent": 0, "points": 1}]}
    answer = client.post("/teacher/api/policy/preview", json={"conversion": json.dumps(strict)},
                         headers={"Authorization": f"Bearer {teacher_token()}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["students_changed"] >= 1
    db_session.expire_all()
    after = {r.id: r.level_points for r in db_session.scalars(
        select(MasteryResultRecord).where(MasteryResultRecord.course_id == teacher_course.course_id))}
    assert after == before


def test_saving_the_course_policy_recalculates_the_course(client, db_session, teacher_course, teacher_token):
    strict = {"cut_scores": [{"min_percent": 95, "points": 4}, {"min_percent": 90, "points": 3},
                             {"min_percent": 50, "points": 2}, {"min_percent": 0, "points": 1}]}
    page = client.post("/teacher/policy", data={"t": teacher_token(), "action": "save",
                                                "conversion": json.dumps(strict)})
    assert "Saved." in page.get_data(as_text=True)


def test_the_sync_page_and_progress_answer_for_a_course_never_synced(client, teacher_course, teacher_token):
    assert "Gradebook sync" in client.get("/teacher/sync", query_string={"t": teacher_token()}).get_data(as_text=True)
    progress = client.get("/teacher/api/sync/progress", headers={"Authorization": f"Bearer {teacher_token()}"})
    assert progress.get_json()["finished"] is True


def test_the_results_download_offers_csv_json_and_oneroster(client, teacher_course, teacher_token):
    csv_text = client.get("/teacher/export.csv", query_string={"t": teacher_token()}).get_data(as_text=True)
    assert csv_text.startswith("district,") and "Ana Diaz" in csv_text
    assert client.get("/teacher/export.json", query_string={"t": teacher_token()}).get_json()["results"]
    archive = client.get("/teacher/export.zip", query_string={"t": teacher_token()})
    assert archive.mimetype == "application/zip" and archive.data[:2] == b"PK"


def test_an_override_on_a_standard_outside_the_course_framework_is_refused(client, db_session, teacher_course,
                                                                           teacher_token):
    from tests.integration.student.course_data import add_framework, new_course, new_platform

    other_platform = new_platform(db_session)
    other_course = new_course(db_session, other_platform)
    foreign = add_framework(db_session, other_platform.district_id, other_course.id, [("9.X.1", "Elsewhere.")])[0]
    db_session.commit()
    url = f"/teacher/students/{teacher_course.ben.id}/standards/{foreign.id}/override"
    response = client.post(url, data={"t": teacher_token(), "points": "4", "reason": "should not work"})
    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.scalar(select(OverrideRecord).where(OverrideRecord.standard_id == foreign.id)) is None


def test_the_teacher_navigation_leads_to_score_intake_and_alignment(client, teacher_course, teacher_token):
    html = client.get("/teacher/", query_string={"t": teacher_token()}).get_data(as_text=True)
    assert "/teacher/setup/?t=" in html
