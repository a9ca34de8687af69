"""Builders for the admin-area tests: districts with a platform, a course and an admin person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from lti_tool.services.platforms import add_district
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.models import Alignment, Assignment, Course, Person, Platform

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = {
    "case": DATA / "ccss-math-ratios.case.json",
    "canvas": DATA / "ccss-math-ratios.outcomes.csv",
    "moodle": DATA / "ccss-math-ratios.competencies.csv",
    "csv": DATA / "grade8-expressions-v1.csv",
}


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class DistrictSetup:
    """Ids of a district made for one test."""

    district_id: int
    name: str
    platform_id: int
    course_id: int
    person_id: int


def make_district(session: Session, prefix: str = "district") -> DistrictSetup:
    """A seeded district with a platform, a course and a person; committed."""
    district = add_district(session, unique(prefix), actor="test")
    seed_district_defaults(session, district.id)
    name = unique("platform")
    platform = Platform(district_id=district.id, name=name, issuer=f"https://{name}.example.org", client_id="c",
                        auth_url="https://a.example.org", token_url="https://t.example.org",
                        jwks_url="https://j.example.org")
    session.add(platform)
    session.flush()
    course = Course(platform_id=platform.id, deployment_id="d", context_id=unique("ctx"), title="Grade 8 math")
    person = Person(platform_id=platform.id, sub=unique("admin"), name="Ada Admin")
    session.add_all([course, person])
    session.commit()
    return DistrictSetup(district.id, district.name, platform.id, course.id, person.id)


def align(session: Session, course_id: int, standard_id: int, title: str = "Quiz") -> int:
    """An assignment of the course aligned to a standard; returns the alignment id (committed)."""
    assignment = Assignment(course_id=course_id, source="canvas", lms_id=unique("a"), title=title)
    session.add(assignment)
    session.flush()
    alignment = Alignment(assignment_id=assignment.id, standard_id=standard_id, created_by="teacher")
    session.add(alignment)
    session.commit()
    return alignment.id
