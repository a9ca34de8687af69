"""The import wizard in Chromium: upload, preview of what changes, confirm; screenshots for the admin docs."""

from __future__ import annotations

import uuid
from pathlib import Path

from .conftest import save_screenshot

DATA = Path(__file__).resolve().parents[1] / "integration" / "admin" / "data"


def test_an_admin_uploads_previews_and_confirms_a_framework(launch_as):
    page = launch_as("admin")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Format").select_option("csv")
    page.get_by_label("File", exact=True).set_input_files(str(DATA / "grade8-expressions-v1.csv"))
    title = f"Grade 8 expressions {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title (for files that name none)").fill(title)
    save_screenshot(page, "admin-import-upload")
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("#counts")
    assert page.locator('[data-count="added"]').inner_text() == "5"
    assert page.locator('[data-count="retired"]').inner_text() == "0"
    save_screenshot(page, "admin-import-preview")
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_selector("#standards")
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert "Imported version 1: 5 added, 0 updated, 0 retired." in page.get_by_role("status").inner_text()
    assert "Integer exponents" in page.locator("#standards").inner_text()
    save_screenshot(page, "admin-framework")


def test_a_bad_file_shows_its_problems_by_line(launch_as, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,parent_code,label,statement,grade,subject\n8.EE,,A,S,8,M\n8.EE.A,8.EX,B,S,8,M\n")
    page = launch_as("admin")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Format").select_option("csv")
    page.get_by_label("File", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    problems = page.locator("#problems")
    problems.wait_for()
    assert "line 3, parent_code: parent '8.EX' of '8.EE.A' is not in the file" in problems.inner_text()
    save_screenshot(page, "admin-import-problems")
