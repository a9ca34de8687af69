"""The sandbox district and its built-in development platform, seeded by `make run` outside production."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import District, Platform

from .platforms import PlatformSpec, add_district, add_platform
from .policies import seed_district_defaults

SANDBOX_DISTRICT = "sandbox"
SANDBOX_PLATFORM = "sandbox"
SANDBOX_CLIENT_ID = "sbg-sandbox"
SANDBOX_DEPLOYMENT = "sandbox-deployment"
SANDBOX_COURSE = "sandbox-course"


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
    return platform
