"""Builders for the intake tests: a district with a Canvas or Moodle platform, a course, its people and a framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from lti_tool.services.platforms import add_district
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    Enrollment,
    Framework,
    Person,
    Platform,
    Standard,
)

#: The fake Canvas course's outcome vendor_guids (tests/fakes/canvas_server.py).
RP_A_1_GUID = "b6f61076-aa12-450b-8f9d-b86bc071f85e"
SEVEN_RP_A_1_GUID = "40f75f2b-8de6-4ff4-b28c-ac64c658777a"
STANDARDS = (
    ("CCSS.Math.Content.6.RP.A.1", RP_A_1_GUID),
    ("CCSS.Math.Content.6.RP.A.2", "guid-6-rp-a-2"),
    ("CCSS.Math.Content.6.RP.A.3", "guid-6-rp-a-3"),
    ("CCSS.Math.Content.7.RP.A.1", SEVEN_RP_A_1_GUID),
    ("CCSS.Math.Content.7.RP.A.2", "guid-7-rp-a-2"),
    ("8.EE.1", "guid-8-ee-1"),
)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class IntakeSetup:
    """Ids of what a test built."""

    district_id: int
    platform_id: int
    platform_name: str
    course_id: int
    teacher_id: int
    framework_id: int
    students: dict[str, int] = field(default_factory=dict)  # LMS user id -> person id
    standards: dict[str, int] = field(default_factory=dict)  # code -> standard id


def make_framework(session: Session, district_id: int, codes=STANDARDS) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    """A framework holding the given (code, identifier) standards."""
    framework = Framework(district_id=district_id, identifier=unique("fw"), title=unique("Ratios"))
    session.add(framework)
    session.flush()
    ids = {}
    for position, (code, identifier) in enumerate(codes):
        standard = Standard(framework_id=framework.id, identifier=identifier, code=code, label=code,
                            statement=f"Statement of {code}", position=position)
        session.add(standard)
        session.flush()
        ids[code] = standard.id
    return framework.id, ids


def make_course(session: Session, *, product: str = "canvas", lms_course_id: str = "101",
                student_ids: list[str] | None = None, issuer: str = "", with_framework: bool = True,
                emails: bool = False) -> IntakeSetup:
    """A seeded district, a platform of `product`, a course with a teacher and students; committed."""
    district = add_district(session, unique("district"), actor="test")
    seed_district_defaults(session, district.id)
    name = unique("platform")
    platform = Platform(district_id=district.id, name=name, product=product,
                        issuer=issuer or f"https://{name}.example.org", client_id="c",
                        auth_url="https://a.example.org", token_url="https://t.example.org",
                        jwks_url="https://j.example.org")
    session.add(platform)
    session.flush()
    course = Course(platform_id=platform.id, deployment_id="d", context_id=unique("ctx"), title="Ratios",
                    lms_course_id=lms_course_id, custom={"canvas_api_domain": "canvas.example"})
    teacher = Person(platform_id=platform.id, sub=unique("teacher"), name="Grace Hopper", lms_user_id="42")
    session.add_all([course, teacher])
    session.flush()
    session.add(Enrollment(course_id=course.id, person_id=teacher.id, role="teacher"))
    students = {}
    for number, lms_id in enumerate(student_ids or []):
        person = Person(platform_id=platform.id, sub=lms_id if product == "moodle" else unique("sub"),
                        name=f"Student {number + 1}", lms_user_id=lms_id,
                        email=f"s{number + 1}@school.example" if emails else "")
        session.add(person)
        session.flush()
        session.add(Enrollment(course_id=course.id, person_id=person.id, role="student"))
        students[lms_id] = person.id
    framework_id, standards = make_framework(session, district.id)
    if with_framework:
        session.add(CourseFramework(course_id=course.id, framework_id=framework_id, chosen_by="test"))
    session.commit()
    return IntakeSetup(district.id, platform.id, name, course.id, teacher.id, framework_id, students, standards)
