"""Pulling evidence from the fake Canvas and Moodle: stored with provenance, idempotent, resumable, flagged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import StaticAccessToken
from lti_tool.adapters.http import LmsUnavailable
from lti_tool.adapters.moodle import MoodleClient
from lti_tool.services import evidence
from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    EvidencePull,
    EvidenceRecord,
    MasteryResultRecord,
)
from tests.fakes.canvas_server import FakeCanvas, build_course
from tests.fakes.moodle_server import build_course as build_moodle_course

from .builders import make_course
from .conftest import FAST_RETRY, no_sleep

STUDENTS = [str(5000 + n) for n in range(40)]


def canvas_client(server: FakeCanvas, http) -> CanvasClient:  # type: ignore[no-untyped-def]
    server.add_token("teacher-token")
    return CanvasClient(server.base_url, StaticAccessToken("teacher-token"), http, retry=FAST_RETRY, sleep=no_sleep)


def evidence_total(db_session, course_id: int) -> int:  # type: ignore[no-untyped-def]
    return db_session.scalar(select(func.count(EvidenceRecord.id)).where(EvidenceRecord.course_id == course_id))


def test_a_canvas_pull_stores_assignments_and_every_submission_with_provenance(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS)
    data = fake_canvas.add_course(build_course(101, students=40, assignments=12))
    course = db_session.get(Course, setup.course_id)

    counts = evidence.pull_canvas(db_session, course, canvas_client(fake_canvas, http))

    assignments = db_session.scalars(select(Assignment).where(Assignment.course_id == setup.course_id)).all()
    assert len(assignments) == 12
    whole = db_session.scalars(select(EvidenceRecord).where(EvidenceRecord.course_id == setup.course_id,
                                                            EvidenceRecord.rubric_criterion == "")).all()
    assert len(whole) == len(data.submissions)
    sample = whole[0]
    assert sample.source == "canvas" and sample.lms_ref["user_id"] in STUDENTS and sample.fetched_at is not None
    assert counts.added == evidence_total(db_session, setup.course_id)
    assert counts.updated == 0 and counts.unchanged == 0
    assert not counts.unmatched_students


def test_rubric_criteria_become_their_own_evidence_with_the_criterion_maximum(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS)
    fake_canvas.add_course(build_course(101, students=40, assignments=6))
    evidence.pull_canvas(db_session, db_session.get(Course, setup.course_id), canvas_client(fake_canvas, http))

    criterion_rows = db_session.scalars(select(EvidenceRecord).where(
        EvidenceRecord.course_id == setup.course_id, EvidenceRecord.rubric_criterion == "_7001")).all()
    assert criterion_rows
    assert {(row.score, row.max_score) for row in criterion_rows} == {(3.0, 4.0)}
    rubric = db_session.scalar(select(Assignment).where(Assignment.course_id == setup.course_id,
                                                        Assignment.lms_id == "705")).rubric
    assert rubric[0]["vendor_guid"] == "40f75f2b-8de6-4ff4-b28c-ac64c658777a"


def test_a_second_identical_pull_changes_nothing(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS)
    fake_canvas.add_course(build_course(101, students=40, assignments=10))
    course = db_session.get(Course, setup.course_id)
    client = canvas_client(fake_canvas, http)
    first = evidence.pull_canvas(db_session, course, client, full=True)
    before = {row.id: (row.score, row.changed_at) for row in db_session.scalars(
        select(EvidenceRecord).where(EvidenceRecord.course_id == setup.course_id))}

    second = evidence.pull_canvas(db_session, course, client, full=True)

    after = {row.id: (row.score, row.changed_at) for row in db_session.scalars(
        select(EvidenceRecord).where(EvidenceRecord.course_id == setup.course_id))}
    assert (second.added, second.updated, second.unchanged) == (0, 0, first.added)
    assert second.assignments_added == 0 and second.assignments_updated == 0
    assert after == before


def test_an_incremental_pull_asks_canvas_only_for_grades_since_the_last_pull(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS)
    data = fake_canvas.add_course(build_course(101, students=40, assignments=5))
    course = db_session.get(Course, setup.course_id)
    client = canvas_client(fake_canvas, http)
    evidence.pull_canvas(db_session, course, client)
    fake_canvas.reset_log()
    changed = next(s for s in data.submissions if s["score"] is not None and s["user_id"] == 5003
                   and s["assignment_id"] != 700)  # 700 has a rubric, whose rows would change too
    changed["score"] = 1.0
    changed["graded_at"] = "2099-01-01T00:00:00Z"

    counts = evidence.pull_canvas(db_session, course, client)

    query = dict(next(r for r in fake_canvas.requests if r.path.endswith("/students/submissions")).query)
    assert "graded_since" in query
    assert (counts.added, counts.updated) == (0, 1)
    row = db_session.scalar(select(EvidenceRecord).where(
        EvidenceRecord.course_id == setup.course_id, EvidenceRecord.person_id == setup.students["5003"],
        EvidenceRecord.rubric_criterion == "",
        EvidenceRecord.assignment_id == select(Assignment.id).where(
            Assignment.course_id == setup.course_id, Assignment.lms_id == str(changed["assignment_id"]))
        .scalar_subquery()))
    assert row.score == 1.0


class FailingSecondPage(FakeCanvas):
    """Canvas that fails every request for the second submissions page while `broken` is set."""

    broken = True

    def _student_submissions(self, request: Request, course: Any) -> Response:
        if self.broken and request.args.get("page"):
            return Response("<html>Service Unavailable</html>", status=503, content_type="text/html")
        return super()._student_submissions(request, course)


def test_a_pull_that_fails_half_way_keeps_whole_pages_and_the_next_pull_resumes(db_session, http):
    students = [str(5000 + n) for n in range(150)]  # two pages of 100 students
    setup = make_course(db_session, student_ids=students)
    server = FailingSecondPage().start()
    try:
        data = server.add_course(build_course(101, students=150, assignments=3))
        course = db_session.get(Course, setup.course_id)
        client = canvas_client(server, http)
        with pytest.raises(LmsUnavailable):
            evidence.pull_canvas(db_session, course, client)

        stored_people = set(db_session.scalars(select(EvidenceRecord.person_id).where(
            EvidenceRecord.course_id == setup.course_id)))
        assert stored_people == {setup.students[s] for s in students[:100]}  # the first page, whole
        pull = db_session.scalar(select(EvidencePull).where(EvidencePull.course_id == setup.course_id))
        assert pull.status == "failed" and pull.complete_since is None

        server.broken = False
        resumed = evidence.pull_canvas(db_session, course, client)
        assert resumed.unchanged > 0 and resumed.added > 0
        whole = db_session.scalar(select(func.count(EvidenceRecord.id)).where(
            EvidenceRecord.course_id == setup.course_id, EvidenceRecord.rubric_criterion == ""))
        assert whole == len(data.submissions)
        assert db_session.get(EvidencePull, pull.id).status == "ok"
    finally:
        server.stop()


def test_extra_credit_missing_excused_and_ungraded_are_kept_and_counted(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS)
    fake_canvas.add_course(build_course(101, students=40, assignments=8))
    counts = evidence.pull_canvas(db_session, db_session.get(Course, setup.course_id),
                                  canvas_client(fake_canvas, http))
    assert counts.extra_credit > 0 and counts.excused > 0 and counts.missing > 0

    rows = evidence.list_evidence(db_session, setup.course_id)
    flags = {flag for row in rows for flag in row.flags}
    assert {"extra_credit", "excused", "missing", "late"} <= flags
    extra = next(row for row in rows if "extra_credit" in row.flags)
    assert extra.score == 12.0 and extra.max_score == 10.0


def test_students_not_on_the_roster_are_reported_not_dropped_silently(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS[:39])
    fake_canvas.add_course(build_course(101, students=40, assignments=2))
    counts = evidence.pull_canvas(db_session, db_session.get(Course, setup.course_id),
                                  canvas_client(fake_canvas, http))
    assert counts.unmatched_students == {"5039"}
    assert "from students not on the roster" in counts.describe()


def test_new_evidence_recalculates_the_students_it_touches(db_session, fake_canvas, http):
    setup = make_course(db_session, student_ids=STUDENTS[:3])
    data = fake_canvas.add_course(build_course(101, students=3, assignments=3))
    course = db_session.get(Course, setup.course_id)
    client = canvas_client(fake_canvas, http)
    evidence.pull_canvas(db_session, course, client)
    assignment = db_session.scalar(select(Assignment).where(Assignment.course_id == course.id,
                                                            Assignment.lms_id == "701"))
    db_session.add(Alignment(assignment_id=assignment.id, standard_id=setup.standards["CCSS.Math.Content.6.RP.A.2"]))
    db_session.commit()
    regraded = next(s for s in data.submissions if s["user_id"] == 5000 and s["assignment_id"] == 701)
    regraded.update(score=9.0, excused=False, graded_at="2099-01-01T00:00:00Z")

    counts = evidence.pull_canvas(db_session, course, client)

    assert counts.updated == 1 and counts.recalculated == {setup.students["5000"]}
    result = db_session.scalar(select(MasteryResultRecord).where(
        MasteryResultRecord.course_id == course.id, MasteryResultRecord.person_id == setup.students["5000"]))
    assert result is not None and result.evidence_count >= 1


def test_a_moodle_pull_stores_grade_items_and_grades_without_totals(db_session, fake_moodle, http):
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=["300", "301", "302"])
    fake_moodle.add_course(build_moodle_course(7, students=3))
    client = MoodleClient(fake_moodle.base_url, fake_moodle.token, http, retry=FAST_RETRY, sleep=no_sleep)
    course = db_session.get(Course, setup.course_id)

    counts = evidence.pull_moodle(db_session, course, client)

    titles = set(db_session.scalars(select(Assignment.title).where(Assignment.course_id == course.id)))
    assert titles == {"Ratio tables (6.RP.A.3)", "Unit rates quiz", "Participation"}
    assert counts.added == 9 and counts.ungraded == 1 and counts.extra_credit == 1  # 6 of 5 on participation
    again = evidence.pull_moodle(db_session, course, client)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 9)
    quiz = db_session.scalar(select(Assignment).where(Assignment.course_id == course.id, Assignment.lms_id == "12"))
    assert {link["vendor_guid"] for link in quiz.extra["outcome_links"]} == {"CCSS.Math.Content.6.RP.A.3",
                                                                             "CCSS.Math.Content.7.RP.A.2"}
