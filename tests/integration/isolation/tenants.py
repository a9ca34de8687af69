"""Two districts, each with two courses full of data, and session tokens for every role in the first course.

The isolation and API fuzz tests use it to ask: with my own session, can I reach someone else's ids?
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask
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
    Person,
    Platform,
    ProficiencyScaleRecord,
    Standard,
)
from lti_tool.storage.models.admin import PendingImport
from lti_tool.web.auth import SessionIdentity, issue_token

ROLES = ("student", "mentor", "teacher", "admin")
LEVELS = [{"points": 4, "label": "Exceeds", "description": "", "colour": "#1b7837"},
          {"points": 3, "label": "Meets", "description": "", "colour": "#5aae61"},
          {"points": 2, "label": "Approaching", "description": "", "colour": "#f1a340"},
          {"points": 1, "label": "Beginning", "description": "", "colour": "#d73027"}]
POLICY = {"conversion": {"cut_scores": [{"min_percent": 75, "points": 3}, {"min_percent": 0, "points": 1}]},
          "method": {"name": "decaying_average"}, "rounding": 2}


@dataclass
class CourseWorld:
    """One course's people and records, by kind; every id is a real row."""

    district_id: int
    platform_id: int
    course_id: int
    marker: str  # appears in every name and title of this course: its presence in a response is a leak
    people: dict[str, int] = field(default_factory=dict)  # student, student2, mentor, teacher, admin
    ids: dict[str, list[int | str]] = field(default_factory=dict)  # kind -> ids of this course (or district)

    def identity(self, role: str) -> SessionIdentity:
        """The session of this course's person holding `role`."""
        return SessionIdentity(person_id=self.people[role], course_id=self.course_id, platform_id=self.platform_id,
                               district_id=self.district_id, role=role)


@dataclass
class World:
    """`home` is the caller's course; `same_district` another course of the district; `other_district` elsewhere."""

    home: CourseWorld
    same_district: CourseWorld
    other_district: CourseWorld

    def tokens(self, app: Flask) -> dict[str, str]:
        """A signed session token per role, in the home course."""
        with app.test_request_context():
            return {role: issue_token(self.home.identity(role)) for role in ROLES}


def _district(session: Session) -> tuple[District, Platform]:
    name = f"iso-{uuid.uuid4().hex[:10]}"
    district = District(name=name)
    session.add(district)
    session.flush()
    issuer = f"https://{name}.example.test"
    platform = Platform(district_id=district.id, name=f"platform-{name}", issuer=issuer, client_id="client",
                        auth_url=f"{issuer}/auth", token_url=f"{issuer}/token", jwks_url=f"{issuer}/jwks")
    session.add(platform)
    session.flush()
    return district, platform


def _person(session: Session, course: Course, role: str, marker: str, mentees: list[str] | None = None) -> Person:
    person = Person(platform_id=course.platform_id, sub=f"{role}-{uuid.uuid4().hex[:8]}", name=f"{role} {marker}")
    session.add(person)
    session.flush()
    session.add(Enrollment(course_id=course.id, person_id=person.id, role="student" if role == "student2" else role,
                           mentees=mentees or []))
    return person


def _course(session: Session, district: District, platform: Platform) -> CourseWorld:
    marker = f"mark{uuid.uuid4().hex[:12]}"
    course = Course(platform_id=platform.id, deployment_id="d1", context_id=f"ctx-{uuid.uuid4().hex[:10]}",
                    title=f"Course {marker}", label="ISO")
    session.add(course)
    session.flush()
    world = CourseWorld(district_id=district.id, platform_id=platform.id, course_id=course.id, marker=marker)
    student, student2 = _person(session, course, "student", marker), _person(session, course, "student2", marker)
    mentor = _person(session, course, "mentor", marker, mentees=[student.sub])
    teacher, admin = _person(session, course, "teacher", marker), _person(session, course, "admin", marker)
    world.people = {"student": student.id, "student2": student2.id, "mentor": mentor.id, "teacher": teacher.id,
                    "admin": admin.id}

    framework = Framework(district_id=district.id, identifier=f"fw-{uuid.uuid4().hex[:10]}", title=f"Framework {marker}")
    session.add(framework)
    session.flush()
    standards = [Standard(framework_id=framework.id, identifier=f"S{n}-{uuid.uuid4().hex[:6]}", code=f"S.{n}",
                          label=f"S.{n}", statement=f"Standard {n} {marker}", position=n) for n in (1, 2)]
    session.add_all(standards)
    session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
    scale = ProficiencyScaleRecord(district_id=district.id, name=f"scale {marker}", levels=LEVELS,
                                   mastery_points=3)
    session.add(scale)
    session.flush()
    session.add(GradingPolicyRecord(district_id=district.id, course_id=course.id, scale_id=scale.id,
                                    settings=POLICY))
    assignment = Assignment(course_id=course.id, source="canvas", lms_id=uuid.uuid4().hex, title=f"Quiz {marker}",
                            points_possible=10)
    session.add(assignment)
    session.flush()
    alignment = Alignment(assignment_id=assignment.id, standard_id=standards[0].id, weight=1.0, rubric_criterion="")
    session.add(alignment)
    for person in (student, student2):
        session.add(EvidenceRecord(course_id=course.id, person_id=person.id, assignment_id=assignment.id,
                                   rubric_criterion="", score=8, max_score=10,
                                   submitted_at=datetime(2026, 9, 1, tzinfo=UTC), source="canvas"))
    pending = PendingImport(id=uuid.uuid4().hex, district_id=district.id, format="csv", filename=f"{marker}.csv", title=f"Import {marker}",
                            data=b"code,parent_code,label,statement\nA,,A,A\n")
    session.add(pending)
    session.flush()
    world.ids = {
        "course": [course.id], "person": [student.id, student2.id], "standard": [s.id for s in standards],
        "framework": [framework.id], "scale": [scale.id], "assignment": [assignment.id],
        "alignment": [alignment.id], "pending_import": [pending.id],
    }
    return world


def build_world(session: Session) -> World:
    """Create both districts and three courses, committed."""
    district_a, platform_a = _district(session)
    district_b, platform_b = _district(session)
    world = World(home=_course(session, district_a, platform_a), same_district=_course(session, district_a, platform_a),
                  other_district=_course(session, district_b, platform_b))
    session.commit()
    return world
