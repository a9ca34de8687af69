"""`sbg platform`, `sbg district` and `sbg keys` against the test database."""

import json
import uuid

from lti_tool.cli import main


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _add_args(name: str, issuer: str, *extra: str) -> list[str]:
    return ["platform", "add", "--name", name, "--issuer", issuer, "--client-id", "10000000000001",
            "--auth-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "--token-url", "https://sso.canvaslms.com/login/oauth2/token",
            "--jwks-url", "https://sso.canvaslms.com/api/lti/security/jwks",
            "--deployment-id", "1:abc", "--deployment-id", "2:def", *extra]


def test_a_platform_added_from_the_cli_is_listed_with_its_deployments(app):
    runner = app.test_cli_runner()
    name = _unique("canvas")
    result = runner.invoke(main, _add_args(name, f"https://{name}.instructure.com"))
    assert result.exit_code == 0, result.output
    listing = runner.invoke(main, ["platform", "list", "--json"])
    row = next(item for item in json.loads(listing.output) if item["name"] == name)
    assert row["deployment_ids"] == ["1:abc", "2:def"]
    assert row["district"] == "default"
    assert row["product"] == "canvas"


def test_platforms_belong_to_the_named_district_and_list_by_district(app):
    runner = app.test_cli_runner()
    district, name = _unique("district"), _unique("moodle")
    assert runner.invoke(main, ["district", "add", district]).exit_code == 0
    assert district in runner.invoke(main, ["district", "list"]).output.split()
    result = runner.invoke(main, _add_args(name, f"https://{name}.example.org", "--district", district))
    assert result.exit_code == 0, result.output
    mine = runner.invoke(main, ["platform", "list", "--district", district]).output
    default = runner.invoke(main, ["platform", "list", "--district", "default"]).output
    assert name in mine and name not in default


def test_the_same_issuer_and_client_cannot_be_registered_twice(app):
    runner = app.test_cli_runner()
    name = _unique("dup")
    issuer = f"https://{name}.example.org"
    assert runner.invoke(main, _add_args(name, issuer)).exit_code == 0
    again = runner.invoke(main, _add_args(name + "-2", issuer))
    assert again.exit_code != 0
    assert "already registered" in again.output


def test_an_unknown_district_is_refused_with_a_message(app):
    result = app.test_cli_runner().invoke(main, _add_args(_unique("x"), "https://x.example.org",
                                                          "--district", "nowhere"))
    assert result.exit_code != 0
    assert "No district named 'nowhere'" in result.output


def test_a_removed_platform_is_no_longer_listed(app):
    runner = app.test_cli_runner()
    name = _unique("gone")
    assert runner.invoke(main, _add_args(name, f"https://{name}.example.org")).exit_code == 0
    assert runner.invoke(main, ["platform", "remove", name]).exit_code == 0
    assert name not in runner.invoke(main, ["platform", "list"]).output
    assert runner.invoke(main, ["platform", "remove", name]).exit_code != 0


def test_key_rotation_keeps_the_old_key_published_until_it_expires(app, client):
    before = {key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    result = app.test_cli_runner().invoke(main, ["keys", "rotate", "--overlap-days", "7"])
    assert result.exit_code == 0, result.output
    after = {key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert before < after and len(after - before) == 1


def test_expired_keys_leave_the_published_key_set(app, db_session):
    from datetime import datetime, timedelta, timezone

    from lti_tool.services.keys import current_key, published_jwks, rotate_keys

    old = current_key(db_session)
    rotate_keys(db_session, timedelta(days=1))
    later = datetime.now(timezone.utc) + timedelta(days=2)
    kids = {key["kid"] for key in published_jwks(db_session, now=later)["keys"]}
    assert old.kid not in kids
    assert current_key(db_session).kid in kids


def test_help_lists_every_command(app):
    output = app.test_cli_runner().invoke(main, ["--help"]).output
    for command in ("run", "db", "keys", "platform", "district"):
        assert command in output


def test_a_new_district_starts_with_the_shipped_scales_and_a_default_policy(app, db_session):
    from sqlalchemy import select

    from lti_tool.storage.models import District, GradingPolicyRecord, ProficiencyScaleRecord

    name = _unique("seeded")
    assert app.test_cli_runner().invoke(main, ["district", "add", name]).exit_code == 0
    district = db_session.scalar(select(District).where(District.name == name))
    scales = db_session.scalars(select(ProficiencyScaleRecord).where(ProficiencyScaleRecord.district_id == district.id))
    assert len(list(scales)) == 2
    policy = db_session.scalar(select(GradingPolicyRecord).where(GradingPolicyRecord.district_id == district.id))
    assert policy is not None and policy.course_id is None and policy.framework_id is None


def test_the_sandbox_has_the_sample_framework_and_a_course_graded_against_it(app, db_session):
    from sqlalchemy import select

    from lti_tool.services.sandbox import SANDBOX_COURSE, seed_sandbox
    from lti_tool.storage.models import Course, CourseFramework, Framework, Standard

    seed_sandbox(db_session, app.config["SBG_SETTINGS"].base_url)  # idempotent: a second run adds nothing
    db_session.commit()
    course = db_session.scalar(select(Course).where(Course.context_id == SANDBOX_COURSE))
    framework = db_session.get(Framework, db_session.get(CourseFramework, course.id).framework_id)
    from lti_tool.adapters.importers import FORMATS
    from lti_tool.services.sandbox import SAMPLE_FRAMEWORK

    sample = {standard.code for standard in FORMATS["case"].parse(SAMPLE_FRAMEWORK.read_bytes()).standards}
    codes = set(db_session.scalars(select(Standard.code).where(Standard.framework_id == framework.id)))
    assert len(sample) == 16 and sample <= codes  # browser tests may add their own standards to the sandbox
    same = select(Framework).where(Framework.identifier == framework.identifier,
                                   Framework.district_id == framework.district_id)
    assert len(db_session.scalars(same).all()) == 1
