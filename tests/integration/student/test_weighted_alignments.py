"""Alignment weights reach the calculation: a re-weighted alignment changes the stored result and explanation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lti_tool import engine
from lti_tool.services import alignment
from lti_tool.services.grading import recalculate_course
from lti_tool.services.student_views import explain_stored
from lti_tool.storage.models import Assignment, MasteryResultRecord, Standard

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


@dataclass
class TwoScores:
    """An Average course: one student with a unit test at 100% (Exceeds, 4) then a quiz at 50% (Beginning, 1)."""

    district_id: int
    course_id: int
    student_id: int
    standard: Standard
    test: Assignment

    def result(self, session) -> MasteryResultRecord:
        """The student's stored result on the standard."""
        return session.scalar(select(MasteryResultRecord).where(
            MasteryResultRecord.course_id == self.course_id, MasteryResultRecord.person_id == self.student_id,
            MasteryResultRecord.standard_id == self.standard.id))


@pytest.fixture()
def two_scores(app, db_session) -> TwoScores:
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id, policy_settings("average"))
    [standard] = add_framework(db_session, platform.district_id, course.id, [("8.EE.1", "Exponents.")])
    student = enroll(db_session, course, f"weighted-{uuid.uuid4().hex[:8]}", name="Wen Li")
    test = add_assignment(db_session, course.id, "Unit test", [standard])
    quiz = add_assignment(db_session, course.id, "Quiz", [standard])
    add_score(db_session, course.id, student, test, 10, day=0)
    add_score(db_session, course.id, student, quiz, 5, day=7)
    recalculate_course(db_session, course.id)
    return TwoScores(platform.district_id, course.id, student.id, standard, test)


def test_a_weight_2_alignment_counts_its_score_twice_in_the_average(db_session, two_scores):
    assert two_scores.result(db_session).score == 2.5

    alignment.set_alignment(db_session, two_scores.test, two_scores.standard, district_id=two_scores.district_id,
                            actor="teacher-1", weight=2.0)

    record = two_scores.result(db_session)
    assert record.score == 3  # (2 × 4 + 1 × 1) ÷ 3
    text = engine.render(explain_stored(record.trace))
    assert "Unit test has a weight of 2. Most scores have a weight of 1." in text
    assert "Each score is multiplied by its weight. The weights add up to 3. (2 × 4 + 1 × 1) ÷ 3 = 3." in text


def test_a_weight_0_alignment_switches_the_evidence_off(db_session, two_scores):
    alignment.set_alignment(db_session, two_scores.test, two_scores.standard, district_id=two_scores.district_id,
                            actor="teacher-1", weight=0.0)

    record = two_scores.result(db_session)
    assert (record.score, record.evidence_count) == (1, 1)
