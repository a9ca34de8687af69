"""A teacher launches into the sandbox course, reads the class grid, drills into one student's standard and
overrides the level with a reason that the student's explanation then shows."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from lti_tool.services.grading import recalculate_course
from lti_tool.services.sandbox import SANDBOX_COURSE
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import Course, CourseFramework, Framework, Person, Standard
from tests.integration.student.course_data import add_assignment, add_score

from .conftest import save_screenshot

STUDENTS = [("sandbox-grid-ada", "Ada Grid"), ("sandbox-grid-bo", "Bo Grid")]
STANDARDS = [("6.EE.1", "Write and evaluate numerical expressions involving exponents."),
             ("6.EE.2", "Write, read and evaluate expressions in which letters stand for numbers.")]


def _scores(app) -> None:  # type: ignore[no-untyped-def]
    """Standards and scores for the two launched students, then a recalculation."""
    with session_scope(app.extensions["sbg"].sessions) as session:
        people = [session.scalar(select(Person).where(Person.sub == sub)) for sub, _ in STUDENTS]
        course = session.scalar(select(Course).where(Course.context_id == SANDBOX_COURSE,
                                                     Course.platform_id == people[0].platform_id))
        chosen = session.get(CourseFramework, course.id)
        if chosen is None:
            framework = Framework(district_id=course.platform.district_id, identifier=f"fw-{uuid.uuid4().hex[:8]}",
                                  title="Math 6")
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
                                    code=code, label=code, statement=statement, position=200 + position)
                session.add(standard)
                session.flush()
            standards.append(standard)
        quiz = add_assignment(session, course.id, f"Expressions quiz {uuid.uuid4().hex[:4]}", standards)
        add_score(session, course.id, people[0], quiz, 9, day=0)
        add_score(session, course.id, people[1], quiz, 5, day=0)
        recalculate_course(session, course.id)


def test_a_teacher_reads_the_grid_and_overrides_a_level_with_a_reason(app, launch_as):
    for sub, name in STUDENTS:
        launch_as("student", user=sub, name=name)
    _scores(app)
    page = launch_as("teacher")
    assert page.get_by_role("heading", name="Class mastery").is_visible()
    grid = page.get_by_role("table")
    assert grid.get_by_role("rowheader", name="Ada Grid").is_visible()
    assert grid.get_by_role("columnheader", name="6.EE.1").is_visible()
    save_screenshot(page, "teacher-grid")

    page.get_by_role("searchbox", name="Student").fill("Bo")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_role("rowheader", name="Bo Grid").is_visible()
    assert page.get_by_role("rowheader", name="Ada Grid").count() == 0

    page.get_by_role("row", name="Bo Grid").get_by_role("link").first.click()
    assert page.get_by_role("heading", name="What the student sees").is_visible()
    page.get_by_label("Meets (3)").check()
    page.get_by_label("Reason (students and families see it)").fill("Showed mastery in our conference")
    save_screenshot(page, "teacher-override")
    page.get_by_role("button", name="Set level").click()
    page.wait_for_load_state()
    assert "Showed mastery in our conference" in page.content()
    assert page.get_by_role("button", name="Remove override").is_visible()
    page.get_by_role("button", name="Remove override").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Remove override").count() == 0
