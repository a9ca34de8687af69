"""Moodle pulls with assignment details: due dates stored, late and missing flags kept, re-pulls idempotent,
and a web service without the assignment functions still brings the grades in, with a note."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lti_tool.adapters.moodle import MoodleClient, MoodleFunction
from lti_tool.cli import main
from lti_tool.services import evidence
from lti_tool.storage.models import Assignment, Course, EvidencePull, EvidenceRecord
from tests.fakes.moodle_server import (
    DUE_DATE,
    EXTENSION_DATE,
    FakeMoodle,
    MoodleCourseData,
    build_course,
    submission,
    user_flag,
)

from .builders import IntakeSetup, make_course
from .conftest import FAST_RETRY, no_sleep

STUDENTS = ["300", "301", "302"]
#: Long after the sample due date, so work not handed in is past due.
LATER = datetime(2026, 1, 1, tzinfo=UTC)


def moodle_client(server: FakeMoodle, http) -> MoodleClient:  # type: ignore[no-untyped-def]
    """A client for the fake Moodle whose clock reads LATER."""
    return MoodleClient(server.base_url, server.token, http, retry=FAST_RETRY, sleep=no_sleep, clock=lambda: LATER)


def with_missing_work(course: MoodleCourseData) -> MoodleCourseData:
    """Student 3 (302) never handed the assignment in and has no grade for it."""
    del course.grades[(302, 11)]
    course.submissions[1].pop(2)
    return course


def moodle_course(db_session, server: FakeMoodle) -> tuple[IntakeSetup, Course]:  # type: ignore[no-untyped-def]
    """A Moodle course of three students in the database, and the same course on the fake Moodle."""
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=STUDENTS,
                        issuer=server.base_url)
    server.add_course(with_missing_work(build_course(7, students=3)))
    course = db_session.get(Course, setup.course_id)
    assert course is not None
    return setup, course


def whole_evidence(db_session, course_id: int, lms_id: str) -> dict[str, EvidenceRecord]:  # type: ignore[no-untyped-def]
    """The whole-assignment evidence of one assignment, by student LMS id."""
    rows = db_session.scalars(select(EvidenceRecord).join(Assignment, Assignment.id == EvidenceRecord.assignment_id)
                              .where(EvidenceRecord.course_id == course_id, Assignment.lms_id == lms_id,
                                     EvidenceRecord.rubric_criterion == "")).all()
    return {row.lms_ref["user_id"]: row for row in rows}


def test_a_moodle_pull_stores_the_assignments_due_date_and_the_late_and_missing_flags(db_session, fake_moodle,
                                                                                     http):
    setup, course = moodle_course(db_session, fake_moodle)

    counts = evidence.pull_moodle(db_session, course, moodle_client(fake_moodle, http))

    assignment = db_session.scalar(select(Assignment).where(Assignment.course_id == setup.course_id,
                                                            Assignment.lms_id == "11"))
    assert assignment.due_at == datetime.fromtimestamp(DUE_DATE, UTC)
    assert assignment.description == "<p>Ratio tables (6.RP.A.3)</p>"
    quiz = db_session.scalar(select(Assignment).where(Assignment.course_id == setup.course_id,
                                                      Assignment.lms_id == "12"))
    assert quiz.due_at is None  # only assignment activities have due dates in this pull
    rows = whole_evidence(db_session, setup.course_id, "11")
    assert (rows["300"].late, rows["300"].missing) == (False, False)
    assert (rows["301"].late, rows["301"].missing) == (True, False)
    assert rows["301"].submitted_at == datetime.fromtimestamp(DUE_DATE + 1, UTC)
    assert (rows["302"].late, rows["302"].missing, rows["302"].score) == (False, True, None)
    assert rows["302"].workflow_state == "unsubmitted"
    assert counts.missing == 1 and counts.notes == []


def test_a_second_moodle_pull_of_the_same_data_changes_nothing(db_session, fake_moodle, http):
    setup, course = moodle_course(db_session, fake_moodle)
    client = moodle_client(fake_moodle, http)
    first = evidence.pull_moodle(db_session, course, client)
    before = {key: (row.late, row.missing, row.submitted_at, row.changed_at)
              for key, row in whole_evidence(db_session, setup.course_id, "11").items()}

    again = evidence.pull_moodle(db_session, course, client)

    assert first.added == 9
    assert (again.added, again.updated, again.unchanged) == (0, 0, 9)
    assert (again.assignments_added, again.assignments_updated) == (0, 0)
    after = {key: (row.late, row.missing, row.submitted_at, row.changed_at)
             for key, row in whole_evidence(db_session, setup.course_id, "11").items()}
    assert after == before


def test_an_extension_granted_after_a_pull_clears_the_late_flag_on_the_next_pull(db_session, fake_moodle, http):
    setup, course = moodle_course(db_session, fake_moodle)
    client = moodle_client(fake_moodle, http)
    evidence.pull_moodle(db_session, course, client)
    assert whole_evidence(db_session, setup.course_id, "11")["301"].late

    fake_moodle.courses[7].user_flags[1][1] = user_flag(701, 301, extensionduedate=DUE_DATE + 3600)
    again = evidence.pull_moodle(db_session, course, client)

    assert again.updated == 1 and not whole_evidence(db_session, setup.course_id, "11")["301"].late


def test_work_handed_in_after_a_pull_is_no_longer_missing(db_session, fake_moodle, http):
    setup, course = moodle_course(db_session, fake_moodle)
    client = moodle_client(fake_moodle, http)
    evidence.pull_moodle(db_session, course, client)

    fake_moodle.courses[7].submissions[1].append(submission(602, 302, "submitted", EXTENSION_DATE + 60, graded=False))
    evidence.pull_moodle(db_session, course, client)

    row = whole_evidence(db_session, setup.course_id, "11")["302"]
    # handed in a minute after their extension ran out
    assert (row.missing, row.late, row.workflow_state) == (False, True, "submitted")
    assert row.submitted_at == datetime.fromtimestamp(EXTENSION_DATE + 60, UTC)


def test_a_service_without_the_assignment_functions_pulls_grades_and_says_what_is_missing(db_session, fake_moodle,
                                                                                         http):
    setup, course = moodle_course(db_session, fake_moodle)
    fake_moodle.functions = {f.value for f in MoodleFunction} - {
        MoodleFunction.ASSIGNMENTS.value, MoodleFunction.ASSIGNMENT_SUBMISSIONS.value,
        MoodleFunction.ASSIGNMENT_USER_FLAGS.value}

    counts = evidence.pull_moodle(db_session, course, moodle_client(fake_moodle, http))

    assert counts.added == 9 and counts.missing == 0 and counts.ungraded == 2
    rows = whole_evidence(db_session, setup.course_id, "11")
    assert not any(row.late or row.missing for row in rows.values())
    pull = db_session.scalar(select(EvidencePull).where(EvidencePull.course_id == setup.course_id,
                                                       EvidencePull.source == "moodle"))
    assert pull.status == "ok"
    assert "mod_assign_get_assignments" in pull.message and "external service" in pull.message
    assert pull.counts["notes"] == [pull.message]
    assert counts.describe().startswith("added 9, updated 0, unchanged 0 (1 above the maximum (extra credit); 2 not graded yet). "
                                        "Pulled grades without due dates")


def test_the_cli_pull_and_list_show_moodle_late_and_missing_flags(app, db_session, fake_moodle):
    setup, _ = moodle_course(db_session, fake_moodle)
    runner = app.test_cli_runner()
    saved = runner.invoke(main, ["moodle-ws", "set", "--platform", setup.platform_name, "--token", fake_moodle.token])
    assert saved.exit_code == 0, saved.output

    pulled = runner.invoke(main, ["evidence", "pull", "--platform", setup.platform_name, "--course", "7"])
    assert pulled.exit_code == 0, pulled.output
    assert pulled.output.strip() == "added 9, updated 0, unchanged 0 (1 above the maximum (extra credit); 1 not " \
                                    "graded yet; 1 missing)"

    listed = runner.invoke(main, ["evidence", "list", "--platform", setup.platform_name, "--course", "7"])
    assert listed.exit_code == 0, listed.output
    flags = {(line.split("\t")[0], line.split("\t")[1]): line.split("\t")[6]
             for line in listed.output.splitlines()}
    assert flags[("300", "11")] == ""
    assert flags[("301", "11")] == "late"
    assert flags[("302", "11")] == "missing,ungraded"
    assert flags[("301", "12")] == "ungraded"  # a quiz not taken is not an assignment: never missing


def test_the_cli_pull_prints_the_note_when_the_service_lacks_a_function(app, db_session, fake_moodle):
    setup, _ = moodle_course(db_session, fake_moodle)
    fake_moodle.functions = {f.value for f in MoodleFunction} - {MoodleFunction.ASSIGNMENT_USER_FLAGS.value}
    runner = app.test_cli_runner()
    runner.invoke(main, ["moodle-ws", "set", "--platform", setup.platform_name, "--token", fake_moodle.token])

    pulled = runner.invoke(main, ["evidence", "pull", "--platform", setup.platform_name, "--course", "7"])

    assert pulled.exit_code == 0, pulled.output
    assert "Pulled grades without extensions" in pulled.output and "mod_assign_get_user_flags" in pulled.output
