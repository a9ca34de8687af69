""""Pull scores now" queues a background pull, at most one per course, and the setup page shows where it stands:
queued, running, finished with its counts, or failed with the reason (and, for Canvas, how to reconnect)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from lti_tool.adapters.canvas_oauth import CanvasToken
from lti_tool.jobs import queue
from lti_tool.services import lms_credentials, pull_status
from lti_tool.storage.models import EvidencePull, EvidenceRecord, Platform
from tests.fakes.canvas_server import build_course as build_canvas_course
from tests.fakes.moodle_server import build_course as build_moodle_course
from tests.support.queues import run_queued_jobs
from tests.support.services import free_port

from .builders import IntakeSetup, make_course
from .web_support import store_canvas_key, token_for

MOODLE_STUDENTS = ["300", "301", "302"]


@pytest.fixture()
def box(app):
    return lms_credentials.SecretBox(app.extensions["sbg"].settings.secret_key)


@pytest.fixture()
def moodle_course(db_session, box, fake_moodle) -> IntakeSetup:
    """A Moodle course of three students whose platform has the fake Moodle's web-service token."""
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=MOODLE_STUDENTS,
                        issuer=fake_moodle.base_url)
    fake_moodle.add_course(build_moodle_course(7, students=3))
    platform = db_session.get(Platform, setup.platform_id)
    lms_credentials.set_moodle_ws_token(db_session, box, platform, token=fake_moodle.token, actor="test")
    db_session.commit()
    return setup


def status_json(client, token: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/teacher/setup/api/pull-status", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()  # type: ignore[no-any-return]


def status_region(page: str) -> str:
    """The text of the page's pull status region (role=status, polite live region)."""
    match = re.search(r'<div id="pull-status"[^>]*role="status" aria-live="polite"[^>]*>(.*?)</div>', page, re.DOTALL)
    assert match, "no pull status region"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip())


def notice_of(response) -> str:  # type: ignore[no-untyped-def]
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return (query.get("notice") or query.get("error") or [""])[0]


def test_with_an_inline_queue_the_click_ends_on_the_finished_pull_with_its_counts(app, client, db_session,
                                                                                  moodle_course):
    token = token_for(app, moodle_course)

    pulled = client.post("/teacher/setup/pull", data={"t": token})

    assert pulled.status_code == 303 and pulled.headers["Location"].endswith("#pull-status")
    assert notice_of(pulled) == ("Scores pulled: 9 added, 0 updated, 0 unchanged; 2 flagged for a look (extra credit, "
                                 "missing, ungraded, not on the roster).")
    region = status_region(client.get(pulled.headers["Location"]).get_data(as_text=True))
    assert "The last pull from Moodle finished at" in region and "9 added, 0 updated, 0 unchanged" in region
    assert "Refresh" not in region
    state = status_json(client, token)
    assert state["status"] == "ok" and state["active"] is False and state["counts"]["added"] == 9
    assert state["flagged"] == 2
    assert state["text"] == region


def test_on_a_real_queue_the_page_shows_queued_then_the_finished_pull(app, client, db_session, moodle_course,
                                                                      sqlite_queue):
    token = token_for(app, moodle_course)

    pulled = client.post("/teacher/setup/pull", data={"t": token})

    assert "queued" in notice_of(pulled)
    page = client.get(pulled.headers["Location"]).get_data(as_text=True)
    assert 'data-active="true"' in page and 'src="/static/setup.js"' in page
    assert status_region(page).startswith("A pull of this course's scores from Moodle is queued")
    assert "Refresh" in status_region(page)
    assert status_json(client, token)["status"] == "queued"
    assert db_session.scalar(select(func.count(EvidenceRecord.id)).where(
        EvidenceRecord.course_id == moodle_course.course_id)) == 0

    assert run_queued_jobs(app) == 1

    state = status_json(client, token)
    assert state["status"] == "ok" and state["counts"] == {
        "added": 9, "updated": 0, "unchanged": 0, "extra_credit": 1, "no_maximum": 0, "ungraded": 1,
        "excused": 0, "missing": 0}
    page = client.get(f"/teacher/setup/?t={token}").get_data(as_text=True)
    assert 'data-active="false"' in page and "9 added" in status_region(page)


def test_a_second_click_while_a_pull_waits_queues_nothing_more(app, client, db_session, moodle_course,
                                                               sqlite_queue):
    token = token_for(app, moodle_course)
    client.post("/teacher/setup/pull", data={"t": token})

    again = client.post("/teacher/setup/pull", data={"t": token})

    assert "already queued or running, so no second one was started" in notice_of(again)
    assert queue.huey.pending_count() == 1
    assert run_queued_jobs(app) == 1
    assert status_json(client, token)["status"] == "ok"


def test_a_pull_left_queued_by_a_dead_worker_can_be_queued_again_after_an_hour(db_session, moodle_course):
    course_id = moodle_course.course_id
    assert pull_status.mark_pull_queued(db_session, course_id, "moodle")
    assert not pull_status.mark_pull_queued(db_session, course_id, "moodle")
    later = datetime.now(UTC) + pull_status.STALE_AFTER + timedelta(minutes=1)

    assert pull_status.mark_pull_queued(db_session, course_id, "moodle", now=later)
    db_session.commit()


def test_a_pull_refused_before_it_starts_is_reported_failed_not_left_queued(app, client, db_session):
    setup = make_course(db_session, product="moodle", lms_course_id="7")  # no web-service token entered
    token = token_for(app, setup)

    refused = client.post("/teacher/setup/pull", data={"t": token})

    assert "has not entered the Moodle web-service token" in notice_of(refused)
    state = status_json(client, token)
    assert state["status"] == "failed" and state["active"] is False and state["reconnect"] is False
    region = status_region(client.get(f"/teacher/setup/?t={token}").get_data(as_text=True))
    assert "The last pull from Moodle failed at" in region and "web-service token" in region


def test_an_unreachable_queue_is_reported_and_leaves_nothing_queued(app, client, db_session, moodle_course):
    token = token_for(app, moodle_course)
    queue.reconfigure("redis", redis_url=f"redis://127.0.0.1:{free_port()}/0", secret="s" * 32)
    try:
        refused = client.post("/teacher/setup/pull", data={"t": token})
    finally:
        queue.reconfigure("immediate")

    assert "background queue is not reachable" in notice_of(refused)
    assert status_json(client, token)["status"] == "failed"
    assert client.post("/teacher/setup/pull", data={"t": token}).status_code == 303  # can be tried again
    assert status_json(client, token)["status"] == "ok"


def test_a_revoked_canvas_grant_fails_the_pull_with_the_reconnect_hint(app, client, db_session, box, fake_canvas):
    setup = make_course(db_session, student_ids=["5000", "5001"])
    fake_canvas.add_course(build_canvas_course(101, students=2, assignments=2))
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    issued = fake_canvas.add_token("access-1", refresh_token="refresh-1", lifetime=3600)
    lms_credentials.save_grant(db_session, box, platform_id=setup.platform_id, person_id=setup.teacher_id,
                               api_url=fake_canvas.base_url, district_id=setup.district_id, actor="test",
                               token=CanvasToken(issued.access_token, "refresh-1",
                                                 datetime.now(UTC) + timedelta(hours=1), "42", "Grace Hopper"))
    db_session.commit()
    token = token_for(app, setup)
    client.post("/teacher/setup/pull", data={"t": token})
    fake_canvas.revoked.append("refresh-1")  # a Canvas admin deleted the tool's access
    fake_canvas.tokens.clear()

    refused = client.post("/teacher/setup/pull", data={"t": token})

    assert notice_of(refused).endswith("Connect to Canvas again; nothing already pulled is lost.")
    state = status_json(client, token)
    assert state["status"] == "failed" and state["reconnect"] is True
    assert state["text"].endswith("Connect to Canvas again; nothing already pulled is lost.")
    assert db_session.scalar(select(EvidencePull.status).where(EvidencePull.course_id == setup.course_id)) == "failed"


def test_the_status_endpoint_is_for_the_courses_teachers_only(app, client, db_session, moodle_course):
    student = token_for(app, moodle_course, person_id=next(iter(moodle_course.students.values())), role="student")

    assert client.get("/teacher/setup/api/pull-status").status_code == 401
    denied = client.get("/teacher/setup/api/pull-status", headers={"Authorization": f"Bearer {student}"})
    assert denied.status_code == 403 and "error" in denied.get_json()
    assert status_json(client, token_for(app, moodle_course))["status"] == "never"


def test_the_status_sentence_is_spanish_for_a_spanish_session(app, client, db_session, moodle_course):
    from lti_tool.web.auth import SessionIdentity, issue_token

    with app.test_request_context():
        token = issue_token(SessionIdentity(person_id=moodle_course.teacher_id, course_id=moodle_course.course_id,
                                            platform_id=moodle_course.platform_id,
                                            district_id=moodle_course.district_id, role="teacher", locale="es"))

    assert status_json(client, token)["text"] == "Todavía no se han importado notas de Moodle."


def test_a_finished_pull_that_left_something_out_says_what_on_the_page(app):
    from lti_tool.web.alignments.pull_view import describe

    note = "Assignment details were not read: add mod_assign_get_assignments to the external service."
    finished = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    with app.test_request_context("/?lang=en"):
        text = describe(pull_status.PullState("moodle", "ok", message=note, counts={"added": 2},
                                              finished_at=finished))
        plain = describe(pull_status.PullState("moodle", "ok", counts={"added": 2}, finished_at=finished))
    assert text.startswith("The last pull from Moodle finished at 2026-11-02 09:30 UTC: 2 added")
    assert text.endswith(note)
    assert note not in plain
