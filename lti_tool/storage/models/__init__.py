"""ORM records. Every module's classes are imported here so Alembic sees the whole schema."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .lti import LoginState, ToolKey
from .people import Course, Enrollment, Person
from .tenancy import Deployment, District, Platform

__all__ = [
    "AuditEvent", "Base", "Course", "Deployment", "District", "Enrollment", "LoginState",
    "Person", "Platform", "ToolKey", "UTCDateTime", "utcnow",
]
