"""What a student, a family member and a teacher see in the student area."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lti_tool.storage.models import Enrollment, MasteryResultRecord

from .course_data import add_assignment, add_score


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_overview_lists_every_standard_with_level_text_and_mastery(client, student_course, token_for):
    page = _text(client.get(f"/student/?t={token_for(student_course.ana)}"))
    assert "<h1>My standards</h1>" in page
    for code in ("8.EE.1", "8.EE.2", "8.EE.3"):
        assert code in page
    assert "Meets (3)" in page and "Mastered" in page
    assert "No scores yet" in page
    assert "2 of 3 standards mastered." in page


def test_the_overview_shows_the_overall_grade_its_rule_and_what_would_change_it(client, student_course, token_for):
    page = _text(client.get(f"/student/?t={token_for(student_course.ana)}"))
    assert '<span class="letter">B</span>' in page
    assert "The average of your 2 standards is (3.65 + 3) ÷ 2 = 3.33." in page
    assert "An average of 3 or more earns B." in page
    assert "An average of 3.5 or more earns A. Your average needs to rise by 0.17." in page


def test_changes_since_the_last_visit_are_marked_once_and_kept_within_the_visit(client, student_course, token_for,
                                                                               db_session):
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.person_id == student_course.ana.id))
    enrollment.last_seen_at = datetime.now(UTC) - timedelta(days=1)
    rows = db_session.scalars(select(MasteryResultRecord).where(
        MasteryResultRecord.person_id == student_course.ana.id).order_by(MasteryResultRecord.standard_id)).all()
    rows[0].changed_at = datetime.now(UTC) - timedelta(hours=1)
    rows[1].changed_at = datetime.now(UTC) - timedelta(days=2)
    db_session.commit()
    token = token_for(student_course.ana)

    first = _text(client.get(f"/student/?t={token}"))
    assert "1 standard changed since your last visit." in first
    since = re.search(r"since=(\d+)", first).group(1)
    again = _text(client.get(f"/student/students/{student_course.ana.id}/?t={token}&since={since}"))
    assert "1 standard changed since your last visit." in again
    next_visit = _text(client.get(f"/student/?t={token}"))
    assert "Nothing changed since your last visit." in next_visit


def test_a_standard_page_has_statement_chart_table_and_explanation(client, student_course, token_for):
    standard = student_course.standards[0]
    page = _text(client.get(f"/student/students/{student_course.ana.id}/standards/{standard.id}"
                            f"?t={token_for(student_course.ana)}"))
    assert "Know and apply the properties of integer exponents." in page
    assert 'role="img"' in page and "<desc" in page
    assert "Every score on this standard, oldest first" in page
    assert "Quiz 1, September 1, 2026: 8 out of 10 is 80%, which is Meets (3)." in page
    assert "0.65 × 4 + 0.35 × 3 = 3.65." in page
    assert "You have reached mastery." in page


def test_the_what_if_api_computes_without_saving(client, student_course, token_for, db_session):
    standard = student_course.standards[1]
    token = token_for(student_course.ana)
    response = client.post(f"/student/api/students/{student_course.ana.id}/standards/{standard.id}/what-if",
                           json={"points": 1}, headers={"Authorization": f"Bearer {token}"})
    body = response.get_json()
    assert response.status_code == 200
    assert body["hypothetical"] is True and body["saved"] is False
    assert body["current"]["score"] == 3
    assert body["result"]["score"] == 1.7 and body["result"]["level"]["label"] == "Beginning"
    assert any("Your next score (what if)" in sentence for sentence in body["explanation"])
    stored = db_session.scalar(select(MasteryResultRecord.score).where(
        MasteryResultRecord.person_id == student_course.ana.id, MasteryResultRecord.standard_id == standard.id))
    assert stored == 3


def test_the_what_if_api_refuses_a_score_that_is_not_a_level(client, student_course, token_for):
    standard = student_course.standards[1]
    response = client.post(f"/student/api/students/{student_course.ana.id}/standards/{standard.id}/what-if",
                           json={"points": 2.5}, headers={"Authorization": f"Bearer {token_for(student_course.ana)}",
                                                          "Accept": "application/json"})
    assert response.status_code == 400


def test_the_what_if_form_works_without_javascript_and_is_marked_hypothetical(client, student_course, token_for):
    standard = student_course.standards[2]
    page = _text(client.get(f"/student/students/{student_course.ana.id}/standards/{standard.id}"
                            f"?t={token_for(student_course.ana)}&what_if=4"))
    assert "Hypothetical: not a real score, and not saved." in page
    assert "With that score, your result would be 4: Exceeds." in page


def test_the_page_follows_the_launch_locale_and_switches_with_lang(client, student_course, token_for):
    spanish = _text(client.get(f"/student/?t={token_for(student_course.ana, locale='es-MX')}"))
    assert '<html lang="es">' in spanish and "Mis estándares" in spanish
    english = _text(client.get(f"/student/?t={token_for(student_course.ana, locale='es-MX')}&lang=en"))
    assert "My standards" in english


def test_mentors_get_a_help_at_home_line_for_each_unmastered_standard(client, student_course, token_for):
    page = _text(client.get(f"/student/?t={token_for(student_course.mentor, role='mentor')}"))
    assert "How to help at home" in page
    assert page.count("Look at the work together.") == 1  # 8.EE.3 has no scores yet
    assert "Mastered. Praise the effort." in page


def test_a_mentor_with_two_mentees_gets_a_picker(client, student_course, token_for, db_session):
    mentor = db_session.get(Enrollment, db_session.scalar(select(Enrollment.id).where(
        Enrollment.person_id == student_course.mentor.id)))
    mentor.mentees = ["ana-sub", "ben-sub"]
    db_session.commit()
    page = _text(client.get(f"/student/?t={token_for(student_course.mentor, role='mentor')}"))
    assert "Choose a student" in page and "Ana Diaz" in page and "Ben Lee" in page


def test_the_printable_summary_has_every_standard_and_a_print_stylesheet(client, student_course, token_for):
    page = _text(client.get(f"/student/students/{student_course.ana.id}/summary?t={token_for(student_course.ana)}"))
    assert 'media="print"' in page
    assert "Summary for Ana Diaz" in page
    assert "8.EE.3" in page and "You have reached mastery." in page


def test_view_as_shows_the_students_page_without_counting_as_their_visit(client, student_course, token_for,
                                                                         db_session):
    before = db_session.scalar(select(Enrollment.last_seen_at).where(Enrollment.person_id == student_course.ana.id))
    page = _text(client.get(f"/student/view-as/{student_course.ana.id}"
                            f"?t={token_for(student_course.teacher, role='teacher')}"))
    db_session.expire_all()
    assert "2 of 3 standards mastered." in page
    assert db_session.scalar(select(Enrollment.last_seen_at).where(
        Enrollment.person_id == student_course.ana.id)) == before


def test_an_override_is_shown_as_set_by_the_teacher(client, student_course, token_for, db_session):
    from lti_tool.services.grading import recalculate_course

    from .course_data import add_override
    add_override(db_session, student_course.course_id, student_course.ana, student_course.standards[2], 2,
                 reason="Oral check")
    recalculate_course(db_session, student_course.course_id)
    db_session.commit()
    page = _text(client.get(f"/student/students/{student_course.ana.id}/standards/{student_course.standards[2].id}"
                            f"?t={token_for(student_course.ana)}"))
    assert "Your teacher set your level to Approaching (2)." in page
    assert "The reason: Oral check" in page


def test_a_new_score_after_recalculation_shows_up(client, student_course, token_for, db_session):
    from lti_tool.services.grading import recalculate_students

    quiz = add_assignment(db_session, student_course.course_id, "Quiz 3", [student_course.standards[2]])
    add_score(db_session, student_course.course_id, student_course.ana, quiz, 9, day=10)
    recalculate_students(db_session, student_course.course_id, [student_course.ana.id])
    db_session.commit()
    page = _text(client.get(f"/student/?t={token_for(student_course.ana)}"))
    assert "3 of 3 standards mastered." in page
