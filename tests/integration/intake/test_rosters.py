"""Roster refresh from the test platform's NRPS: every page, roles, inactive members, withheld names, expired tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from lti_tool.adapters.lti.nrps import NrpsRoster, member_from_json
from lti_tool.adapters.lti.service_auth import ServiceClient
from lti_tool.jobs.intake_tasks import refresh_roster_now
from lti_tool.services.keys import published_jwks
from lti_tool.services.platforms import add_district
from lti_tool.services.rosters import refresh_roster
from lti_tool.storage.models import (
    Assignment,
    Course,
    Enrollment,
    EvidenceRecord,
    Person,
    Platform,
)
from tests.lti_platform import LtiPlatform


@pytest.fixture(scope="module")
def nrps_platform(app) -> Iterator[LtiPlatform]:  # type: ignore[no-untyped-def]
    """A test platform paging its roster two members at a time."""
    with LtiPlatform(nrps_page_size=2) as platform:
        yield platform


def register(app, db_session, platform: LtiPlatform, profile: str) -> tuple[int, ServiceClient]:  # type: ignore[no-untyped-def]
    """Register the tool with the platform (trusting the tool's JWKS) and the platform with a new course."""
    client_id = f"{profile}-{uuid.uuid4().hex[:10]}"
    platform.register_tool(client_id, ["1"], "http://tool.example/lti/login", "http://tool.example/lti/launch", None,
                           tool_jwks=published_jwks(db_session))
    district = add_district(db_session, f"district-{uuid.uuid4().hex[:8]}", actor="test")
    config = platform.platform_config(profile)
    record = Platform(district_id=district.id, name=client_id, product=profile, client_id=client_id, **config)
    db_session.add(record)
    db_session.flush()
    course = Course(platform_id=record.id, deployment_id="1", context_id="101", lms_course_id="101",
                    nrps_url=platform.memberships_url(profile, "101"))
    db_session.add(course)
    db_session.commit()
    return course.id, ServiceClient(config["issuer"], client_id, config["token_url"])


def roster_reader(app, client: ServiceClient) -> NrpsRoster:  # type: ignore[no-untyped-def]
    runtime = app.extensions["sbg"]
    return NrpsRoster(runtime.http, runtime.service_tokens, client)


def enrollments(db_session, course_id: int) -> dict[str, Enrollment]:  # type: ignore[no-untyped-def]
    rows = db_session.scalars(select(Enrollment).where(Enrollment.course_id == course_id)).all()
    return {row.person.name: row for row in rows}


def test_every_page_of_the_roster_is_read_with_roles_names_and_emails(app, db_session, nrps_platform):
    course_id, client = register(app, db_session, nrps_platform, "canvas")
    reader = roster_reader(app, client)

    summary = refresh_roster(db_session, course_id, reader)

    assert reader.request_count >= 2  # four members, two per page
    assert summary.added == 4
    found = enrollments(db_session, course_id)
    assert {name: e.role for name, e in found.items()} == {
        "Ada Lovelace": "student", "Grace Hopper": "teacher", "Alan Turing": "teacher", "Parent Lovelace": "mentor"}
    ada = found["Ada Lovelace"].person
    assert ada.email == "ada@example.edu" and ada.sub == nrps_platform.users["learner"].canvas_lti_id


def test_a_second_refresh_changes_nothing(app, db_session, nrps_platform):
    course_id, client = register(app, db_session, nrps_platform, "canvas")
    refresh_roster(db_session, course_id, roster_reader(app, client))
    again = refresh_roster(db_session, course_id, roster_reader(app, client))
    assert (again.added, again.updated, again.unchanged, again.deactivated) == (0, 0, 4, 0)


def test_inactive_and_departed_members_are_kept_but_marked_inactive(app, db_session, nrps_platform):
    course_id, client = register(app, db_session, nrps_platform, "canvas")
    refresh_roster(db_session, course_id, roster_reader(app, client))
    ada = enrollments(db_session, course_id)["Ada Lovelace"]
    assignment = Assignment(course_id=course_id, source="canvas", lms_id="1", title="Quiz")
    db_session.add(assignment)
    db_session.flush()
    db_session.add(EvidenceRecord(course_id=course_id, person_id=ada.person_id, assignment_id=assignment.id,
                                  score=3, max_score=4, source="canvas"))
    db_session.commit()
    course = nrps_platform.courses["101"]
    saved = list(course.members)
    try:
        course.members = [m for m in saved if m.role != "learner"]
        course.members[0] = type(saved[0])(saved[1].user, saved[1].role, "Inactive")  # Grace goes inactive
        summary = refresh_roster(db_session, course_id, roster_reader(app, client))
    finally:
        course.members = saved

    found = enrollments(db_session, course_id)
    assert found["Ada Lovelace"].active is False and found["Grace Hopper"].active is False
    assert summary.deactivated == 2
    assert db_session.scalar(select(EvidenceRecord).where(EvidenceRecord.person_id == ada.person_id)) is not None


def test_names_the_platform_withholds_keep_what_the_tool_knew(app, db_session, nrps_platform):
    course_id, client = register(app, db_session, nrps_platform, "canvas")
    refresh_roster(db_session, course_id, roster_reader(app, client))
    nrps_platform.share_name = nrps_platform.share_email = False
    try:
        refresh_roster(db_session, course_id, roster_reader(app, client))
    finally:
        nrps_platform.share_name = nrps_platform.share_email = True
    assert enrollments(db_session, course_id)["Ada Lovelace"].person.email == "ada@example.edu"


def test_an_expired_service_token_is_replaced_once(app, db_session, nrps_platform):
    course_id, client = register(app, db_session, nrps_platform, "canvas")
    refresh_roster(db_session, course_id, roster_reader(app, client))
    nrps_platform.tokens.expire_all()
    summary = refresh_roster(db_session, course_id, roster_reader(app, client))
    assert summary.unchanged == 4


def test_a_moodle_roster_gives_each_person_their_moodle_user_id(app, db_session, nrps_platform):
    course_id, _client = register(app, db_session, nrps_platform, "moodle")
    with app.app_context():
        line = refresh_roster_now(course_id)
    assert "4 added" in line
    db_session.expire_all()
    people = db_session.scalars(select(Person).join(Enrollment, Enrollment.person_id == Person.id)
                                .where(Enrollment.course_id == course_id)).all()
    assert {p.lms_user_id for p in people} == {"6", "3", "4", "9"}


def test_canvas_user_ids_are_read_from_member_message_claims():
    member = member_from_json({
        "status": "Active", "user_id": "abc", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        "message": [{"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                     "https://www.instructure.com/canvas_user_id": 5001,
                     "https://purl.imsglobal.org/spec/lti/claim/custom": {"canvas_course_id": "101"}}]})
    assert member.lms_user_id == "5001" and member.active and member.custom == {"canvas_course_id": "101"}


def test_a_course_without_a_roster_service_is_left_alone(app, db_session):
    from .builders import make_course

    setup = make_course(db_session)
    summary = refresh_roster(db_session, setup.course_id, roster_reader(app, ServiceClient("x", "y", "z")))
    assert not summary.available
