"""The sandbox platform launches the tool for real in Chromium, for every role."""

import pytest

from .conftest import save_screenshot


@pytest.mark.parametrize(("role", "heading"), [("student", "My standards"), ("teacher", "Class mastery"),
                                                ("admin", "District settings")])
def test_each_role_lands_in_its_area_after_a_real_launch(launch_as, role, heading):
    page = launch_as(role)
    assert f"/{role}/" in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    assert role == "admin" or "Sandbox Math 7" in page.content()


def test_home_page_offers_sandbox_launches(page, live_server):
    page.goto(live_server + "/")
    assert page.get_by_role("link", name="Launch as student").is_visible()
    save_screenshot(page, "home")
