"""Nobody reads another student's results by changing ids: other students, courses and districts give 404,
mentors see only their mentees, and pages without a valid token give 401."""

from __future__ import annotations

import pytest

from .course_data import add_framework, add_policy, enroll, new_course, new_platform


def _what_if(client, token, person_id, standard_id):
    return client.post(f"/student/api/students/{person_id}/standards/{standard_id}/what-if", json={"points": 3},
                       headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})


def test_a_student_cannot_open_another_students_overview_standard_summary_or_api(client, student_course, token_for):
    token = token_for(student_course.ana)
    ben, standard = student_course.ben.id, student_course.standards[0].id
    assert client.get(f"/student/students/{ben}/?t={token}").status_code == 404
    assert client.get(f"/student/students/{ben}/standards/{standard}?t={token}").status_code == 404
    assert client.get(f"/student/students/{ben}/summary?t={token}").status_code == 404
    assert _what_if(client, token, ben, standard).status_code == 404


def test_a_student_cannot_use_view_as(client, student_course, token_for):
    token = token_for(student_course.ana)
    assert client.get(f"/student/view-as/{student_course.ana.id}?t={token}").status_code == 403


def test_a_standard_of_another_course_is_not_found(client, student_course, token_for, db_session):
    platform = new_platform(db_session)
    other_course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id)
    foreign = add_framework(db_session, platform.district_id, other_course.id, [("X.1", "Elsewhere.")])[0]
    db_session.commit()
    token = token_for(student_course.ana)
    ana = student_course.ana.id
    assert client.get(f"/student/students/{ana}/standards/{foreign.id}?t={token}").status_code == 404
    assert _what_if(client, token, ana, foreign.id).status_code == 404


def test_a_token_for_another_course_does_not_reach_this_courses_students(client, student_course, token_for,
                                                                          db_session):
    platform = new_platform(db_session)
    other_course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id)
    stranger = enroll(db_session, other_course, "stranger-sub")
    db_session.commit()
    token = token_for(stranger, course_id=other_course.id, district_id=platform.district_id)
    assert client.get(f"/student/students/{student_course.ana.id}/?t={token}").status_code == 404


def test_an_identity_whose_district_does_not_own_the_course_sees_nothing(client, student_course, token_for,
                                                                          db_session):
    other_district = new_platform(db_session).district_id
    db_session.commit()
    token = token_for(student_course.ana, district_id=other_district)
    assert client.get(f"/student/?t={token}").status_code == 404
    assert client.get(f"/student/students/{student_course.ana.id}/?t={token}").status_code == 404


def test_a_mentor_sees_their_mentee_and_nobody_else(client, student_course, token_for):
    token = token_for(student_course.mentor, role="mentor")
    home = client.get(f"/student/?t={token}")
    assert home.status_code == 200
    assert "Standards of Ana Diaz" in home.get_data(as_text=True)
    assert "Ben Lee" not in home.get_data(as_text=True)
    assert client.get(f"/student/students/{student_course.ben.id}/?t={token}").status_code == 404
    assert _what_if(client, token, student_course.ben.id, student_course.standards[0].id).status_code == 404


def test_a_teacher_views_as_any_student_of_their_course(client, student_course, token_for):
    token = token_for(student_course.teacher, role="teacher")
    page = client.get(f"/student/view-as/{student_course.ben.id}?t={token}")
    assert page.status_code == 200
    assert "You are viewing as Ben Lee" in page.get_data(as_text=True)
    assert client.get(f"/student/view-as/{student_course.mentor.id}?t={token}").status_code == 404


@pytest.mark.parametrize("path", ["/student/", "/student/students/1/", "/student/students/1/standards/1"])
def test_pages_without_a_token_ask_to_launch_again(client, path):
    assert client.get(path).status_code == 401


def test_a_forged_token_is_refused(client, student_course):
    assert client.get(f"/student/students/{student_course.ana.id}/?t=forged.token.value").status_code == 401
