"""In headless Chromium: "Pull scores now" shows the pull as queued, and the page updates itself to the finished
pull (with its counts) once a worker has run it, without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from lti_tool.services import lms_credentials
from lti_tool.storage.models import Platform
from tests.fakes.moodle_server import build_course
from tests.integration.intake.builders import make_course
from tests.integration.intake.web_support import token_for
from tests.support.queues import run_queued_jobs

from .axe import axe_violations
from .conftest import save_screenshot


def test_the_pull_status_goes_from_queued_to_finished_on_its_own(app, page, live_server, db_session, fake_moodle,
                                                                  sqlite_queue):
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=["300", "301", "302"],
                        issuer=fake_moodle.base_url)
    fake_moodle.add_course(build_course(7, students=3))
    box = lms_credentials.SecretBox(app.extensions["sbg"].settings.secret_key)
    lms_credentials.set_moodle_ws_token(db_session, box, db_session.get(Platform, setup.platform_id),
                                        token=fake_moodle.token, actor="test")
    db_session.commit()
    page.goto(f"{live_server}/teacher/setup/?t={token_for(app, setup)}")
    status = page.get_by_role("status").filter(has_text="Moodle")
    expect(status).to_contain_text("Scores have not been pulled from Moodle yet.")

    page.get_by_role("button", name="Pull scores now").click()
    page.wait_for_load_state()
    expect(status).to_contain_text("is queued")
    expect(status.get_by_role("link", name="Refresh")).to_be_visible()
    assert run_queued_jobs(app) == 1

    expect(status).to_contain_text("finished at", timeout=15000)  # the page polls every few seconds
    expect(status).to_contain_text("9 added, 0 updated, 0 unchanged; 2 flagged")
    assert axe_violations(page) == []
    status.get_by_role("link", name="Show the new scores").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("The last pull from Moodle finished at")
    expect(page.get_by_role("link", name="Refresh")).to_have_count(0)
    save_screenshot(page, "setup-pull-status")
