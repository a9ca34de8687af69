"""Full OIDC login -> authorization -> launch round trips against the test platform, Canvas and Moodle shaped."""

import pytest
from sqlalchemy import select

from lti_tool.storage.models import Course, Deployment, Enrollment, Person, Platform

AREAS = {"learner": "/student/", "instructor": "/teacher/", "ta": "/teacher/", "admin": "/admin/",
         "mentor": "/student/"}


@pytest.mark.parametrize("profile", ["canvas", "moodle"])
@pytest.mark.parametrize("role", ["learner", "instructor", "ta", "admin"])
def test_each_role_launches_into_its_area(register, driver, client, profile, role):
    registered = register(profile)
    result = driver.launch(profile, role, client_id=registered.client_id, platform_storage=False)
    assert result.status_code == 303, result.describe()
    location = result.response.headers["Location"]
    assert AREAS[role] in location
    page = client.get(location)
    assert page.status_code == 200
    assert "<h1" in page.get_data(as_text=True)


@pytest.mark.parametrize("profile", ["canvas", "moodle"])
def test_a_launch_stores_the_course_services_and_locale(register, driver, db_session, profile):
    registered = register(profile)
    result = driver.launch(profile, "instructor", client_id=registered.client_id, platform_storage=False,
                           line_item=True, locale="es-MX")
    assert result.status_code == 303, result.describe()
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    course = db_session.scalar(select(Course).where(Course.platform_id == platform.id))
    claims = result.claims
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert course.ags_lineitems_url == ags["lineitems"]
    assert set(course.ags_scopes) == set(ags["scope"])
    assert course.nrps_url == nrps["context_memberships_url"]
    assert course.locale == "es-MX"
    assert course.context_id == claims["https://purl.imsglobal.org/spec/lti/claim/context"]["id"]
    person = db_session.scalar(select(Person).where(Person.platform_id == platform.id))
    assert person.sub == claims["sub"]
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.role == "teacher"


def test_canvas_launch_keeps_the_canvas_custom_fields(register, driver, db_session):
    registered = register("canvas")
    result = driver.launch("canvas", "instructor", client_id=registered.client_id, platform_storage=False)
    assert result.status_code == 303, result.describe()
    custom = result.claims["https://purl.imsglobal.org/spec/lti/claim/custom"]
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    course = db_session.scalar(select(Course).where(Course.platform_id == platform.id))
    assert course.custom["canvas_course_id"] == custom["canvas_course_id"]
    assert course.lms_course_id == custom["canvas_course_id"]


def test_a_mentor_lands_in_the_student_area_with_their_mentees(register, driver, db_session):
    registered = register("canvas")
    result = driver.launch("canvas", "mentor", client_id=registered.client_id, platform_storage=False)
    assert result.status_code == 303, result.describe()
    assert "/student/" in result.response.headers["Location"]
    mentees = result.claims.get("https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor")
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    enrollment = db_session.scalar(select(Enrollment).join(Course).where(Course.platform_id == platform.id))
    assert enrollment.role == "mentor"
    assert enrollment.mentees == mentees


def test_canvas_dynamic_registration_records_the_deployment_at_first_launch(register, driver, db_session):
    registered = register("canvas", registered_via="dynamic", deployments=1)
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    for deployment in list(platform.deployments):
        db_session.delete(deployment)
    db_session.commit()
    result = driver.launch("canvas", "instructor", client_id=registered.client_id, platform_storage=False)
    assert result.status_code == 303, result.describe()
    db_session.expire_all()
    recorded = db_session.scalars(select(Deployment).where(Deployment.platform_id == platform.id)).all()
    assert [d.deployment_id for d in recorded] == [registered.deployment_id]
    assert recorded[0].recorded_at_first_launch is True


def test_a_session_token_from_one_launch_cannot_open_another_area(register, driver, client):
    registered = register("moodle")
    result = driver.launch("moodle", "learner", client_id=registered.client_id, platform_storage=False)
    token = result.response.headers["Location"].split("t=")[1]
    assert client.get(f"/teacher/?t={token}").status_code == 403
    assert client.get(f"/admin/?t={token}").status_code == 403
    assert client.get(f"/student/?t={token}").status_code == 200


def test_the_platform_key_set_is_fetched_once_for_many_launches(register, driver, app):
    registered = register("moodle")
    cache = app.extensions["sbg"].platform_keys
    driver.launch("moodle", "learner", client_id=registered.client_id, platform_storage=False)
    fetches = cache.fetches
    for _ in range(3):
        result = driver.launch("moodle", "learner", client_id=registered.client_id, platform_storage=False)
        assert result.status_code == 303
    assert cache.fetches == fetches


def test_a_launch_refreshes_the_roster_from_nrps_at_most_every_ten_minutes(register, driver, db_session, lti_platform,
                                                                          live_server):
    registered = register("canvas")
    before = lti_platform.stats.requests.get("memberships", 0)
    first = driver.launch("canvas", "instructor", client_id=registered.client_id, platform_storage=False)
    assert first.status_code == 303, first.describe()
    assert lti_platform.stats.requests.get("memberships", 0) > before
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    course = db_session.scalar(select(Course).where(Course.platform_id == platform.id))
    enrolled = db_session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
    assert len(enrolled) >= 4, "the NRPS roster (learner, instructor, TA, mentor) was stored"
    after_first = lti_platform.stats.requests.get("memberships", 0)
    driver.launch("canvas", "learner", client_id=registered.client_id, platform_storage=False)
    assert lti_platform.stats.requests.get("memberships", 0) == after_first


def test_a_refused_request_writes_nothing(make_app):
    from lti_tool.services.errors import ServiceError
    from lti_tool.storage.models import District
    from lti_tool.web.runtime import db

    name = "rolled-back-district"
    app = make_app()
    client = app.test_client()

    @app.route("/_test/fails-after-writing")
    def fails_after_writing():  # type: ignore[no-untyped-def]
        db().add(District(name=name))
        db().flush()
        raise ServiceError("refused after a write")

    assert client.get("/_test/fails-after-writing").status_code == 400
    with app.extensions["sbg"].sessions() as session:
        assert session.scalar(select(District).where(District.name == name)) is None
