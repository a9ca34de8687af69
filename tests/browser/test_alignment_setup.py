"""A teacher aligns assignments to standards in the setup page, in headless Chromium after a real launch."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    CourseFramework,
    District,
    Framework,
    Platform,
    Standard,
)

from .conftest import save_screenshot

GRADEBOOK = Path(__file__).resolve().parents[1] / "data" / "gradebooks" / "canvas_gradebook_export.csv"


def sandbox_course(db_session) -> Course:  # type: ignore[no-untyped-def]
    platform = db_session.scalar(select(Platform).where(Platform.name == "sandbox"))
    return db_session.scalar(select(Course).where(Course.platform_id == platform.id,
                                                  Course.context_id == "sandbox-course"))


def prepare(db_session) -> tuple[Course, Framework, list[Standard], list[Assignment]]:  # type: ignore[no-untyped-def]
    """A framework of district `sandbox` and three pulled assignments naming its codes."""
    district = db_session.scalar(select(District).where(District.name == "sandbox"))
    course = sandbox_course(db_session)
    tag = uuid.uuid4().hex[:6]
    framework = Framework(district_id=district.id, identifier=f"ratios-{tag}", title=f"Grade 7 ratios {tag}")
    db_session.add(framework)
    db_session.flush()
    codes = ["CCSS.Math.Content.7.RP.A.1", "CCSS.Math.Content.7.RP.A.2", "CCSS.Math.Content.7.RP.A.3"]
    standards = []
    for position, code in enumerate(codes):
        standard = Standard(framework_id=framework.id, identifier=f"{code}-{tag}", code=code, position=position,
                            label=code.rsplit(".", 4)[-4:][0], statement=f"Ratios and proportional relationships {code[-5:]}")
        db_session.add(standard)
        standards.append(standard)
    chosen = db_session.get(CourseFramework, course.id)
    if chosen is not None:  # another test chose a framework for the sandbox course: use its codes
        framework = db_session.get(Framework, chosen.framework_id)
        standards = list(db_session.scalars(select(Standard).where(Standard.framework_id == framework.id,
                                                                   Standard.code != "").limit(3)))
    short = [s.code.split("Content.")[-1] for s in standards]
    assignments = [
        Assignment(course_id=course.id, source="canvas", lms_id=f"b{tag}1", title=f"Unit rates quiz ({short[0]}) {tag}",
                   points_possible=10),
        Assignment(course_id=course.id, source="canvas", lms_id=f"b{tag}2", title=f"Recipe ratios {tag}",
                   description=f"<p>Practises {standards[1].code}.</p>", points_possible=20,
                   rubric=[{"id": "_c1", "description": "Explains the ratio", "points": 4,
                            "vendor_guid": standards[2].identifier, "outcome_id": "9", "outcome_title": "Ratios"},
                           {"id": "_c2", "description": "Work shown", "points": 6}]),
        Assignment(course_id=course.id, source="canvas", lms_id=f"b{tag}3", title=f"Reading log {tag}",
                   points_possible=5),
    ]
    db_session.add_all(assignments)
    db_session.commit()
    return course, framework, standards, assignments


def test_a_teacher_accepts_suggestions_aligns_by_hand_and_marks_an_assignment(launch_as, live_server, db_session):
    page = launch_as("teacher")
    token = parse_qs(urlsplit(page.url).query)["t"][0]
    _course, framework, standards, assignments = prepare(db_session)
    page.goto(f"{live_server}/teacher/setup/?t={token}")
    assert page.get_by_role("heading", level=1).inner_text() == "Course setup"
    chooser = page.get_by_label("Choose the standards framework of this course")
    if chooser.count():
        chooser.select_option(label=framework.title)
        page.get_by_role("button", name="Use this framework").click()
        page.wait_for_load_state()
        assert "now uses" in page.get_by_role("status").inner_text()

    table = page.locator("table.suggestions")
    quiz, recipe, log = assignments
    assert table.get_by_text(quiz.title).count() == 1
    assert table.get_by_text(recipe.title).count() == 2  # its description's code and its rubric row's outcome
    save_screenshot(page, "setup-suggestions")

    # Keep every suggestion except the rubric row, double the weight of the quiz's, and accept in bulk.
    rubric_row = table.locator("tr", has_text="rubric row")
    rubric_row.get_by_role("checkbox").uncheck()
    table.locator("tr", has_text=quiz.title).locator("input[type=number]").fill("2")
    page.get_by_role("button", name="Accept selected").click()
    page.wait_for_load_state()
    assert "Accepted 2 suggestion(s)." in page.get_by_role("status").inner_text()

    db_session.expire_all()
    made = {(a.assignment_id, a.standard_id, a.weight) for a in db_session.scalars(
        select(Alignment).where(Alignment.assignment_id.in_([quiz.id, recipe.id])))}
    assert made == {(quiz.id, standards[0].id, 2.0), (recipe.id, standards[1].id, 1.0)}

    # Reject the remaining rubric suggestion, align the reading log by hand, then mark it not standards-based.
    page.locator("#select-all-suggestions").uncheck()
    page.locator("table.suggestions tr", has_text=recipe.title).get_by_role("checkbox").check()
    page.get_by_role("button", name="Reject selected").click()
    page.wait_for_load_state()
    assert "Rejected 1 suggestion(s)." in page.get_by_role("status").inner_text()
    assert page.locator("table.suggestions", has_text=recipe.title).count() == 0
    card = page.locator(f"#assignment-{log.id}")
    card.get_by_label("Standard").select_option(value=str(standards[2].id))
    card.get_by_label("Weight").fill("0.5")
    card.get_by_role("button", name="Align").click()
    page.wait_for_load_state()
    card = page.locator(f"#assignment-{log.id}")
    assert standards[2].code in card.inner_text() and "weight 0.5" in card.inner_text()
    save_screenshot(page, "setup-alignments")
    card.get_by_role("button", name="Mark as not standards-based").click()
    page.wait_for_load_state()
    assert "not standards-based" in page.locator(f"#assignment-{log.id}").inner_text()


def test_a_teacher_previews_a_gradebook_export_before_importing_it(launch_as, live_server):
    page = launch_as("teacher")
    token = parse_qs(urlsplit(page.url).query)["t"][0]
    page.goto(f"{live_server}/teacher/setup/upload?t={token}")
    page.get_by_label("Gradebook export (CSV)").set_input_files(str(GRADEBOOK))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Preview").is_visible()
    assert page.get_by_role("button", name="Import these scores").is_visible()
    assert "Unit rates quiz" in page.locator("table.data").inner_text()
    save_screenshot(page, "setup-upload-preview")
