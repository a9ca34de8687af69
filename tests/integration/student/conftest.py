"""A committed course with scores for two students, a mentor and a teacher, and tokens to call the area."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from lti_tool.services.grading import recalculate_course
from lti_tool.storage.models import Person, Standard
from lti_tool.web.auth import SessionIdentity, issue_token

from .course_data import (
    add_assignment,
    add_framework,
    add_policy,
    add_score,
    enroll,
    new_course,
    new_platform,
)


@dataclass
class StudentCourse:
    """The people, standards and ids of one test course."""

    district_id: int
    platform_id: int
    course_id: int
    standards: list[Standard]
    ana: Person
    ben: Person
    mentor: Person
    teacher: Person


@pytest.fixture()
def student_course(app, db_session) -> StudentCourse:
    """Ana has scores on two of three standards, Ben on one; Ana's parent is a mentor of Ana only."""
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id)
    standards = add_framework(db_session, platform.district_id, course.id, [
        ("8.EE.1", "Know and apply the properties of integer exponents."),
        ("8.EE.2", "Use square root and cube root symbols."),
        ("8.EE.3", "Use numbers in scientific notation."),
    ])
    ana = enroll(db_session, course, "ana-sub", name="Ana Diaz")
    ben = enroll(db_session, course, "ben-sub", name="Ben Lee")
    mentor = enroll(db_session, course, "parent-sub", role="mentor", name="Rosa Diaz", mentees=["ana-sub"])
    teacher = enroll(db_session, course, "teacher-sub", role="teacher", name="Tess Morgan")
    quiz = add_assignment(db_session, course.id, "Quiz 1", standards[:2])
    lab = add_assignment(db_session, course.id, "Lab 2", standards[:1])
    add_score(db_session, course.id, ana, quiz, 8, day=0)
    add_score(db_session, course.id, ana, lab, 10, day=7)
    add_score(db_session, course.id, ben, quiz, 5, day=0)
    recalculate_course(db_session, course.id)
    db_session.commit()
    return StudentCourse(platform.district_id, platform.id, course.id, standards, ana, ben, mentor, teacher)


@pytest.fixture()
def token_for(app, student_course) -> Callable[..., str]:
    """A session token for a person of the test course, with an area role and locale."""

    def _token(person: Person, role: str = "student", locale: str = "en", course_id: int | None = None,
               district_id: int | None = None) -> str:
        identity = SessionIdentity(person_id=person.id, course_id=course_id or student_course.course_id,
                                   platform_id=student_course.platform_id,
                                   district_id=district_id or student_course.district_id, role=role, locale=locale)
        with app.test_request_context():
            return issue_token(identity)

    return _token
