"""Map the LTI role URIs of a launch to the tool's areas: admin, teacher, student or mentor."""

from __future__ import annotations

from collections.abc import Iterable

from .claims import ROLE_CONTEXT, ROLE_INSTITUTION, ROLE_SYSTEM

ADMIN = "admin"
TEACHER = "teacher"
STUDENT = "student"
MENTOR = "mentor"

_ADMIN_ROLES = {
    ROLE_INSTITUTION + "Administrator",
    ROLE_SYSTEM + "Administrator",
    ROLE_SYSTEM + "SysAdmin",
}
_TEACHER_ROLES = {
    ROLE_CONTEXT + "Instructor",
    ROLE_CONTEXT + "TeachingAssistant",
    ROLE_CONTEXT + "ContentDeveloper",
    ROLE_CONTEXT + "Administrator",
    "Instructor",
    "TeachingAssistant",
}
_STUDENT_ROLES = {ROLE_CONTEXT + "Learner", "Learner"}
_MENTOR_ROLES = {ROLE_CONTEXT + "Mentor", "Mentor"}


def principal_role(role: str) -> str:
    """A sub-role URI (`.../membership/Instructor#TeachingAssistant`) stands for its principal role
    (`.../membership#Instructor`) as well; other roles are returned unchanged."""
    role = role.strip()
    prefix = ROLE_CONTEXT[:-1] + "/"
    if role.startswith(prefix) and "#" in role:
        principal = role[len(prefix):].split("#", 1)[0]
        return ROLE_CONTEXT + principal
    return role


def area_for_roles(roles: Iterable[str]) -> str | None:
    """The area a launch opens: admin beats teacher beats mentor beats student; None if no known role."""
    role_set = {role.strip() for role in roles} | {principal_role(role) for role in roles}
    if role_set & _ADMIN_ROLES:
        return ADMIN
    if role_set & _TEACHER_ROLES:
        return TEACHER
    if role_set & _MENTOR_ROLES:
        return MENTOR
    if role_set & _STUDENT_ROLES:
        return STUDENT
    return None
