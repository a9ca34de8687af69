"""Claim profiles: id_token payloads shaped like Canvas's and Moodle's LTI 1.3 messages.

Shapes follow Canvas's `Lti::Messages::JwtMessage`/`ResourceLinkRequest` (institution + context + system
roles, `https://www.instructure.com/placement`, custom fields expanded from the developer key) and Moodle's
`lti_build_request`/`lti_sign_jwt` (issuer = site URL, deployment id = tool type id, context type
`CourseSection`, roles sorted, `exp` one minute after `iat`, `ext` claim with `lms: moodle-2`).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .server import LtiPlatform, ToolRegistration

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CANVAS_PLACEMENT_CLAIM = "https://www.instructure.com/placement"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
ALL_SCOPES = AGS_SCOPES + (SCOPE_NRPS,)

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"

ROLES = ("learner", "instructor", "ta", "admin", "mentor")
PROFILES = ("canvas", "moodle")


class _Omit:
    """Marker: an override with this value removes the claim from the payload."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()

# Short override names accepted by `LtiPlatform.id_token(**overrides)`, mapped to full claim names.
CLAIM_ALIASES = {
    "deployment_id": LTI + "deployment_id",
    "message_type": LTI + "message_type",
    "version": LTI + "version",
    "roles": LTI + "roles",
    "resource_link": LTI + "resource_link",
    "context": LTI + "context",
    "target_link_uri": LTI + "target_link_uri",
    "custom": LTI + "custom",
    "launch_presentation": LTI + "launch_presentation",
    "tool_platform": LTI + "tool_platform",
    "role_scope_mentor": LTI + "role_scope_mentor",
    "deep_linking_settings": DL + "deep_linking_settings",
    "ags": AGS_CLAIM,
    "nrps": NRPS_CLAIM,
    "placement": CANVAS_PLACEMENT_CLAIM,
}


@dataclass
class User:
    """A person on the platform; `id` is the LMS's numeric user id."""

    id: str
    given_name: str
    family_name: str
    email: str
    username: str = ""

    @property
    def name(self) -> str:
        """Full display name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def canvas_lti_id(self) -> str:
        """Canvas's `sub`: the user's stable lti_id (a UUID)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"canvas-user-{self.id}"))

    @property
    def legacy_id(self) -> str:
        """Canvas's opaque LTI 1.1 user id (a SHA-1 hex digest)."""
        return hashlib.sha1(f"user_{self.id}".encode()).hexdigest()


@dataclass
class Member:
    """A user's enrollment in a course: role name from ROLES and Active/Inactive status."""

    user: User
    role: str
    status: str = "Active"
    mentees: list[str] = field(default_factory=list)  # user ids a mentor observes


@dataclass
class Course:
    """A course (LTI context) with its members; `id` is the LMS's numeric course id."""

    id: str
    label: str
    title: str
    members: list[Member] = field(default_factory=list)

    @property
    def canvas_context_id(self) -> str:
        """Canvas's opaque context id (a SHA-1 hex digest of the course)."""
        return hashlib.sha1(f"course_{self.id}".encode()).hexdigest()

    def member(self, user_id: str) -> Member | None:
        """The enrollment of `user_id`, if any."""
        return next((m for m in self.members if m.user.id == user_id), None)


def default_users() -> dict[str, User]:
    """A small cast, one per role, keyed by role name."""
    return {
        "learner": User("6", "Ada", "Lovelace", "ada@example.edu", "ada"),
        "instructor": User("3", "Grace", "Hopper", "grace@example.edu", "ghopper"),
        "ta": User("4", "Alan", "Turing", "alan@example.edu", "aturing"),
        "admin": User("1", "Site", "Admin", "admin@example.edu", "admin"),
        "mentor": User("9", "Parent", "Lovelace", "parent@example.edu", "plovelace"),
    }


def default_course(users: dict[str, User]) -> Course:
    """A course with the default cast enrolled (the admin is not enrolled, as usual)."""
    course = Course("101", "MATH-7", "Grade 7 Mathematics")
    for role in ("learner", "instructor", "ta", "mentor"):
        mentees = [users["learner"].id] if role == "mentor" else []
        course.members.append(Member(users[role], role, mentees=mentees))
    return course


@dataclass
class LaunchSpec:
    """Everything a profile needs to build one message."""

    platform: "LtiPlatform"
    tool: "ToolRegistration"
    role: str
    user: User
    course: Course
    deployment_id: str
    message_type: str = "LtiResourceLinkRequest"
    nonce: str = ""
    resource_link_id: str = "1"
    resource_link_title: str = "Mastery report"
    graded_line_item_url: str | None = None
    placement: str = "course_navigation"
    locale: str = "en"
    deep_link_data: str = ""
    share_name: bool = True
    share_email: bool = True
    custom: dict[str, str] = field(default_factory=dict)


def canvas_roles(role: str) -> list[str]:
    """Roles as Canvas sends them: institution roles, context (membership) roles and the system role."""
    return {
        "learner": [INSTITUTION + "Student", MEMBERSHIP + "Learner", SYSTEM + "User"],
        "instructor": [INSTITUTION + "Instructor", MEMBERSHIP + "Instructor", SYSTEM + "User"],
        "ta": [INSTITUTION + "Instructor", TEACHING_ASSISTANT, MEMBERSHIP + "Instructor", SYSTEM + "User"],
        # An account admin who is not enrolled in the course gets no context role.
        "admin": [INSTITUTION + "Administrator", SYSTEM + "User"],
        "mentor": [MEMBERSHIP + "Mentor", SYSTEM + "User"],
    }[role]


def moodle_roles(role: str) -> list[str]:
    """Roles as Moodle sends them: Instructor if the user may manage the activity, else Learner (a
    non-editing teacher holds mod/lti:manage, so a TA is an Instructor); site admins lose Learner and gain
    the system and institution Administrator roles. Moodle sorts the list. Stock Moodle never sends
    Mentor; the mentor case exists to test the tool's handling of `role_scope_mentor`."""
    roles = {
        "learner": [MEMBERSHIP + "Learner"],
        "instructor": [MEMBERSHIP + "Instructor"],
        "ta": [MEMBERSHIP + "Instructor"],
        "admin": [MEMBERSHIP + "Instructor", SYSTEM + "Administrator", INSTITUTION + "Administrator"],
        "mentor": [MEMBERSHIP + "Mentor"],
    }[role]
    return sorted(roles)


def roles_for(profile: str, role: str) -> list[str]:
    """Role URIs that `profile` sends for the role name `role` (one of ROLES)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {ROLES}")
    return canvas_roles(role) if profile == "canvas" else moodle_roles(role)


def canvas_claims(spec: LaunchSpec) -> dict[str, Any]:
    """An id_token payload shaped like Canvas's."""
    p, tool, user, course = spec.platform, spec.tool, spec.user, spec.course
    now = int(time.time())
    claims: dict[str, Any] = {
        "https://purl.imsglobal.org/spec/lti/claim/message_type": spec.message_type,
        LTI + "version": "1.3.0",
        "aud": tool.client_id,
        "azp": tool.client_id,
        LTI + "deployment_id": spec.deployment_id,
        "exp": now + 3600,
        "iat": now,
        "iss": p.issuer("canvas"),
        "nonce": spec.nonce,
        "sub": user.canvas_lti_id,
        LTI + "target_link_uri": tool.target_link_uri(spec.message_type),
        LTI + "context": {
            "id": course.canvas_context_id,
            "label": course.label,
            "title": course.title,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        LTI + "tool_platform": {
            "guid": f"{p.platform_guid}:canvas-lms",
            "name": "Test School District",
            "version": "cloud",
            "product_family_code": "canvas",
        },
        LTI + "launch_presentation": {
            "document_target": "iframe",
            "return_url": f"{p.url}/courses/{course.id}/external_content/success/external_tool_redirect",
            "locale": spec.locale,
            "height": 400,
            "width": 800,
        },
        "locale": spec.locale,
        LTI + "roles": canvas_roles(spec.role),
        LTI + "custom": spec.custom
        or {
            "canvas_api_domain": p.canvas_api_domain,
            "canvas_course_id": course.id,
            "canvas_user_id": user.id,
        },
        LTI + "lti11_legacy_user_id": user.legacy_id,
        LTI + "lti1p1": {"user_id": user.legacy_id},
        "errors": {"errors": {}},
        CANVAS_PLACEMENT_CLAIM: spec.placement,
    }
    if spec.share_name:
        claims.update(
            name=user.name,
            given_name=user.given_name,
            family_name=user.family_name,
            picture=f"{p.url}/images/messages/avatar-50.png",
        )
        claims[LTI + "lis"] = {"person_sourcedid": f"SIS-{user.id}", "course_offering_sourcedid": f"SIS-C{course.id}"}
    if spec.share_email:
        claims["email"] = user.email
    if spec.message_type == "LtiResourceLinkRequest":
        claims[LTI + "resource_link"] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"canvas-link-{spec.resource_link_id}")),
            "description": None,
            "title": spec.resource_link_title,
        }
    else:
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": f"{p.url}/courses/{course.id}/deep_linking_response",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_media_types": "application/vnd.ims.lti.v1.ltilink",
            "auto_create": True,
            "accept_multiple": True,
            "data": spec.deep_link_data,
        }
    ags = _ags_claim(spec, "canvas")
    if ags:
        claims[AGS_CLAIM] = ags
    if SCOPE_NRPS in tool.scopes:
        claims[NRPS_CLAIM] = {
            "context_memberships_url": p.memberships_url("canvas", course.id),
            "service_versions": ["2.0"],
        }
    if spec.role == "mentor":
        member = course.member(user.id)
        mentees = member.mentees if member else []
        claims[LTI + "role_scope_mentor"] = [p.users_by_id[m].canvas_lti_id for m in mentees]
    return claims


def moodle_claims(spec: LaunchSpec) -> dict[str, Any]:
    """An id_token payload shaped like Moodle's (4.x)."""
    p, tool, user, course = spec.platform, spec.tool, spec.user, spec.course
    now = int(time.time())
    claims: dict[str, Any] = {
        "nonce": spec.nonce,
        "iat": now,
        "exp": now + 60,
        "iss": p.issuer("moodle"),
        "aud": tool.client_id,
        LTI + "deployment_id": spec.deployment_id,
        LTI + "target_link_uri": tool.target_link_uri(spec.message_type),
        "sub": user.id,
        LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
        LTI + "roles": moodle_roles(spec.role),
        LTI + "context": {"id": course.id, "label": course.label, "title": course.title, "type": ["CourseSection"]},
        LTI + "launch_presentation": {
            "locale": spec.locale,
            "document_target": "iframe",
            "return_url": f"{p.url}/mod/lti/return.php?course={course.id}&launch_container=3"
            f"&instanceid={spec.resource_link_id}&sesskey=abc123",
        },
        LTI + "ext": {"user_username": user.username, "lms": "moodle-2"},
        LTI + "tool_platform": {
            "product_family_code": "moodle",
            "version": "2024100700",
            "guid": p.host,
            "name": "Test School District",
            "description": "Test School District Moodle",
        },
        LTI + "version": "1.3.0",
        LTI + "message_type": spec.message_type,
    }
    if spec.custom:
        claims[LTI + "custom"] = dict(spec.custom)
    if spec.share_name:
        claims.update(given_name=user.given_name, family_name=user.family_name, name=user.name)
    if spec.share_email:
        claims["email"] = user.email
    if spec.message_type == "LtiResourceLinkRequest":
        claims[LTI + "resource_link"] = {
            "title": spec.resource_link_title,
            "description": "",
            "id": spec.resource_link_id,
        }
    else:
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": f"{p.url}/mod/lti/contentitem_return.php?course={course.id}"
            f"&id={spec.deployment_id}&sesskey=abc123",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["frame", "iframe", "window"],
            "accept_copy_advice": False,
            "accept_multiple": True,
            "accept_unsigned": False,
            "auto_create": False,
            "can_confirm": False,
            "title": "",
            "text": "",
            "data": spec.deep_link_data,
        }
    ags = _ags_claim(spec, "moodle")
    if ags:
        claims[AGS_CLAIM] = ags
    if SCOPE_NRPS in tool.scopes:
        claims[NRPS_CLAIM] = {
            "context_memberships_url": p.memberships_url("moodle", course.id, spec.deployment_id),
            "service_versions": ["1.0", "2.0"],
        }
    if spec.role == "mentor":
        member = course.member(user.id)
        claims[LTI + "role_scope_mentor"] = list(member.mentees if member else [])
    return claims


def _ags_claim(spec: LaunchSpec, profile: str) -> dict[str, Any] | None:
    scopes = [s for s in AGS_SCOPES if s in spec.tool.scopes]
    if not scopes:
        return None
    claim: dict[str, Any] = {
        "scope": scopes,
        "lineitems": spec.platform.lineitems_url(profile, spec.course.id, spec.deployment_id),
    }
    if spec.graded_line_item_url:
        claim["lineitem"] = spec.graded_line_item_url
    return claim


CLAIM_BUILDERS: dict[str, Callable[[LaunchSpec], dict[str, Any]]] = {
    "canvas": canvas_claims,
    "moodle": moodle_claims,
}


def apply_overrides(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply overrides (short aliases or full claim names); a value of OMIT removes the claim."""
    result = dict(claims)
    for key, value in overrides.items():
        name = CLAIM_ALIASES.get(key, key)
        if value is OMIT:
            result.pop(name, None)
        else:
            result[name] = value
    return result
