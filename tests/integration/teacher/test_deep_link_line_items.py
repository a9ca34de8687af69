"""Deep linking a graded "mastery of standard X" item: the platform creates the column where the teacher chose."""

from __future__ import annotations

import re
import uuid

import requests
from sqlalchemy import select

from lti_tool.services.platforms import PlatformSpec, add_platform
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import Course, CourseFramework, Framework, Platform, Standard
from tests.lti_platform import LaunchDriver, LtiPlatform


def test_a_teacher_adds_a_graded_mastery_item_and_the_platform_creates_its_line_item(live_server, app):
    base = app.config["SBG_SETTINGS"].base_url
    client_id = f"dl-{uuid.uuid4().hex[:8]}"
    with LtiPlatform() as lms:
        lms.register_tool(client_id, ["1"], f"{base}/lti/login", f"{base}/lti/launch", f"{base}/.well-known/jwks.json")
        with session_scope(app.extensions["sbg"].sessions) as session:
            platform = add_platform(session, PlatformSpec(name=f"moodle-{client_id}", client_id=client_id,
                                                          deployment_ids=("1",), **lms.platform_config("moodle")),
                                    allow_http=True)
            seed_district_defaults(session, platform.district_id)
        browser = requests.Session()
        driver = LaunchDriver(lms, browser, base_url=live_server)
        result = driver.deep_link("moodle", "instructor", client_id=client_id)
        assert result.status_code == 303, result.describe()
        with session_scope(app.extensions["sbg"].sessions) as session:
            course = session.scalar(select(Course).join(Platform).where(Platform.client_id == client_id))
            framework = Framework(district_id=course.platform.district_id, identifier=f"fw-{client_id}", title="Math")
            session.add(framework)
            session.flush()
            session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
            standard = Standard(framework_id=framework.id, identifier=f"guid-{client_id}", code="8.EE.1",
                                label="Exponents", statement="Know and apply the properties of integer exponents.")
            session.add(standard)
            session.flush()
            standard_id, identifier = standard.id, standard.identifier
        picker = browser.get(live_server + result.response.headers["Location"].replace(live_server, ""), timeout=10)
        assert "Mastery of 8.EE.1" in picker.text
        token = re.search(r'name="t" value="([^"]+)"', picker.text).group(1)
        answer = browser.post(f"{live_server}/lti/deep-link", data={"t": token, "choice": f"standard:{standard_id}"},
                              timeout=10)
        assert answer.status_code == 200
        action = re.search(r'action="([^"]+)"', answer.text).group(1)
        jwt_value = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
        driver.post_deep_link_response(action.replace("&amp;", "&"), jwt_value)
        assert lms.deep_links.accepted, lms.deep_links.refused
        created = [item for item in lms.ags.items.values() if item.client_id == client_id]
        assert len(created) == 1
        assert (created[0].resource_id, created[0].tag, created[0].label, created[0].score_maximum) == (
            identifier, "sbg-standard", "8.EE.1 mastery", 4.0)
