"""ORM records. Every module's classes are imported here so Alembic sees the whole schema."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .evidence import Alignment, Assignment, EvidenceRecord
from .frameworks import CourseFramework, Framework, GradingPolicyRecord, ProficiencyScaleRecord, Standard
from .lti import LoginState, ToolKey
from .people import Course, Enrollment, Person
from .results import MasteryResultRecord, OverallGradeRecord, OverrideRecord
from .tenancy import Deployment, District, Platform
from .sync import SyncedScore, SyncItem, SyncLineItem, SyncRun, SyncSetting  # noqa: F401

__all__ = [
    "Alignment", "Assignment", "AuditEvent", "Base", "CourseFramework", "EvidenceRecord", "Framework",
    "GradingPolicyRecord", "MasteryResultRecord", "OverallGradeRecord", "OverrideRecord", "ProficiencyScaleRecord",
    "Standard", "Course", "Deployment", "District", "Enrollment", "LoginState",
    "Person", "Platform", "ToolKey", "UTCDateTime", "utcnow",
]
from .credentials import CanvasGrant, EvidencePull, LmsApiCredential, OAuthState  # noqa: E402,F401
from .admin import AdminAccount, PendingImport  # noqa: E402,F401
