"""The sandbox district and its built-in development platform, seeded by `make run` outside production."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import Course, CourseFramework, District, Framework, Platform

from .platforms import PlatformSpec, add_district, add_platform
from .policies import seed_district_defaults

SANDBOX_DISTRICT = "sandbox"
SANDBOX_PLATFORM = "sandbox"
SANDBOX_CLIENT_ID = "sbg-sandbox"
SANDBOX_DEPLOYMENT = "sandbox-deployment"
SANDBOX_COURSE = "sandbox-course"
SAMPLE_FRAMEWORK = Path(__file__).resolve().parent.parent / "sandbox_data" / "ccss-math-ratios.case.json"


def dev_issuer(base_url: str) -> str:
    """The development platform's issuer, served by the tool itself."""
    return f"{base_url}/dev/platform"


def seed_sandbox(session: Session, base_url: str) -> Platform:
    """Create the sandbox district and register the development platform (idempotent)."""
    district = session.scalar(select(District).where(District.name == SANDBOX_DISTRICT))
    if district is None:
        district = add_district(session, SANDBOX_DISTRICT, actor="sandbox")
    seed_district_defaults(session, district.id, actor="sandbox")
    issuer = dev_issuer(base_url)
    platform = session.scalar(select(Platform).where(Platform.name == SANDBOX_PLATFORM))
    if platform is not None and platform.issuer != issuer:
        session.delete(platform)
        session.flush()
        platform = None
    if platform is None:
        platform = add_platform(session, PlatformSpec(
            name=SANDBOX_PLATFORM, issuer=issuer, client_id=SANDBOX_CLIENT_ID, auth_url=f"{issuer}/auth",
            token_url=f"{issuer}/token", jwks_url=f"{issuer}/jwks.json", deployment_ids=(SANDBOX_DEPLOYMENT,),
            district=SANDBOX_DISTRICT, product="other", registered_via="sandbox",
        ), allow_http=True, actor="sandbox")
    _seed_course_with_framework(session, district.id, platform)
    return platform


def _seed_course_with_framework(session: Session, district_id: int, platform: Platform) -> None:
    """The sample framework (CCSS ratios, CASE) and the sandbox course graded against it."""
    from .frameworks import import_framework, parse_framework

    draft = parse_framework(SAMPLE_FRAMEWORK.read_bytes(), "case")
    framework = session.scalar(select(Framework).where(Framework.district_id == district_id,
                                                       Framework.identifier == draft.identifier))
    framework_id = framework.id if framework else import_framework(session, district_id, draft,
                                                                   actor="sandbox").framework_id
    course = session.scalar(select(Course).where(Course.platform_id == platform.id,
                                                 Course.context_id == SANDBOX_COURSE))
    if course is None:
        course = Course(platform_id=platform.id, context_id=SANDBOX_COURSE, deployment_id=SANDBOX_DEPLOYMENT,
                        title="Sandbox Math 7", label="MATH7", lms_course_id=SANDBOX_COURSE, locale="en")
        session.add(course)
        session.flush()
    if session.get(CourseFramework, course.id) is None:
        session.add(CourseFramework(course_id=course.id, framework_id=framework_id, chosen_by="sandbox"))
        session.flush()
