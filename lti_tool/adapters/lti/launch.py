"""Validate an LTI 1.3 id_token (1EdTech security framework) and turn its claims into a LaunchContext."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators

from . import claims as c
from .errors import LaunchError
from .platform_keys import PlatformKeyCache
from .roles import area_for_roles
from .tool_config import origin

MAX_ID_TOKEN_BYTES = 64 * 1024
REQUIRED_REGISTERED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "nonce"]


@dataclass(frozen=True)
class Registration:
    """What the launch validator needs to know about one platform registration."""

    platform_id: int
    issuer: str
    client_id: str
    jwks_url: str
    deployment_ids: frozenset[str]
    # A client registered dynamically by Canvas has no deployment id until its first launch.
    records_new_deployments: bool = False


class RegistrationLookup(Protocol):
    """Finds registrations by issuer and client id (implemented over the database)."""

    def find(self, issuer: str, client_id: str) -> Registration | None:
        """The registration for this issuer and client, or None."""


@dataclass(frozen=True)
class LaunchContext:
    """Everything the tool keeps from a validated launch; no pylti1p3 or JWT types leak past here."""

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    sub: str
    area: str
    roles: tuple[str, ...]
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    context_id: str = ""
    context_title: str = ""
    context_label: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    locale: str = ""
    return_url: str = ""
    ags_lineitems_url: str = ""
    ags_lineitem_url: str = ""
    ags_scopes: tuple[str, ...] = ()
    nrps_url: str = ""
    mentees: tuple[str, ...] = ()
    product_family: str = ""
    target_link_uri: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    deep_linking_settings: dict[str, Any] = field(default_factory=dict)
    nonce: str = ""
    new_deployment: bool = False

    @property
    def lms_course_id(self) -> str:
        """The LMS's own course id where the platform shares it (Canvas custom field), else the context id."""
        return self.custom.get("canvas_course_id") or self.context_id

    @property
    def lms_user_id(self) -> str:
        """The LMS's own user id where the platform shares it, else empty."""
        return self.custom.get("canvas_user_id") or ""


def _refuse(code: str, message: str, hint: str = "", status: int = 400) -> LaunchError:
    return LaunchError(code, message, hint or "Ask your LMS administrator to check the tool's registration.", status)


def _unverified_parts(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(id_token)
        body = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _refuse("malformed_token", "The launch's id_token is not a valid JSON Web Token.") from exc
    if not isinstance(body, dict):
        raise _refuse("malformed_token", "The launch's id_token does not hold a JSON object.")
    return header, body


def _audiences(body: dict[str, Any]) -> list[str]:
    aud = body.get("aud")
    if isinstance(aud, str) and aud:
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return list(aud)
    raise _refuse("missing_aud", "The id_token has no audience (aud), so it cannot be matched to a registration.")


def _find_registration(lookup: RegistrationLookup, issuer: str, audiences: list[str]) -> Registration:
    for client_id in audiences:
        registration = lookup.find(issuer, client_id)
        if registration is not None:
            return registration
    raise _refuse(
        "unknown_registration",
        f"No registration of this tool matches issuer {issuer!r} and client id(s) {', '.join(audiences)}.",
        "Register the platform first (sbg platform add, dynamic registration, or the admin area).",
        status=403,
    )


def decode_id_token(
    id_token: str,
    *,
    lookup: RegistrationLookup,
    keys: PlatformKeyCache,
    tool_base_url: str,
    leeway: int = 60,
) -> LaunchContext:
    """Verify every check of the 1EdTech security framework except the nonce/state pairing, done by the caller."""
    if len(id_token.encode()) > MAX_ID_TOKEN_BYTES:
        raise _refuse("too_large", "The id_token is larger than 64 KB.", status=413)
    header, unverified = _unverified_parts(id_token)
    if header.get("alg") != "RS256":
        raise _refuse("bad_alg", f"The id_token is signed with {header.get('alg')!r}; only RS256 is accepted.")
    kid = header.get("kid")
    if not kid or not isinstance(kid, str):
        raise _refuse("missing_kid", "The id_token header names no key id (kid).")
    issuer = unverified.get("iss")
    if not issuer or not isinstance(issuer, str):
        raise _refuse("missing_iss", "The id_token names no issuer (iss).")
    registration = _find_registration(lookup, issuer, _audiences(unverified))

    key = keys.key_for(registration.jwks_url, kid)
    try:
        body = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=registration.client_id,
            issuer=registration.issuer,
            leeway=leeway,
            options={"require": REQUIRED_REGISTERED_CLAIMS},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise _refuse("missing_claim", f"The id_token lacks the required claim {exc.claim!r}.") from exc
    except jwt.ExpiredSignatureError as exc:
        raise _refuse("expired", "The id_token has expired. Launch the tool again from the course.") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _refuse("not_yet_valid", "The id_token was issued in the future; check the platform's clock.") from exc
    except jwt.InvalidSignatureError as exc:
        raise _refuse("bad_signature", "The id_token's signature does not match the platform's public key.") from exc
    except jwt.PyJWTError as exc:
        raise _refuse("invalid_token", f"The id_token is not valid: {exc}.") from exc

    _check_azp(body, registration.client_id)
    _check_message(body)
    new_deployment = _check_deployment(body, registration)
    _check_target_link_uri(body, tool_base_url)
    return _context_from(body, registration, new_deployment)


def _check_azp(body: dict[str, Any], client_id: str) -> None:
    audiences = body["aud"] if isinstance(body["aud"], list) else [body["aud"]]
    azp = body.get("azp")
    if len(audiences) > 1 and not azp:
        raise _refuse("missing_azp", "The id_token has several audiences but no authorized party (azp).")
    if azp is not None and azp != client_id:
        raise _refuse("bad_azp", f"The id_token's authorized party (azp) {azp!r} is not this tool's client id.")


_OBJECT_CLAIMS = (c.CONTEXT, c.RESOURCE_LINK, c.LAUNCH_PRESENTATION, c.AGS, c.NRPS, c.TOOL_PLATFORM, c.CUSTOM,
                  c.DEEP_LINKING_SETTINGS, c.LIS)
_LIST_CLAIMS = (c.ROLES, c.ROLE_SCOPE_MENTOR)


def _check_shapes(body: dict[str, Any]) -> None:
    """Claims must have the JSON types the spec gives them, before anything reads inside them."""
    for claim in _OBJECT_CLAIMS:
        if claim in body and not isinstance(body[claim], dict):
            raise _refuse("invalid_claim", f"The claim {claim} must be a JSON object.")
    for claim in _LIST_CLAIMS:
        if claim in body and not (isinstance(body[claim], list) and all(isinstance(v, str) for v in body[claim])):
            raise _refuse("invalid_claim", f"The claim {claim} must be a list of strings.")
    for claim in (c.MESSAGE_TYPE, c.VERSION, c.DEPLOYMENT_ID, c.TARGET_LINK_URI, "sub", "nonce"):
        if claim in body and not isinstance(body[claim], str):
            raise _refuse("invalid_claim", f"The claim {claim} must be a string.")
    ags = body.get(c.AGS) or {}
    if "scope" in ags and not isinstance(ags["scope"], list):
        raise _refuse("invalid_claim", f"The claim {c.AGS} scope must be a list.")


def _check_message(body: dict[str, Any]) -> None:
    _check_shapes(body)
    message_type = body.get(c.MESSAGE_TYPE)
    if not message_type:
        raise _refuse("not_lti", "The id_token is not an LTI message: it has no message_type claim.")
    if message_type not in c.SUPPORTED_MESSAGE_TYPES:
        raise _refuse("unsupported_message", f"The tool does not support LTI messages of type {message_type!r}.")
    if c.VERSION not in body:
        raise _refuse("missing_version", "The id_token has no LTI version claim.")
    if body.get(c.VERSION) != c.LTI_VERSION:
        raise _refuse("bad_version", f"The LTI version {body.get(c.VERSION)!r} is not supported; expected 1.3.0.")
    if not isinstance(body.get(c.ROLES), list):
        raise _refuse("missing_roles", "The id_token has no roles claim.")
    for validator in get_validators():
        if validator.can_validate(body):
            try:
                validator.validate(body)
            except LtiException as exc:
                raise _refuse("invalid_message", f"The LTI message is incomplete: {exc}.") from exc


def _check_deployment(body: dict[str, Any], registration: Registration) -> bool:
    deployment_id = body.get(c.DEPLOYMENT_ID)
    if not deployment_id or not isinstance(deployment_id, str):
        raise _refuse("missing_deployment", "The id_token has no deployment_id claim.")
    if deployment_id in registration.deployment_ids:
        return False
    if registration.records_new_deployments and not registration.deployment_ids:
        return True
    raise _refuse(
        "unknown_deployment",
        f"Deployment {deployment_id!r} is not registered for this platform.",
        "Add the deployment id to the platform registration (sbg platform add --deployment-id).",
        status=403,
    )


def _check_target_link_uri(body: dict[str, Any], tool_base_url: str) -> None:
    target = body.get(c.TARGET_LINK_URI)
    if not target:
        if body.get(c.MESSAGE_TYPE) == c.RESOURCE_LINK_REQUEST:
            raise _refuse("missing_target", "The id_token has no target_link_uri claim.")
        return
    if origin(str(target)) != origin(tool_base_url):
        raise _refuse("foreign_target", f"The launch targets {target!r}, which is not this tool.")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _context_from(body: dict[str, Any], registration: Registration, new_deployment: bool) -> LaunchContext:
    context = body.get(c.CONTEXT) or {}
    link = body.get(c.RESOURCE_LINK) or {}
    presentation = body.get(c.LAUNCH_PRESENTATION) or {}
    ags = body.get(c.AGS) or {}
    nrps = body.get(c.NRPS) or {}
    platform = body.get(c.TOOL_PLATFORM) or {}
    custom = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in (body.get(c.CUSTOM) or {}).items()}
    roles = tuple(role for role in body.get(c.ROLES, []) if isinstance(role, str))
    area = area_for_roles(roles)
    if area is None and body.get(c.MESSAGE_TYPE) == c.RESOURCE_LINK_REQUEST:
        raise _refuse("no_role", "The launch carries no role this tool serves (learner, instructor, mentor or admin).",
                      "Check the user's role in the course.", status=403)
    return LaunchContext(
        platform_id=registration.platform_id,
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployment_id=body[c.DEPLOYMENT_ID],
        message_type=body[c.MESSAGE_TYPE],
        sub=str(body["sub"]),
        area=area or "teacher",
        roles=roles,
        name=_text(body.get("name")),
        given_name=_text(body.get("given_name")),
        family_name=_text(body.get("family_name")),
        email=_text(body.get("email")),
        context_id=_text(context.get("id")),
        context_title=_text(context.get("title")),
        context_label=_text(context.get("label")),
        resource_link_id=_text(link.get("id")),
        resource_link_title=_text(link.get("title")),
        locale=_text(presentation.get("locale")) or _text(body.get("locale")),
        return_url=_text(presentation.get("return_url")),
        ags_lineitems_url=_text(ags.get("lineitems")),
        ags_lineitem_url=_text(ags.get("lineitem")),
        ags_scopes=tuple(s for s in ags.get("scope", []) if isinstance(s, str)),
        nrps_url=_text(nrps.get("context_memberships_url")),
        mentees=tuple(s for s in body.get(c.ROLE_SCOPE_MENTOR, []) or [] if isinstance(s, str)),
        product_family=_text(platform.get("product_family_code")),
        target_link_uri=_text(body.get(c.TARGET_LINK_URI)),
        custom=custom,
        deep_linking_settings=body.get(c.DEEP_LINKING_SETTINGS) or {},
        nonce=str(body["nonce"]),
        new_deployment=new_deployment,
    )
