"""Build a district, course, framework, policy, people, assignments and scores for student-area tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    CourseFramework,
    District,
    Enrollment,
    EvidenceRecord,
    Framework,
    GradingPolicyRecord,
    OverrideRecord,
    Person,
    Platform,
    ProficiencyScaleRecord,
    Standard,
)

LEVELS = [
    {"points": 4, "label": "Exceeds", "description": "Goes beyond the standard", "colour": "#1b7837"},
    {"points": 3, "label": "Meets", "description": "Meets the standard", "colour": "#5aae61"},
    {"points": 2, "label": "Approaching", "description": "Almost there", "colour": "#f1a340"},
    {"points": 1, "label": "Beginning", "description": "Just starting", "colour": "#d73027"},
]
CUT_SCORES = [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
              {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]
AVERAGE_GRADES = {"kind": "average", "cuts": [{"min": 3.5, "grade": "A"}, {"min": 3, "grade": "B"},
                                              {"min": 2.5, "grade": "C"}, {"min": 2, "grade": "D"},
                                              {"min": 0, "grade": "F"}]}
START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def policy_settings(method: dict[str, Any] | str = "decaying_average", **extra: Any) -> dict[str, Any]:
    """A grading policy document: the shared cut scores, a method, rounding 2 and average letter grades."""
    settings: dict[str, Any] = {"conversion": {"cut_scores": CUT_SCORES},
                                "method": method if isinstance(method, dict) else {"name": method},
                                "rounding": 2, "grade_rules": AVERAGE_GRADES}
    settings.update(extra)
    return settings


@dataclass
class CourseData:
    """Ids of everything built for one test course."""

    district_id: int
    platform_id: int
    course_id: int
    framework_id: int
    standards: list[int] = field(default_factory=list)


def new_platform(session: Session, district_name: str | None = None) -> Platform:
    """A fresh district with one platform registration."""
    name = district_name or f"district-{uuid.uuid4().hex[:10]}"
    district = District(name=name)
    session.add(district)
    session.flush()
    issuer = f"https://{name}.example.test"
    platform = Platform(district_id=district.id, name=f"platform-{name}", issuer=issuer, client_id="client",
                        auth_url=f"{issuer}/auth", token_url=f"{issuer}/token", jwks_url=f"{issuer}/jwks")
    session.add(platform)
    session.flush()
    return platform


def new_course(session: Session, platform: Platform, title: str = "Grade 8 Math") -> Course:
    """A course on that platform."""
    course = Course(platform_id=platform.id, deployment_id="d1", context_id=f"ctx-{uuid.uuid4().hex[:10]}",
                    title=title, label="MATH8")
    session.add(course)
    session.flush()
    return course


def add_policy(session: Session, district_id: int, settings: dict[str, Any] | None = None,
               course_id: int | None = None) -> GradingPolicyRecord:
    """A district default policy (or a course's) with the standard 4-level scale."""
    scale = ProficiencyScaleRecord(district_id=district_id, name=f"scale-{uuid.uuid4().hex[:8]}", levels=LEVELS,
                                   mastery_points=3)
    session.add(scale)
    session.flush()
    record = GradingPolicyRecord(district_id=district_id, course_id=course_id, scale_id=scale.id,
                                 settings=settings if settings is not None else policy_settings())
    session.add(record)
    session.flush()
    return record


def add_framework(session: Session, district_id: int, course_id: int,
                  standards: list[tuple[str, str]]) -> list[Standard]:
    """A framework with (code, statement) standards, chosen for the course."""
    framework = Framework(district_id=district_id, identifier=f"fw-{uuid.uuid4().hex[:10]}", title="Math 8")
    session.add(framework)
    session.flush()
    made = []
    for position, (code, statement) in enumerate(standards):
        standard = Standard(framework_id=framework.id, identifier=code, code=code, label=code, statement=statement,
                            position=position)
        session.add(standard)
        made.append(standard)
    session.add(CourseFramework(course_id=course_id, framework_id=framework.id))
    session.flush()
    return made


def enroll(session: Session, course: Course, sub: str, role: str = "student", name: str = "",
           mentees: list[str] | None = None) -> Person:
    """A person enrolled in the course with an area role (student, mentor, teacher, admin)."""
    person = Person(platform_id=course.platform_id, sub=sub, name=name or sub)
    session.add(person)
    session.flush()
    session.add(Enrollment(course_id=course.id, person_id=person.id, role=role, mentees=mentees or []))
    session.flush()
    return person


def add_assignment(session: Session, course_id: int, title: str, standards: list[Standard], *,
                   reassesses: Assignment | None = None, weight: float = 1.0, criterion: str = "") -> Assignment:
    """An assignment aligned (whole, or one rubric criterion) to the given standards."""
    assignment = Assignment(course_id=course_id, source="canvas", lms_id=uuid.uuid4().hex, title=title,
                            points_possible=10, reassesses_id=reassesses.id if reassesses else None)
    session.add(assignment)
    session.flush()
    for standard in standards:
        session.add(Alignment(assignment_id=assignment.id, standard_id=standard.id, weight=weight,
                              rubric_criterion=criterion))
    session.flush()
    return assignment


def add_score(session: Session, course_id: int, person: Person, assignment: Assignment, score: float | None,
              maximum: float | None = 10, *, day: int = 0, criterion: str = "", points: float | None = None,
              excused: bool = False, missing: bool = False) -> EvidenceRecord:
    """One score (or rubric rating in points) of a person on an assignment, `day` days after September 1."""
    record = EvidenceRecord(course_id=course_id, person_id=person.id, assignment_id=assignment.id,
                            rubric_criterion=criterion, score=score, max_score=maximum if points is None else None,
                            rubric_points=points, submitted_at=START + timedelta(days=day), excused=excused,
                            missing=missing, source="canvas")
    session.add(record)
    session.flush()
    return record


def add_override(session: Session, course_id: int, person: Person, standard: Standard, points: float,
                 reason: str = "Shown in class") -> OverrideRecord:
    """A teacher's active override."""
    record = OverrideRecord(course_id=course_id, person_id=person.id, standard_id=standard.id,
                            level_points=points, reason=reason, set_by="teacher-1")
    session.add(record)
    session.flush()
    return record
