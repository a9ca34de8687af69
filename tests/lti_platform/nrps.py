"""Names and Role Provisioning Services: the course roster, paged with `Link` rel="next"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from .claims import MEMBERSHIP, SCOPE_NRPS, TEACHING_ASSISTANT, Course, Member
from .oauth import AccessToken
from .pagination import paginate

if TYPE_CHECKING:
    from .server import LtiPlatform

MEMBERSHIP_CONTAINER_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def context_roles(profile: str, role: str) -> list[str]:
    """Roles a member has in the course, as each LMS lists them in NRPS."""
    if profile == "canvas":
        return {
            "learner": [MEMBERSHIP + "Learner"],
            "instructor": [MEMBERSHIP + "Instructor"],
            "ta": [TEACHING_ASSISTANT],
            "mentor": [MEMBERSHIP + "Mentor"],
            "admin": [MEMBERSHIP + "Administrator"],
        }[role]
    # Moodle: Instructor for anyone who may manage the activity (teachers, non-editing teachers), else Learner.
    return [MEMBERSHIP + ("Instructor" if role in ("instructor", "ta", "admin") else "Learner")]


def member_json(platform: "LtiPlatform", profile: str, member: Member) -> dict[str, Any]:
    """One member, with name and email only when the platform shares them."""
    user = member.user
    data: dict[str, Any] = {
        "status": member.status,
        "user_id": platform.subject(profile, user),
        "roles": context_roles(profile, member.role),
    }
    if profile == "canvas":
        data["lti11_legacy_user_id"] = user.legacy_id
    if platform.share_name:
        data.update(name=user.name, given_name=user.given_name, family_name=user.family_name,
                    lis_person_sourcedid=f"SIS-{user.id}")
        if profile == "canvas":
            data["picture"] = f"{platform.url}/images/messages/avatar-50.png"
    if platform.share_email:
        data["email"] = user.email
    return data


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add the Canvas- and Moodle-shaped membership endpoints."""

    def memberships(profile: str, course_id: str, deployment_id: str | None = None) -> Response:
        def handle(token: AccessToken) -> Response:
            course: Course | None = platform.courses.get(course_id)
            if course is None:
                return Response("course not found", status=404)
            members = list(course.members)
            role_filter = request.args.get("role")
            if role_filter:
                members = [m for m in members
                           if any(r == role_filter or r.endswith("#" + role_filter)
                                  for r in context_roles(profile, m.role))]
            page, link = paginate(members, profile, platform.nrps_page_size)
            context_id = course.canvas_context_id if profile == "canvas" else course.id
            response = jsonify(
                id=request.url,
                context={"id": context_id, "label": course.label, "title": course.title},
                members=[member_json(platform, profile, m) for m in page],
            )
            response.headers["Content-Type"] = MEMBERSHIP_CONTAINER_TYPE
            if link:
                response.headers["Link"] = link
            return response

        return platform.service("memberships", profile, (SCOPE_NRPS,), handle)

    app.add_url_rule("/api/lti/courses/<course_id>/names_and_roles", "canvas_memberships",
                     lambda course_id: memberships("canvas", course_id), methods=["GET"])
    app.add_url_rule("/mod/lti/services.php/CourseSection/<course_id>/bindings/<deployment_id>/memberships",
                     "moodle_memberships",
                     lambda course_id, deployment_id: memberships("moodle", course_id, deployment_id),
                     methods=["GET"])
