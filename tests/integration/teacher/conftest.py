"""A committed course with scored students and a teacher token (built with the student area's builders)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from lti_tool.services.grading import recalculate_course
from lti_tool.storage.models import Person, Standard
from lti_tool.web.auth import SessionIdentity, issue_token
from tests.integration.student.course_data import (
    add_assignment,
    add_framework,
    add_policy,
    add_score,
    enroll,
    new_course,
    new_platform,
)


@dataclass
class TeacherCourse:
    """Ids and people of one test course."""

    district_id: int
    district_name: str
    platform_id: int
    course_id: int
    lms_course_id: str
    standards: list[Standard]
    ana: Person
    ben: Person
    teacher: Person


@pytest.fixture()
def teacher_course(app, db_session) -> TeacherCourse:
    """Ana meets 8.EE.1 and 8.EE.2, Ben is beginning on both; nobody has evidence on 8.EE.3."""
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    course.lms_course_id = f"lms-{course.id}"
    add_policy(db_session, platform.district_id)
    standards = add_framework(db_session, platform.district_id, course.id, [
        ("8.EE.1", "Know and apply the properties of integer exponents."),
        ("8.EE.2", "Use square root and cube root symbols."),
        ("8.EE.3", "Use numbers in scientific notation."),
    ])
    ana = enroll(db_session, course, "ana-sub", name="Ana Diaz")
    ben = enroll(db_session, course, "ben-sub", name="Ben Lee")
    teacher = enroll(db_session, course, "teacher-sub", role="teacher", name="Tess Morgan")
    quiz = add_assignment(db_session, course.id, "Quiz 1", standards[:2])
    add_score(db_session, course.id, ana, quiz, 8, day=0)
    add_score(db_session, course.id, ben, quiz, 3, day=0)
    recalculate_course(db_session, course.id)
    db_session.commit()
    return TeacherCourse(platform.district_id, platform.district.name, platform.id, course.id, course.lms_course_id,
                         standards, ana, ben, teacher)


@pytest.fixture()
def teacher_token(app, teacher_course) -> Callable[..., str]:
    """A session token for the course's teacher (or another role/course)."""

    def _token(role: str = "teacher", course_id: int | None = None) -> str:
        identity = SessionIdentity(person_id=teacher_course.teacher.id,
                                   course_id=course_id or teacher_course.course_id,
                                   platform_id=teacher_course.platform_id, district_id=teacher_course.district_id,
                                   role=role)
        with app.test_request_context():
            return issue_token(identity)

    return _token
