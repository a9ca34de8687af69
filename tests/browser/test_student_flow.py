"""A student launches from the LMS, reads every standard's level and why, tries "what if", by mouse and by
keyboard, in English and Spanish; axe-core finds no WCAG 2.1 AA violation on any student page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from lti_tool.services.grading import recalculate_course
from lti_tool.services.sandbox import SANDBOX_COURSE
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import Course, CourseFramework, Framework, Person, Standard
from tests.integration.student.course_data import add_assignment, add_score

from .axe import axe_violations
from .conftest import save_screenshot

STUDENT = "sandbox-student-standards"
STANDARDS = [("7.RP.1", "Compute unit rates with ratios of fractions."),
             ("7.RP.2", "Recognize and represent proportional relationships between quantities."),
             ("7.NS.1", "Add and subtract rational numbers.")]


def _give_scores(app) -> None:
    """Standards, assignments and scores for the launched sandbox student, then a recalculation."""
    runtime = app.extensions["sbg"]
    with session_scope(runtime.sessions) as session:
        person = session.scalar(select(Person).where(Person.sub == STUDENT))
        course = session.scalar(select(Course).where(Course.context_id == SANDBOX_COURSE,
                                                     Course.platform_id == person.platform_id))
        chosen = session.get(CourseFramework, course.id)
        if chosen is None:
            district_id = course.platform.district_id
            framework = Framework(district_id=district_id, identifier=f"fw-{uuid.uuid4().hex[:8]}", title="Math 7")
            session.add(framework)
            session.flush()
            session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
            framework_id = framework.id
        else:
            framework_id = chosen.framework_id
        standards = []
        for position, (code, statement) in enumerate(STANDARDS):
            standard = session.scalar(select(Standard).where(Standard.framework_id == framework_id,
                                                             Standard.code == code))
            if standard is None:
                standard = Standard(framework_id=framework_id, identifier=f"{code}-{uuid.uuid4().hex[:6]}",
                                    code=code, label=code, statement=statement, position=100 + position)
                session.add(standard)
                session.flush()
            standards.append(standard)
        quiz = add_assignment(session, course.id, "Ratios quiz", standards[:2])
        project = add_assignment(session, course.id, "Recipe project", standards[:1])
        retake = add_assignment(session, course.id, "Ratios quiz retake", standards[1:2], reassesses=quiz)
        add_score(session, course.id, person, quiz, 6, day=0)
        add_score(session, course.id, person, project, 9, day=5)
        add_score(session, course.id, person, retake, 8, day=9)
        recalculate_course(session, course.id)


@pytest.fixture()
def student_page(app, launch_as):
    """The sandbox student's overview after a real launch, with scores in place."""
    page = launch_as("student", user=STUDENT, name="Sam Rivera")
    _give_scores(app)
    page.reload()
    return page


def _standard_link(page, code: str):
    """The standard's link in the standards table (the changes list may link it too)."""
    return page.locator("table.standards").get_by_role("link", name=code)


def _assert_accessible(page) -> None:
    assert axe_violations(page) == []


def test_a_student_reads_levels_and_the_explanation_after_a_real_launch(student_page):
    page = student_page
    assert page.get_by_role("heading", level=1).inner_text() == "My standards"
    assert _standard_link(page, "7.RP.1").is_visible()
    _assert_accessible(page)
    save_screenshot(page, "student-overview")

    _standard_link(page, "7.RP.1").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("7.RP.1")
    explanation = page.locator("ol.explanation").inner_text()
    assert "Ratios quiz" in explanation and "Recipe project" in explanation
    assert page.get_by_role("img", name="Chart of your scores over time").is_visible()
    _assert_accessible(page)
    save_screenshot(page, "student-standard")

    page.get_by_label("My next score").select_option(label="Exceeds (4)")
    page.get_by_role("button", name="Show what would happen").click()
    result = page.locator("#what-if-result")
    result.get_by_text("Hypothetical: not a real score, and not saved.").wait_for()
    _assert_accessible(page)
    save_screenshot(page, "student-what-if")


def test_a_replaced_quiz_is_explained_on_its_standard(student_page):
    page = student_page
    _standard_link(page, "7.RP.2").click()
    assert "Ratios quiz does not count. Your retake, Ratios quiz retake, takes its place." in \
        page.locator("ol.explanation").inner_text()


def test_everything_works_by_keyboard_with_visible_focus(student_page):
    page = student_page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    link = _standard_link(page, "7.RP.1")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "7.RP.1":
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "7.RP.1"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/standards/" in url)
    page.get_by_label("My next score").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    page.locator("#what-if-result").get_by_text("Hypothetical: not a real score, and not saved.").wait_for()
    assert link is not None


def test_the_student_pages_in_spanish_and_the_printable_summary_pass_axe(student_page):
    page = student_page
    page.get_by_role("link", name="Español").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mis estándares"
    assert page.evaluate("document.documentElement.lang") == "es"
    _assert_accessible(page)
    save_screenshot(page, "student-overview-es")
    _standard_link(page, "7.RP.1").click()
    assert "Por qué tienes este nivel" in page.content()
    _assert_accessible(page)
    save_screenshot(page, "student-standard-es")
    page.get_by_role("link", name="Todos los estándares").click()
    page.get_by_role("link", name="Resumen para imprimir").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Resumen de")
    _assert_accessible(page)
    page.emulate_media(media="print")
    assert page.locator(".student-tools").count() == 0 or not page.locator(".student-tools").first.is_visible()
    save_screenshot(page, "student-summary-print")
