"""`sbg canvas-api remove` and `sbg moodle-ws remove`: the same removal as the admin page, from the command line."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.cli import main
from lti_tool.storage.models import AuditEvent, CanvasGrant, LmsApiCredential
from tests.integration.intake.builders import make_course


def stored_kinds(db_session, platform_id: int) -> set[str]:
    """Which credential kinds the platform has on file."""
    db_session.expire_all()
    return set(db_session.scalars(select(LmsApiCredential.kind).where(LmsApiCredential.platform_id == platform_id)))


def test_the_canvas_key_set_from_the_cli_can_be_removed_from_the_cli(app, db_session):
    setup = make_course(db_session)
    runner = app.test_cli_runner()
    saved = runner.invoke(main, ["canvas-api", "set", "--platform", setup.platform_name, "--client-id", "17",
                                 "--client-secret", "s3cret-value"])
    assert saved.exit_code == 0, saved.output
    assert stored_kinds(db_session, setup.platform_id) == {"canvas_api"}

    removed = runner.invoke(main, ["canvas-api", "remove", "--platform", setup.platform_name])

    assert removed.exit_code == 0, removed.output
    assert removed.output.startswith(f"Canvas API key removed from {setup.platform_name}. "
                                     "Teacher connections deleted: 0")
    assert stored_kinds(db_session, setup.platform_id) == set()
    assert db_session.scalar(select(CanvasGrant).where(CanvasGrant.platform_id == setup.platform_id)) is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.district_id == setup.district_id,
                                                       AuditEvent.action == "canvas_api.remove"))
    assert event is not None and event.actor == "cli" and event.before["client_id"] == "17"


def test_the_moodle_token_can_be_removed_and_a_second_removal_changes_nothing(app, db_session):
    setup = make_course(db_session, product="moodle")
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["moodle-ws", "set", "--platform", setup.platform_name, "--token", "abc"]).exit_code == 0

    first = runner.invoke(main, ["moodle-ws", "remove", "--platform", setup.platform_name])
    second = runner.invoke(main, ["moodle-ws", "remove", "--platform", setup.platform_name])

    assert first.exit_code == 0 and "token removed" in first.output
    assert second.exit_code == 0 and "nothing removed" in second.output
    assert stored_kinds(db_session, setup.platform_id) == set()


def test_removing_from_an_unknown_or_wrong_kind_of_platform_is_an_error(app, db_session):
    moodle = make_course(db_session, product="moodle")
    runner = app.test_cli_runner()

    unknown = runner.invoke(main, ["canvas-api", "remove", "--platform", "no-such-platform"])
    wrong_kind = runner.invoke(main, ["canvas-api", "remove", "--platform", moodle.platform_name])

    assert unknown.exit_code == 1 and "no-such-platform" in unknown.output
    assert wrong_kind.exit_code == 1 and "no Canvas platform" in wrong_kind.output
