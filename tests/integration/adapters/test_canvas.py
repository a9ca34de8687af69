"""Contract tests for CanvasClient against the Canvas-shaped server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import StaticAccessToken
from lti_tool.adapters.http import LmsNotFound, LmsUnauthorized, RetrySettings
from tests.fakes.canvas_server import FakeCanvas, build_course
from tests.integration.adapters.conftest import SleepRecorder


@pytest.fixture
def client(fake_canvas: FakeCanvas, session: requests.Session, fast_retry: RetrySettings,
           sleeps: SleepRecorder) -> CanvasClient:
    """A client for a 4-student, 12-assignment course."""
    fake_canvas.add_course(build_course(101, students=4, assignments=12))
    fake_canvas.add_token("teacher-token")
    return CanvasClient(fake_canvas.base_url, StaticAccessToken("teacher-token"), session, retry=fast_retry,
                        sleep=sleeps)


def test_assignments_carry_points_due_date_publication_and_rubric(client: CanvasClient) -> None:
    assignments = client.list_assignments("101")
    assert len(assignments) == 12
    first = assignments[0]
    assert first.lms_id == "700" and first.title.startswith("Ratios practice 1")
    assert first.points_possible == 10.0 and first.due_at == datetime(2025, 9, 1, tzinfo=UTC)
    assert first.published and not assignments[-1].published
    assert [c.lms_id for c in first.rubric] == ["_7001", "_7002"]
    assert first.rubric[0].outcome_lms_id == "9001" and first.rubric[1].outcome_lms_id is None
    assert assignments[1].rubric == ()


def test_course_submissions_arrive_in_one_request_with_rubric_assessments(client: CanvasClient,
                                                                          fake_canvas: FakeCanvas) -> None:
    submissions = client.list_submissions("101", max_scores={"700": 10.0})
    assert fake_canvas.count("/students/submissions") == 1
    query = fake_canvas.requests[-1].query
    assert ("student_ids[]", "all") in query and ("include[]", "rubric_assessment") in query
    assert ("per_page", "100") in query and ("grouped", "true") in query
    assert len(submissions) == 4 * 11  # the unpublished assignment has no submissions
    graded = next(s for s in submissions if s.assignment_lms_id == "700" and s.score is not None)
    assert graded.max_score == 10.0 and graded.workflow_state == "graded"
    assert {c.criterion_lms_id: c.points for c in graded.criterion_scores} == {"_7001": 3.0, "_7002": 5.0}
    assert graded.graded_at is not None and graded.graded_at.tzinfo is not None


def test_flags_for_excused_missing_late_and_extra_credit_are_kept(client: CanvasClient) -> None:
    submissions = client.pull_course("101").submissions
    assert any(s.excused and s.score is None for s in submissions)
    assert any(s.missing and s.score is None and s.workflow_state == "unsubmitted" for s in submissions)
    assert any(s.late for s in submissions)
    assert any(s.score is not None and s.max_score is not None and s.score > s.max_score for s in submissions)


def test_graded_since_asks_canvas_only_for_newer_grades(client: CanvasClient, fake_canvas: FakeCanvas) -> None:
    since = datetime(2025, 9, 10, 12, tzinfo=UTC)
    newer = client.list_submissions("101", graded_since=since)
    assert ("graded_since", "2025-09-10T12:00:00Z") in fake_canvas.requests[-1].query
    assert newer and all(s.graded_at is not None and s.graded_at > since for s in newer)
    assert len(newer) < len(client.list_submissions("101"))


def test_many_students_are_paged_by_link_headers(fake_canvas: FakeCanvas, session: requests.Session) -> None:
    fake_canvas.add_course(build_course(202, students=130, assignments=2))
    fake_canvas.add_token("teacher-token")
    client = CanvasClient(fake_canvas.base_url, StaticAccessToken("teacher-token"), session)
    submissions = client.list_submissions("202")
    assert fake_canvas.count("/courses/202/students/submissions") == 2
    assert len({s.student_lms_id for s in submissions}) == 130


def test_outcome_alignments_come_with_vendor_guids(client: CanvasClient, fake_canvas: FakeCanvas) -> None:
    data = client.pull_course("101")
    links = {(link.assignment_lms_id, link.criterion_lms_id): link for link in data.outcome_links}
    assert set(links) == {("700", "_7001"), ("705", "_7051"), ("710", "_7101")}
    assert links[("700", "_7001")].vendor_guid == "b6f61076-aa12-450b-8f9d-b86bc071f85e"
    assert links[("705", "_7051")].outcome_title == "CCSS.Math.Content.7.RP.A.1"
    assert links[("705", "_7051")].vendor_guid == "40f75f2b-8de6-4ff4-b28c-ac64c658777a"
    assert ("outcome_style", "full") in next(r.query for r in fake_canvas.requests if "outcome_group_links" in r.path)
    # 9002 is aligned in a rubric but not linked to the course: read once from /outcomes/:id.
    assert fake_canvas.count("/api/v1/outcomes/9002") == 1


def test_a_whole_pull_takes_the_minimum_number_of_requests(client: CanvasClient, fake_canvas: FakeCanvas) -> None:
    data = client.pull_course("101")
    assert len(data.assignments) == 12 and data.fetched_at.tzinfo is not None
    # assignments + submissions + course outcome links + one outcome not linked to the course
    assert client.request_count == fake_canvas.count() == 4


def test_a_course_without_aligned_rubrics_costs_no_outcome_requests(fake_canvas: FakeCanvas,
                                                                     session: requests.Session) -> None:
    course = build_course(303, students=2, assignments=3)
    for assignment in course.assignments:
        assignment["rubric"] = None
    fake_canvas.add_course(course)
    fake_canvas.add_token("teacher-token")
    client = CanvasClient(fake_canvas.base_url, StaticAccessToken("teacher-token"), session)
    data = client.pull_course("303")
    assert data.outcome_links == () and client.request_count == 2


def test_a_revoked_static_token_asks_for_reconnection(client: CanvasClient, fake_canvas: FakeCanvas) -> None:
    fake_canvas.tokens.clear()
    with pytest.raises(LmsUnauthorized, match="reconnect"):
        client.list_assignments("101")


def test_an_unknown_course_is_reported_as_not_found(client: CanvasClient) -> None:
    with pytest.raises(LmsNotFound, match="does not exist"):
        client.list_assignments("999")


def test_throttling_during_a_pull_is_absorbed_by_retries(client: CanvasClient, fake_canvas: FakeCanvas,
                                                         sleeps: SleepRecorder) -> None:
    fake_canvas.fail_next("throttle_403", times=2, path_contains="/students/submissions")
    fake_canvas.fail_next("status_503", path_contains="/assignments")
    data = client.pull_course("101")
    assert len(data.submissions) == 44 and len(sleeps.pauses) == 3


def test_one_submission_can_be_read_for_a_spot_check(client: CanvasClient) -> None:
    submission = client.get_submission("101", "700", "5001")
    assert submission.student_lms_id == "5001" and submission.assignment_lms_id == "700"
