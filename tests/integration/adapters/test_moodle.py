"""Contract tests for MoodleClient against the Moodle-shaped web-service server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from lti_tool.adapters.http import LmsError, LmsNotFound, LmsPermissionDenied, LmsUnauthorized, RetrySettings
from lti_tool.adapters.moodle import MoodleClient, MoodleFunction, flatten_params
from tests.fakes.moodle_server import FakeMoodle, build_course
from tests.integration.adapters.conftest import SleepRecorder


@pytest.fixture
def client(fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings,
           sleeps: SleepRecorder) -> MoodleClient:
    """A client for a three-student course."""
    fake_moodle.add_course(build_course(7, students=3))
    return MoodleClient(fake_moodle.base_url, fake_moodle.token, session, retry=fast_retry, sleep=sleeps)


def test_calls_post_the_token_and_function_in_the_body_never_the_url(client: MoodleClient,
                                                                     fake_moodle: FakeMoodle) -> None:
    client.site_info()
    request = fake_moodle.requests[-1]
    assert request.method == "POST" and request.path == "/webservice/rest/server.php"
    assert request.query == []
    assert dict(request.form)["wstoken"] == fake_moodle.token
    assert dict(request.form)["wsfunction"] == "core_webservice_get_site_info"
    assert dict(request.form)["moodlewsrestformat"] == "json"


def test_the_gradebook_comes_from_one_call_for_all_users(client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    assignments, submissions = client.gradebook("7")
    assert fake_moodle.count() == 1
    form = dict(fake_moodle.requests[-1].form)
    assert form["wsfunction"] == MoodleFunction.USER_GRADE_ITEMS and form["userid"] == "0" and form["courseid"] == "7"
    assert [(a.lms_id, a.title, a.points_possible, a.module_lms_id, a.kind) for a in assignments] == [
        ("11", "Ratio tables (6.RP.A.3)", 20.0, "51", "assign"),
        ("12", "Unit rates quiz", 10.0, "52", "quiz"),
        ("13", "Participation", 5.0, None, "manual"),
    ]  # the course total is not evidence
    assert len(submissions) == 9


def test_grades_keep_timestamps_maxima_and_ungraded_items(client: MoodleClient) -> None:
    _, submissions = client.gradebook("7")
    by_key = {(s.student_lms_id, s.assignment_lms_id): s for s in submissions}
    first = by_key[("300", "11")]
    assert first.score == 15.0 and first.max_score == 20.0 and first.workflow_state == "graded"
    assert first.submitted_at == datetime.fromtimestamp(1757000000, UTC)
    assert first.graded_at == datetime.fromtimestamp(1757100000, UTC)
    not_taken = by_key[("301", "12")]
    assert not_taken.score is None and not_taken.workflow_state == "unsubmitted" and not_taken.graded_at is None
    extra_credit = by_key[("300", "13")]
    assert extra_credit.score == 6.0 and extra_credit.max_score == 5.0 and extra_credit.submitted_at is None


def test_competency_links_map_grade_items_to_competency_id_numbers(client: MoodleClient,
                                                                   fake_moodle: FakeMoodle) -> None:
    data = client.pull_course("7")
    assert {o.vendor_guid for o in data.outcomes} == {"CCSS.Math.Content.6.RP.A.3", "CCSS.Math.Content.7.RP.A.2"}
    pairs = {(link.assignment_lms_id, link.vendor_guid) for link in data.outcome_links}
    assert pairs == {("11", "CCSS.Math.Content.6.RP.A.3"), ("12", "CCSS.Math.Content.6.RP.A.3"),
                     ("12", "CCSS.Math.Content.7.RP.A.2")}
    # grade report + course competencies + one call per activity
    assert fake_moodle.count() == 4


def test_a_site_without_competencies_still_pulls_grades(client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    fake_moodle.competencies_enabled = False
    data = client.pull_course("7")
    assert data.outcome_links == () and len(data.submissions) == 9


def test_a_course_without_competencies_costs_one_extra_call_only(client: MoodleClient,
                                                                 fake_moodle: FakeMoodle) -> None:
    fake_moodle.courses[7].competencies = []
    data = client.pull_course("7")
    assert data.outcomes == () and fake_moodle.count() == 2


def test_students_are_the_enrolled_users_with_the_student_role(client: MoodleClient) -> None:
    students = client.list_students("7")
    assert [(s.lms_id, s.email) for s in students] == [("300", "s1@school.example"), ("301", "s2@school.example"),
                                                       ("302", "s3@school.example")]


def test_an_invalid_token_answered_with_http_200_means_reconnect(fake_moodle: FakeMoodle,
                                                                 session: requests.Session) -> None:
    client = MoodleClient(fake_moodle.base_url, "wrong-token", session)
    with pytest.raises(LmsUnauthorized, match="new one") as error:
        client.site_info()
    assert error.value.code == "invalidtoken" and "wrong-token" not in str(error.value)


def test_a_function_missing_from_the_service_is_a_permission_problem(fake_moodle: FakeMoodle,
                                                                     session: requests.Session) -> None:
    fake_moodle.functions = {MoodleFunction.SITE_INFO.value}
    client = MoodleClient(fake_moodle.base_url, fake_moodle.token, session)
    with pytest.raises(LmsPermissionDenied, match="Access control exception"):
        client.gradebook("7")


def test_an_unknown_course_is_reported_in_moodles_words(client: MoodleClient) -> None:
    with pytest.raises(LmsNotFound, match="Can't find data record"):
        client.gradebook("999")


def test_other_moodle_exceptions_become_plain_lms_errors(client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    fake_moodle.competencies_enabled = False
    with pytest.raises(LmsError, match="Competencies are not enabled"):
        client.list_course_competencies("7")


def test_server_errors_and_timeouts_are_retried(client: MoodleClient, fake_moodle: FakeMoodle,
                                                sleeps: SleepRecorder) -> None:
    fake_moodle.fail_next("status_503", times=2)
    assert client.site_info()["sitename"] == "Fake Moodle"
    assert len(sleeps.pauses) == 2


def test_nested_parameters_use_moodles_bracket_encoding() -> None:
    assert flatten_params({"courseids": [2, 3], "options": [{"name": "onlyactive", "value": True}]}) == [
        ("courseids[0]", "2"), ("courseids[1]", "3"), ("options[0][name]", "onlyactive"), ("options[0][value]", "1")]


def test_every_function_name_is_a_moodle_web_service_function() -> None:
    assert all(f.value.count("_") >= 2 and f.value == f.value.lower() for f in MoodleFunction)
    assert "gradereport_user_get_grade_items" in {f.value for f in MoodleFunction}
