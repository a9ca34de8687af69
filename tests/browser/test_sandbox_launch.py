"""The sandbox platform launches the tool for real in Chromium, for every role."""

import pytest

from .conftest import save_screenshot


@pytest.mark.parametrize("role", ["student", "teacher", "admin"])
def test_each_role_lands_in_its_area_after_a_real_launch(launch_as, role):
    page = launch_as(role)
    assert f"/{role}/" in page.url
    assert page.get_by_role("heading", level=1).count() == 1
    assert "The launch did not work" not in page.content()


def test_home_page_offers_sandbox_launches(page, live_server):
    page.goto(live_server + "/")
    assert page.get_by_role("link", name="Launch as student").is_visible()
    save_screenshot(page, "home")
