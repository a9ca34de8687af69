"""Contract tests for MoodleClient against the Moodle-shaped web-service server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from lti_tool.adapters.http import (
    LmsError,
    LmsNotFound,
    LmsPermissionDenied,
    LmsUnauthorized,
    LmsUnavailable,
    RetrySettings,
)
from lti_tool.adapters.moodle import MoodleClient, MoodleFunction, flatten_params
from tests.fakes.moodle_server import (
    DUE_DATE,
    EXTENSION_DATE,
    FakeMoodle,
    assign_activity,
    build_course,
    submission,
)
from tests.integration.adapters.conftest import SleepRecorder

#: Long after every sample due date, so unsubmitted work is past due.
LATER = datetime(2026, 1, 1, tzinfo=UTC)


def called_functions(server: FakeMoodle) -> list[str]:
    """The web-service functions the client called, in order."""
    return [dict(request.form)["wsfunction"] for request in server.requests]


def later_client(server: FakeMoodle, session: requests.Session, retry: RetrySettings,
                 sleeps: SleepRecorder) -> MoodleClient:
    """A client whose clock reads LATER."""
    return MoodleClient(server.base_url, server.token, session, retry=retry, sleep=sleeps, clock=lambda: LATER)


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
    # grade report + three assignment functions + course competencies + one call per activity
    assert called_functions(fake_moodle) == [
        "gradereport_user_get_grade_items", "mod_assign_get_assignments", "mod_assign_get_submissions",
        "mod_assign_get_user_flags", "core_competency_list_course_competencies",
        "core_competency_list_course_module_competencies", "core_competency_list_course_module_competencies"]


def test_a_site_without_competencies_still_pulls_grades(client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    fake_moodle.competencies_enabled = False
    data = client.pull_course("7")
    assert data.outcome_links == () and len(data.submissions) == 9


def test_a_course_without_competencies_costs_one_extra_call_only(client: MoodleClient,
                                                                 fake_moodle: FakeMoodle) -> None:
    fake_moodle.courses[7].competencies = []
    data = client.pull_course("7")
    assert data.outcomes == ()
    assert called_functions(fake_moodle).count("core_competency_list_course_competencies") == 1
    assert "core_competency_list_course_module_competencies" not in called_functions(fake_moodle)


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


# ---------------------------------------------------------------------------
# Assignment activities: due dates, submissions, extensions
# ---------------------------------------------------------------------------


def test_assignment_activities_are_read_for_the_course_even_when_the_service_user_is_not_enrolled(
        client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    activities, notes = client.list_assign_activities("7")
    form = dict(fake_moodle.requests[-1].form)
    assert form["wsfunction"] == "mod_assign_get_assignments"
    assert form["courseids[0]"] == "7" and form["includenotenrolledcourses"] == "1"
    assert notes == []
    [activity] = activities
    assert (activity.assign_id, activity.module_id) == ("1", "51")
    assert activity.due_at == datetime.fromtimestamp(DUE_DATE, UTC) and activity.cutoff_at is None
    assert activity.takes_submissions and not activity.team_submission
    assert activity.description == "<p>Ratio tables (6.RP.A.3)</p>"


def test_moodles_course_warnings_become_notes(client: MoodleClient) -> None:
    activities, notes = client.list_assign_activities("999")
    assert activities == []
    assert notes == [("Moodle did not share the course's assignments (course 999): No access rights in course "
                     "context Can't find data record in database table course.")]


def test_submissions_and_extensions_of_all_assignments_come_from_one_call_each(client: MoodleClient,
                                                                              fake_moodle: FakeMoodle) -> None:
    course = fake_moodle.courses[7]
    course.assignments.append(assign_activity(2, 53, 7, "Unit rates poster", duedate=DUE_DATE))
    course.submissions[2] = [submission(650, 300, "draft", DUE_DATE - 50, graded=False)]
    listed, submissions, notes = client.list_assign_submissions(["1", "2", "99"])
    form = dict(fake_moodle.requests[-1].form)
    assert (form["assignmentids[0]"], form["assignmentids[1]"]) == ("1", "2")
    assert notes == [] and listed == {"1", "2"}  # Moodle ignores an id that is no assignment
    by_key = {(s.assign_id, s.student_id): s for s in submissions}
    assert len(by_key) == 4
    assert by_key[("1", "301")].submitted and by_key[("1", "301")].modified_at == datetime.fromtimestamp(
        DUE_DATE + 1, UTC)
    assert by_key[("2", "300")].status == "draft" and not by_key[("2", "300")].submitted

    extensions, notes = client.list_assign_extensions(["1", "2"])
    assert extensions == {("1", "302"): datetime.fromtimestamp(EXTENSION_DATE, UTC)}
    assert notes == []  # "No user flags found" for assignment 2 is not a problem
    assert fake_moodle.count() == 2


def test_a_pull_gives_assignment_items_their_due_date_and_grades_their_late_flag(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings,
        sleeps: SleepRecorder) -> None:
    fake_moodle.add_course(build_course(7, students=3))
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    items = {a.lms_id: a for a in data.assignments}
    assert items["11"].due_at == datetime.fromtimestamp(DUE_DATE, UTC)
    assert items["12"].due_at is None and items["13"].due_at is None  # a quiz and a manual item
    flags = {(s.student_lms_id, s.assignment_lms_id): (s.late, s.missing) for s in data.submissions}
    assert flags[("300", "11")] == (False, False)  # handed in exactly at the due date
    assert flags[("301", "11")] == (True, False)  # one second after it
    assert flags[("302", "11")] == (False, False)  # after it, but within the extension
    assert data.notes == ()


def test_work_not_handed_in_after_the_due_date_is_missing_unless_graded(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings,
        sleeps: SleepRecorder) -> None:
    course = fake_moodle.add_course(build_course(7, students=3))
    del course.grades[(301, 11)]  # no grade, a draft never handed in
    course.submissions[1][1] = submission(601, 301, "draft", DUE_DATE - 100, graded=False)
    del course.grades[(302, 11)]  # no grade, no submission record at all
    course.submissions[1].pop(2)
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    by_student = {s.student_lms_id: s for s in data.submissions if s.assignment_lms_id == "11"}
    assert by_student["301"].missing and not by_student["301"].late
    assert by_student["301"].workflow_state == "unsubmitted" and by_student["301"].submitted_at is None
    assert by_student["302"].missing
    assert not by_student["300"].missing  # graded


def test_nothing_is_missing_before_the_due_date_or_on_an_activity_without_submissions(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    course = fake_moodle.add_course(build_course(7, students=2))
    del course.grades[(301, 11)]
    course.submissions[1].pop(1)
    early = MoodleClient(fake_moodle.base_url, fake_moodle.token, session, retry=fast_retry, sleep=sleeps,
                         clock=lambda: datetime.fromtimestamp(DUE_DATE - 1, UTC))
    assert not any(s.missing for s in early.pull_course("7").submissions)
    course.assignments[0]["nosubmissions"] = 1  # an offline activity: grades only, nothing to hand in
    assert not any(s.missing for s in later_client(fake_moodle, session, fast_retry, sleeps)
                   .pull_course("7").submissions)


def test_team_submission_activities_get_their_due_date_but_no_per_student_flags(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    course = fake_moodle.add_course(build_course(7, students=2))
    course.assignments[0]["teamsubmission"] = 1
    course.submissions[1] = [submission(610, 0, "submitted", DUE_DATE + 99) | {"groupid": 4}]
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    assert {a.lms_id: a.due_at for a in data.assignments}["11"] == datetime.fromtimestamp(DUE_DATE, UTC)
    assert not any(s.late or s.missing for s in data.submissions)


def test_a_grade_moodle_reports_as_excluded_is_excused(client: MoodleClient, fake_moodle: FakeMoodle) -> None:
    original = fake_moodle._fn_gradereport_user_get_grade_items

    def with_excluded(params: object) -> dict[str, object]:
        body = original(params)
        body["usergrades"][0]["gradeitems"][1]["status"] = "excluded"
        body["usergrades"][1]["gradeitems"][1]["status"] = "dropped"  # drop-lowest reads the same: not excused
        return body

    fake_moodle._fn_gradereport_user_get_grade_items = with_excluded  # type: ignore[method-assign]
    _, grades = client.gradebook("7")
    excused = {(s.student_lms_id, s.assignment_lms_id) for s in grades if s.excused}
    assert excused == {("300", "12")}


def test_a_service_without_the_assignment_functions_still_pulls_grades_with_a_note(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    fake_moodle.add_course(build_course(7, students=3))
    fake_moodle.functions = {"gradereport_user_get_grade_items", "core_competency_list_course_competencies",
                             "core_competency_list_course_module_competencies"}
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    assert len(data.submissions) == 9 and not any(s.late or s.missing for s in data.submissions)
    assert {a.lms_id: a.due_at for a in data.assignments}["11"] is None
    [note] = data.notes
    assert "mod_assign_get_assignments" in note and "Access control exception" in note
    assert "mod_assign_get_submissions" not in called_functions(fake_moodle)  # nothing to ask without activities


def test_without_submissions_access_due_dates_still_come_but_no_flag_is_guessed(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    course = fake_moodle.add_course(build_course(7, students=3))
    del course.grades[(302, 11)]
    fake_moodle.functions = {f.value for f in MoodleFunction} - {"mod_assign_get_submissions"}
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    assert {a.lms_id: a.due_at for a in data.assignments}["11"] == datetime.fromtimestamp(DUE_DATE, UTC)
    assert not any(s.late or s.missing for s in data.submissions)
    assert len(data.notes) == 1 and "mod_assign_get_submissions" in data.notes[0]
    assert "mod_assign_get_user_flags" not in called_functions(fake_moodle)


def test_without_the_user_flags_function_lateness_uses_the_assignments_due_date(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    fake_moodle.add_course(build_course(7, students=3))
    fake_moodle.functions = {f.value for f in MoodleFunction} - {"mod_assign_get_user_flags"}
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    late = {s.student_lms_id for s in data.submissions if s.late}
    assert late == {"301", "302"}  # the extension of 302 is unknown
    assert len(data.notes) == 1 and "extensions" in data.notes[0]


def test_a_role_without_grading_rights_on_assignments_is_noted(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    course = fake_moodle.add_course(build_course(7, students=3))
    del course.grades[(302, 11)]
    fake_moodle.can_grade_assignments = False
    data = later_client(fake_moodle, session, fast_retry, sleeps).pull_course("7")
    assert not any(s.late or s.missing for s in data.submissions)
    assert data.notes == (
        "Moodle did not share the submissions (assignment 1): No access rights in module context",
        "Moodle did not share the extensions (assignment 1): No access rights in module context")


def test_an_outage_during_the_assignment_calls_still_fails_the_pull(
        fake_moodle: FakeMoodle, session: requests.Session, fast_retry: RetrySettings, sleeps: SleepRecorder) -> None:
    fake_moodle.add_course(build_course(7, students=3))
    client = later_client(fake_moodle, session, fast_retry, sleeps)
    client.gradebook("7")
    fake_moodle.fail_next("status_503", times=fast_retry.max_attempts)
    with pytest.raises(LmsUnavailable):
        client.assign_details("7", ["51"])
