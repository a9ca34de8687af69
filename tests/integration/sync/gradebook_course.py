"""Build a course that the tool can sync to the test platform: both sides know the same students and course."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.adapters.lti.ags import AGS_SCOPES
from lti_tool.services.platforms import PlatformSpec, add_platform
from lti_tool.services.policies import seed_district_defaults
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    District,
    Enrollment,
    Framework,
    MasteryResultRecord,
    OverallGradeRecord,
    Person,
    Platform,
    Standard,
)
from tests.lti_platform import LtiPlatform

LABELS = {4: "Exceeds", 3: "Meets", 2: "Approaching", 1: "Beginning"}
MOMENT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class GradebookCourse:
    """Ids on the tool's side and names on the platform's side of one synced course."""

    profile: str
    platform_name: str
    client_id: str
    lms_course_id: str
    course_id: int
    district: str
    people: dict[str, int] = field(default_factory=dict)  # LTI subject -> person id
    standards: list[int] = field(default_factory=list)


def register_tool(lms: LtiPlatform, base_url: str, profile: str,
                  tool_jwks: dict | None = None) -> tuple[str, str]:  # type: ignore[type-arg]
    """A fresh client id registered on the platform (JWKS fetched from the live tool unless `tool_jwks` is given);
    returns (client id, deployment id)."""
    client_id = f"{profile}-{uuid.uuid4().hex[:10]}"
    deployment = lms.canvas_deployment_id() if profile == "canvas" else "1"
    lms.register_tool(client_id, [deployment], f"{base_url}/lti/login", f"{base_url}/lti/launch",
                      None if tool_jwks else f"{base_url}/.well-known/jwks.json", tool_jwks=tool_jwks)
    return client_id, deployment


def build_course(session: Session, lms: LtiPlatform, base_url: str, profile: str, *, students: int = 3,
                 standards: int = 2, levels: list[list[int]] | None = None,
                 tool_jwks: dict | None = None) -> GradebookCourse:  # type: ignore[type-arg]
    """Register platform and tool, create a course on both sides with students, standards and stored results."""
    client_id, deployment = register_tool(lms, base_url, profile, tool_jwks)
    district_name = f"district-{uuid.uuid4().hex[:10]}"
    session.add(District(name=district_name))
    session.flush()
    name = f"{profile}-{client_id}"
    platform = add_platform(session, PlatformSpec(name=name, client_id=client_id, deployment_ids=(deployment,),
                                                  district=district_name, **lms.platform_config(profile)),
                            allow_http=True)
    seed_district_defaults(session, platform.district_id)
    lms_course_id = str(uuid.uuid4().int % 10**9)
    lms_course = lms.add_course(lms_course_id, "MATH8", "Grade 8 Math")
    course = Course(platform_id=platform.id, deployment_id=deployment, context_id=f"ctx-{lms_course_id}",
                    title="Grade 8 Math", label="MATH8", lms_course_id=lms_course_id,
                    ags_lineitems_url=lms.lineitems_url(profile, lms_course_id, deployment if profile == "moodle" else "1"),
                    ags_scopes=list(AGS_SCOPES))
    session.add(course)
    framework = Framework(district_id=platform.district_id, identifier=f"fw-{uuid.uuid4().hex[:8]}", title="Math")
    session.add(framework)
    session.flush()
    session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
    made = GradebookCourse(profile, name, client_id, lms_course_id, course.id, district_name)
    for index in range(standards):
        standard = Standard(framework_id=framework.id, identifier=f"{framework.identifier}-{index}",
                            code=f"8.EE.{index + 1}", label=f"Expressions {index + 1}", position=index)
        session.add(standard)
        session.flush()
        made.standards.append(standard.id)
    for index in range(students):
        user = lms.add_user(str(uuid.uuid4().int % 10**9), f"Student{index}", "Sync", None)
        lms.enroll(lms_course, user, "learner")
        sub = lms.subject(profile, user)
        person = Person(platform_id=platform.id, sub=sub, name=f"Student{index} Sync", lms_user_id=user.id)
        session.add(person)
        session.flush()
        session.add(Enrollment(course_id=course.id, person_id=person.id, role="student"))
        made.people[sub] = person.id
    session.flush()
    set_levels(session, made, levels or [[(s + p) % 4 + 1 for s in range(standards)] for p in range(students)])
    return made


def set_levels(session: Session, made: GradebookCourse, levels: list[list[int]]) -> None:
    """Store results as a recalculation would: levels[student][standard] points, plus an overall average."""
    people = list(made.people.values())
    for p_index, person_id in enumerate(people):
        for s_index, standard_id in enumerate(made.standards):
            points = levels[p_index][s_index]
            row = session.scalar(select(MasteryResultRecord).where(
                MasteryResultRecord.course_id == made.course_id, MasteryResultRecord.person_id == person_id,
                MasteryResultRecord.standard_id == standard_id))
            if row is None:
                row = MasteryResultRecord(course_id=made.course_id, person_id=person_id, standard_id=standard_id)
                session.add(row)
            row.level_points, row.level_label, row.score = float(points), LABELS[points], float(points)
            row.mastered, row.evidence_count, row.trace = points >= 3, 2, []
        average = sum(levels[p_index]) / len(levels[p_index])
        grade = session.scalar(select(OverallGradeRecord).where(OverallGradeRecord.course_id == made.course_id,
                                                                OverallGradeRecord.person_id == person_id))
        if grade is None:
            grade = OverallGradeRecord(course_id=made.course_id, person_id=person_id)
            session.add(grade)
        grade.average, grade.letter, grade.trace = average, "A" if average >= 3.5 else "B", []
    session.flush()


def platform_of(session: Session, made: GradebookCourse) -> Platform:
    """The tool's platform record of a built course."""
    return session.scalar(select(Platform).where(Platform.name == made.platform_name))  # type: ignore[return-value]
