"""Recalculating stored mastery results and overall grades from a course's evidence, overrides and policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lti_tool.services.errors import NotFound
from lti_tool.services.grading import (
    course_policy,
    recalculate_course,
    recalculate_students,
)
from lti_tool.storage.models import MasteryResultRecord, OverallGradeRecord
from tests.integration.student.course_data import (
    add_assignment,
    add_framework,
    add_override,
    add_policy,
    add_score,
    enroll,
    new_course,
    new_platform,
    policy_settings,
)

NOW = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture()
def course(db_session):
    """A course with two standards, the decaying average policy and one student."""
    platform = new_platform(db_session)
    course = new_course(db_session, platform)
    add_policy(db_session, platform.district_id)
    standards = add_framework(db_session, platform.district_id, course.id,
                              [("8.EE.1", "Know integer exponents."), ("8.EE.2", "Use square roots.")])
    student = enroll(db_session, course, "student-1")
    return db_session, course, standards, student


def _result(session, course, person, standard):
    return session.scalar(select(MasteryResultRecord).where(MasteryResultRecord.course_id == course.id,
                                                            MasteryResultRecord.person_id == person.id,
                                                            MasteryResultRecord.standard_id == standard.id))


def test_scores_become_a_stored_result_with_level_trace_and_change(course):
    session, course, (first, second), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    lab = add_assignment(session, course.id, "Lab 2", [first])
    add_score(session, course.id, student, quiz, 8, day=0)
    add_score(session, course.id, student, lab, 10, day=7)

    summary = recalculate_course(session, course.id, now=NOW)

    row = _result(session, course, student, first)
    assert (row.score, row.level_label, row.level_points, row.mastered, row.evidence_count) == \
        (3.65, "Meets", 3, True, 2)
    assert [step["step"] for step in row.trace][:2] == ["evidence", "evidence"]
    assert row.changed_at == NOW
    assert summary.changed == ((student.id, first.id),)
    assert _result(session, course, student, second) is None  # no evidence, no row


def test_recalculating_without_new_evidence_keeps_changed_at_and_reports_nothing(course):
    session, course, (first, _), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    add_score(session, course.id, student, quiz, 8)
    recalculate_course(session, course.id, now=NOW)

    summary = recalculate_course(session, course.id, now=NOW + timedelta(days=1))

    assert summary.changed == ()
    assert _result(session, course, student, first).changed_at == NOW
    assert _result(session, course, student, first).computed_at == NOW + timedelta(days=1)


def test_a_reassessment_replaces_the_assessment_it_retakes(course):
    session, course, (first, _), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    retake = add_assignment(session, course.id, "Quiz 1 retake", [first], reassesses=quiz)
    add_score(session, course.id, student, quiz, 5, day=0)
    add_score(session, course.id, student, retake, 9, day=3)

    recalculate_course(session, course.id, now=NOW)

    row = _result(session, course, student, first)
    assert (row.score, row.evidence_count) == (4, 1)
    dropped = [step for step in row.trace if step["step"] == "dropped"]
    assert dropped[0]["reason"] == "replaced" and dropped[0]["replaced_by"] == "Quiz 1 retake"


def test_excused_work_is_left_out_and_unaligned_work_is_ignored(course):
    session, course, (first, _), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    excused = add_assignment(session, course.id, "Project", [first])
    unaligned = add_assignment(session, course.id, "Homework", [])
    add_score(session, course.id, student, quiz, 7)
    add_score(session, course.id, student, excused, None, excused=True, day=1)
    add_score(session, course.id, student, unaligned, 0, day=2)

    recalculate_course(session, course.id, now=NOW)

    row = _result(session, course, student, first)
    assert (row.score, row.evidence_count) == (2, 1)
    assert [step.get("reason") for step in row.trace if step["step"] == "dropped"] == ["excused"]


def test_a_rubric_criterion_alignment_uses_only_that_criterion(course):
    session, course, (first, second), student = course
    essay = add_assignment(session, course.id, "Essay", [first], criterion="c1")
    add_assignment_alignment = add_assignment(session, course.id, "Essay part 2", [second], criterion="c2")
    add_score(session, course.id, student, essay, None, points=4, criterion="c1")
    add_score(session, course.id, student, essay, None, points=1, criterion="c2")  # no alignment for c2 on Essay
    add_score(session, course.id, student, add_assignment_alignment, None, points=2, criterion="c2")

    recalculate_course(session, course.id, now=NOW)

    assert _result(session, course, student, first).score == 4
    assert _result(session, course, student, second).score == 2


def test_an_override_wins_and_is_marked(course):
    session, course, (first, second), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    add_score(session, course.id, student, quiz, 5)
    add_override(session, course.id, student, first, 3)
    add_override(session, course.id, student, second, 2, reason="Oral exam")

    recalculate_course(session, course.id, now=NOW)

    row = _result(session, course, student, first)
    assert (row.score, row.level_label, row.overridden) == (3, "Meets", True)
    assert _result(session, course, student, second).level_label == "Approaching"


def test_the_overall_grade_is_stored_with_its_trace(course):
    session, course, (first, second), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first, second])
    add_score(session, course.id, student, quiz, 10)

    summary = recalculate_course(session, course.id, now=NOW)

    grade = session.scalar(select(OverallGradeRecord).where(OverallGradeRecord.course_id == course.id,
                                                             OverallGradeRecord.person_id == student.id))
    assert (grade.letter, grade.average) == ("A", 4)
    assert grade.trace[-1]["step"] == "grade_cut"
    assert summary.grades_changed == (student.id,)


def test_only_active_learners_are_recalculated(course):
    session, course, (first, _), student = course
    teacher = enroll(session, course, "teacher-1", role="teacher")
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    add_score(session, course.id, teacher, quiz, 10)
    add_score(session, course.id, student, quiz, 10)

    summary = recalculate_students(session, course.id, [teacher.id, student.id], now=NOW)

    assert summary.students == 1
    assert _result(session, course, teacher, first) is None


def test_a_result_whose_evidence_disappears_keeps_a_row_without_score(course):
    session, course, (first, _), student = course
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    record = add_score(session, course.id, student, quiz, 10)
    recalculate_course(session, course.id, now=NOW)
    session.delete(record)
    session.flush()

    summary = recalculate_course(session, course.id, now=NOW + timedelta(days=1))

    row = _result(session, course, student, first)
    assert (row.score, row.level_label, row.evidence_count) == (None, None, 0)
    assert summary.changed == ((student.id, first.id),)


def test_a_course_policy_layers_over_the_district_default(course):
    session, course, (first, _), student = course
    add_policy(session, course.platform.district_id, policy_settings("highest"), course_id=course.id)
    quiz = add_assignment(session, course.id, "Quiz 1", [first])
    later = add_assignment(session, course.id, "Quiz 2", [first])
    add_score(session, course.id, student, quiz, 10, day=0)
    add_score(session, course.id, student, later, 5, day=1)

    recalculate_course(session, course.id, now=NOW)

    assert course_policy(session, course.id).policy.method.name == "highest"
    assert _result(session, course, student, first).score == 4


def test_an_unknown_course_is_not_found(db_session):
    with pytest.raises(NotFound):
        recalculate_course(db_session, 10**9)
