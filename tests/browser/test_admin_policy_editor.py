"""The policy and scale editors in Chromium: the live preview follows unsaved edits; screenshots for the docs."""

from __future__ import annotations

from .conftest import save_screenshot


def _score_of(page, student: str) -> str:
    row = page.locator("#preview tr", has_text=student)
    return row.locator("td.score").inner_text()


def test_the_policy_preview_recalculates_as_the_method_changes(launch_as):
    page = launch_as("admin")
    page.get_by_role("link", name="Grading policy", exact=True).click()
    page.wait_for_selector("#preview table")
    weighted = _score_of(page, "Ben (slipping)")
    page.get_by_label("Method").select_option("highest")
    page.wait_for_function("() => document.querySelector('#preview tr:nth-child(2) td.score')"
                           " && document.querySelector('#preview tr:nth-child(2) td.score').textContent === '4'")
    assert _score_of(page, "Ben (slipping)") == "4" != weighted
    assert "Exceeds" in page.locator("#preview").inner_text()
    page.get_by_label("Method").select_option("decaying_average")
    page.wait_for_function(f"() => document.querySelector('#preview tr:nth-child(2) td.score').textContent"
                           f" === '{weighted}'")
    save_screenshot(page, "admin-policy-editor")


def test_the_policy_preview_reports_an_invalid_setting(launch_as):
    page = launch_as("admin")
    page.get_by_role("link", name="Grading policy", exact=True).click()
    page.wait_for_selector("#preview table")
    page.get_by_label("Decimal places").fill("9")
    page.wait_for_selector("#preview p.error")
    assert "rounding" in page.locator("#preview").inner_text()


def test_the_scale_editor_shows_contrast_as_colours_change(launch_as):
    page = launch_as("admin")
    page.get_by_role("link", name="Scales", exact=True).click()
    page.get_by_role("link", name="Canvas default (5 ratings)").click()
    page.wait_for_selector("#preview table")
    assert "too low" in page.locator("#contrast").inner_text()
    save_screenshot(page, "admin-scale-editor")
    page.get_by_label("Colour of level 1 (#RRGGBB)").fill("#0B5394")
    page.wait_for_function("() => document.querySelector('#contrast li').textContent.includes('7.83')")
