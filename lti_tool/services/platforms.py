"""Districts and platform registrations: add, list, remove, and lookups for launches."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lti_tool.adapters.lti.launch import Registration
from lti_tool.storage.models import Deployment, District, Platform

from . import audit
from .errors import NotFound, ServiceError


@dataclass(frozen=True)
class PlatformSpec:
    """What an admin supplies to register a platform."""

    name: str
    issuer: str
    client_id: str
    auth_url: str
    token_url: str
    jwks_url: str
    deployment_ids: tuple[str, ...] = ()
    district: str = "default"
    product: str = ""
    registered_via: str = "cli"


def _check_url(label: str, url: str, allow_http: bool) -> None:
    parts = urlsplit(url)
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes or not parts.netloc:
        raise ServiceError(f"{label} must be an absolute {'http(s)' if allow_http else 'https'} URL, got {url!r}.")


def guess_product(issuer: str) -> str:
    """Canvas issuers are canvas.instructure.com (or a test/beta variant); others are treated as Moodle-like."""
    host = urlsplit(issuer).netloc
    return "canvas" if host.endswith("instructure.com") else "other"


def get_district(session: Session, name: str) -> District:
    """The district with this name."""
    district = session.scalar(select(District).where(District.name == name))
    if district is None:
        raise NotFound(f"No district named {name!r}.")
    return district


def add_district(session: Session, name: str, actor: str = "cli") -> District:
    """Create a district (tenant)."""
    name = name.strip()
    if not name:
        raise ServiceError("A district needs a name.")
    if session.scalar(select(District).where(District.name == name)):
        raise ServiceError(f"A district named {name!r} already exists.")
    district = District(name=name)
    session.add(district)
    session.flush()
    audit.record(session, district_id=district.id, actor=actor, action="create", entity="district",
                 entity_id=district.id, after={"name": name})
    return district


def list_districts(session: Session) -> list[District]:
    """All districts by name."""
    return list(session.scalars(select(District).order_by(District.name)))


def add_platform(session: Session, spec: PlatformSpec, *, allow_http: bool = False, actor: str = "cli") -> Platform:
    """Register a platform with its deployments in a district."""
    for label, url in (("--issuer", spec.issuer), ("--auth-url", spec.auth_url),
                       ("--token-url", spec.token_url), ("--jwks-url", spec.jwks_url)):
        _check_url(label, url, allow_http)
    if not spec.name.strip() or not spec.client_id.strip():
        raise ServiceError("A platform needs a name and a client id.")
    district = get_district(session, spec.district)
    if session.scalar(select(Platform).where(Platform.name == spec.name)):
        raise ServiceError(f"A platform named {spec.name!r} already exists.")
    if session.scalar(select(Platform).where(Platform.issuer == spec.issuer, Platform.client_id == spec.client_id)):
        raise ServiceError(f"Issuer {spec.issuer!r} with client id {spec.client_id!r} is already registered.")
    platform = Platform(
        name=spec.name, issuer=spec.issuer, client_id=spec.client_id, auth_url=spec.auth_url,
        token_url=spec.token_url, jwks_url=spec.jwks_url, district_id=district.id,
        product=spec.product or guess_product(spec.issuer), registered_via=spec.registered_via,
    )
    platform.deployments = [Deployment(deployment_id=d) for d in dict.fromkeys(spec.deployment_ids)]
    session.add(platform)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ServiceError("That platform registration conflicts with an existing one.") from exc
    audit.record(session, district_id=district.id, actor=actor, action="create", entity="platform",
                 entity_id=platform.id, after=describe_platform(platform))
    return platform


def describe_platform(platform: Platform) -> dict[str, object]:
    """A JSON-ready summary of a registration (no secrets: registrations hold none)."""
    return {
        "name": platform.name, "issuer": platform.issuer, "client_id": platform.client_id,
        "auth_url": platform.auth_url, "token_url": platform.token_url, "jwks_url": platform.jwks_url,
        "deployment_ids": [d.deployment_id for d in platform.deployments], "product": platform.product,
        "district": platform.district.name if platform.district else None,
        "registered_via": platform.registered_via,
    }


def list_platforms(session: Session, district: str | None = None) -> list[Platform]:
    """Registrations, optionally of one district only."""
    query = select(Platform).options(selectinload(Platform.deployments), selectinload(Platform.district))
    if district:
        query = query.where(Platform.district_id == get_district(session, district).id)
    return list(session.scalars(query.order_by(Platform.name)))


def get_platform(session: Session, name: str, district_id: int | None = None) -> Platform:
    """A registration by name, optionally required to belong to a district."""
    query = select(Platform).where(Platform.name == name)
    if district_id is not None:
        query = query.where(Platform.district_id == district_id)
    platform = session.scalar(query)
    if platform is None:
        raise NotFound(f"No platform named {name!r}.")
    return platform


def remove_platform(session: Session, name: str, actor: str = "cli") -> None:
    """Delete a registration, its deployments, and its courses' LTI records."""
    platform = get_platform(session, name)
    audit.record(session, district_id=platform.district_id, actor=actor, action="delete", entity="platform",
                 entity_id=platform.id, before=describe_platform(platform))
    session.delete(platform)


def add_deployment(session: Session, platform: Platform, deployment_id: str, *, first_launch: bool,
                   actor: str) -> Deployment:
    """Record one more deployment of a registration."""
    deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id,
                            recorded_at_first_launch=first_launch)
    session.add(deployment)
    session.flush()
    audit.record(session, district_id=platform.district_id, actor=actor, action="create", entity="deployment",
                 entity_id=deployment.id, after={"platform": platform.name, "deployment_id": deployment_id,
                                                 "recorded_at_first_launch": first_launch})
    return deployment


@dataclass
class DatabaseRegistrationLookup:
    """Implements the launch validator's RegistrationLookup over the database."""

    session: Session

    def find(self, issuer: str, client_id: str) -> Registration | None:
        """The registration for this issuer and client id."""
        platform = self.session.scalar(
            select(Platform).options(selectinload(Platform.deployments))
            .where(Platform.issuer == issuer, Platform.client_id == client_id)
        )
        return None if platform is None else registration_of(platform)


def registration_of(platform: Platform) -> Registration:
    """The launch validator's view of a platform registration."""
    return Registration(
        platform_id=platform.id,
        issuer=platform.issuer,
        client_id=platform.client_id,
        jwks_url=platform.jwks_url,
        deployment_ids=frozenset(d.deployment_id for d in platform.deployments),
        records_new_deployments=platform.registered_via == "dynamic",
    )
