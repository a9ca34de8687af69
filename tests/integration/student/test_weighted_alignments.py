"""Alignment weights reach the calculation: a re-weighted alignment changes the stored result and explanation."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool import engine
from lti_tool.services import alignment
from lti_tool.services.grading import recalculate_course
from lti_tool.services.student_views import explain_stored
from lti_tool.storage.models import MasteryResultRecord

from .course_data import (
    add_assignment,
    add_framework,
    add_policy,
    add_score,
    enroll,
    new_course,
    new_platform,
    policy_settings,
)


def _stored(session, course_id, person_id, standard_id) -> MasteryResultRecord:
    return session.scalar(select(MasteryResultRecord).where(
        MasteryResultRecord.course_id == course_id, MasteryResultRecord.person_id == person_id,
        MasteryResultRecord.standard_id == standard_id))


def test_a_weight_2_alignment_counts_its_score_twice_in_the_average(app, db_session):
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id, policy_settings("average"))
    [standard] = add_framework(db_session, platform.district_id, course.id, [("8.EE.1", "Exponents.")])
    student = enroll(db_session, course, "weighted-sub", name="Wen Li")
    test = add_assignment(db_session, course.id, "Unit test", [standard])
    quiz = add_assignment(db_session, course.id, "Quiz", [standard])
    add_score(db_session, course.id, student, test, 10, day=0)  # 100% → Exceeds (4)
    add_score(db_session, course.id, student, quiz, 5, day=7)   # 50% → Beginning (1)
    recalculate_course(db_session, course.id)
    assert _stored(db_session, course.id, student.id, standard.id).score == 2.5

    alignment.set_alignment(db_session, test, standard, district_id=platform.district_id, actor="teacher-1",
                            weight=2.0)

    record = _stored(db_session, course.id, student.id, standard.id)
    assert record.score == 3  # (2 × 4 + 1 × 1) ÷ 3
    text = engine.render(explain_stored(record.trace))
    assert "Unit test has a weight of 2. Most scores have a weight of 1." in text
    assert "Each score is multiplied by its weight. The weights add up to 3. (2 × 4 + 1 × 1) ÷ 3 = 3." in text


def test_a_weight_0_alignment_switches_the_evidence_off(app, db_session):
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id, policy_settings("average"))
    [standard] = add_framework(db_session, platform.district_id, course.id, [("8.EE.1", "Exponents.")])
    student = enroll(db_session, course, "zero-sub", name="Zoe Park")
    test = add_assignment(db_session, course.id, "Unit test", [standard])
    quiz = add_assignment(db_session, course.id, "Quiz", [standard])
    add_score(db_session, course.id, student, test, 10, day=0)
    add_score(db_session, course.id, student, quiz, 5, day=7)

    alignment.set_alignment(db_session, test, standard, district_id=platform.district_id, actor="teacher-1",
                            weight=0.0)

    record = _stored(db_session, course.id, student.id, standard.id)
    assert (record.score, record.evidence_count) == (1, 1)
