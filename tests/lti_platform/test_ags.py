"""Self-tests: AGS pagination, ownership and each LMS's score semantics."""

from __future__ import annotations

import requests

from .ags import LINEITEM_TYPE, SCORE_TYPE
from .claims import ALL_SCOPES
from .server import LtiPlatform
from .stub_tool import StubTool


def _session(tool: StubTool, profile: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {tool.access_token(profile, list(ALL_SCOPES))}",
                            "User-Agent": "sbg-tests"})
    return session


def _score(session: requests.Session, url: str, user_id: str, timestamp: str, given: float = 5,
           comment: str | None = None) -> requests.Response:
    body = {"userId": user_id, "scoreGiven": given, "scoreMaximum": 10, "timestamp": timestamp,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
    if comment is not None:
        body["comment"] = comment
    path, _, query = url.partition("?")
    return session.post(f"{path}/scores" + (f"?{query}" if query else ""), json=body,
                        headers={"Content-Type": SCORE_TYPE})


def test_line_items_are_paged_with_a_next_link_and_only_the_tools_own_are_listed(
    platform: LtiPlatform, tool: StubTool
) -> None:
    platform.ags.add_line_item("canvas", "101", "Teacher's quiz", 10)  # not the tool's
    session = _session(tool, "canvas")
    container = platform.lineitems_url("canvas", "101")
    for n in range(5):
        created = session.post(container, json={"label": f"S{n}", "scoreMaximum": 4, "tag": "sbg"},
                               headers={"Content-Type": LINEITEM_TYPE})
        assert created.status_code == 200, created.text
    labels, url = [], f"{container}?limit=2"
    while url:
        page = session.get(url)
        assert page.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitemcontainer+json"
        labels += [item["label"] for item in page.json()]
        url = page.links.get("next", {}).get("url")
    assert labels == ["S0", "S1", "S2", "S3", "S4"]
    assert platform.stats.requests["lineitems.get"] == 3


def test_moodle_refuses_a_score_not_newer_at_whole_seconds_and_replaces_feedback(
    platform: LtiPlatform, tool: StubTool
) -> None:
    session = _session(tool, "moodle")
    item = platform.ags.add_line_item("moodle", "101", "Mastery", 4, client_id=tool.client_id)
    url = platform.lineitem_url(item)
    assert _score(session, url, "6", "2025-01-01T10:00:00.100Z", comment="first").status_code == 200
    assert _score(session, url, "6", "2025-01-01T10:00:00.900Z").status_code == 409
    assert _score(session, url, "6", "2025-01-01T10:00:01Z", comment="second").status_code == 200
    result = platform.ags.result(item, "6")
    assert (result.score, result.feedback) == (2.0, "second")  # 5/10 rescaled to the item's maximum of 4


def test_canvas_refuses_an_older_score_appends_comments_and_needs_a_user_agent(
    platform: LtiPlatform, tool: StubTool
) -> None:
    session = _session(tool, "canvas")
    item = platform.ags.add_line_item("canvas", "101", "Mastery", 4, client_id=tool.client_id)
    url = platform.lineitem_url(item)
    student = platform.users["learner"].canvas_lti_id
    assert _score(session, url, student, "2025-01-01T10:00:00Z", comment="a").status_code == 200
    assert _score(session, url, student, "2025-01-01T09:59:59Z").status_code == 400
    assert _score(session, url, student, "2025-01-01T10:00:00Z", comment="b").status_code == 200
    assert platform.ags.result(item, student).comments == ["a", "b"]
    session.headers["User-Agent"] = ""
    assert _score(session, url, student, "2025-01-01T11:00:00Z").status_code == 403


def test_another_tools_or_a_teachers_line_item_is_not_found(platform: LtiPlatform, tool: StubTool) -> None:
    session = _session(tool, "moodle")
    foreign = platform.ags.add_line_item("moodle", "101", "Ordinary assignment", 10)
    assert session.get(platform.lineitem_url(foreign)).status_code == 404
    assert _score(session, platform.lineitem_url(foreign), "6", "2025-01-01T10:00:00Z").status_code == 404
