"""Session tokens and small page helpers for the admin-area web tests."""

from __future__ import annotations

import re

from flask import Flask

from lti_tool.web.auth import SessionIdentity, issue_token

from .builders import DistrictSetup


def token_for(app: Flask, setup: DistrictSetup, role: str = "admin") -> str:
    """A session token as an LTI launch into the district's course would give."""
    with app.test_request_context():
        return issue_token(SessionIdentity(person_id=setup.person_id, course_id=setup.course_id,
                                           platform_id=setup.platform_id, district_id=setup.district_id, role=role))


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a JSON API call."""
    return {"Authorization": f"Bearer {token}"}


def hidden(page: str, name: str) -> str:
    """The value of a hidden input in a page."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no {name} field"
    return match.group(1)


def form_action(page: str, contains: str) -> str:
    """The action of the first form whose action contains `contains`."""
    match = re.search(rf'<form[^>]*action="([^"]*{re.escape(contains)}[^"]*)"', page)
    assert match, f"no form posting to {contains}"
    return match.group(1).replace("&amp;", "&")
