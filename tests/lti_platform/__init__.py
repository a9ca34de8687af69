"""A test LMS platform that crosses the wire like Canvas and Moodle, for the tool's LTI 1.3 tests.

    from tests.lti_platform import LtiPlatform, LaunchDriver

    with LtiPlatform() as platform:
        platform.register_tool("10000000000001", ["1:abc"], login_url, launch_url, jwks_url)
        result = LaunchDriver(platform, app.test_client()).launch("canvas", "learner")

See README.md in this folder.
"""

from .ags import (
    LINEITEM_CONTAINER_TYPE,
    LINEITEM_TYPE,
    RESULT_CONTAINER_TYPE,
    SCORE_TYPE,
    AgsStore,
    LineItem,
    Result,
    ScorePost,
)
from .claims import (
    AGS_CLAIM,
    ALL_SCOPES,
    CANVAS_PLACEMENT_CLAIM,
    DL,
    LTI,
    NRPS_CLAIM,
    OMIT,
    PROFILES,
    ROLES,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    Course,
    Member,
    User,
    roles_for,
)
from .deep_linking import DeepLinkResponse
from .driver import LaunchDriver, LaunchError, LaunchResult, Step, parse_form
from .faults import Faults, Outage, ScriptedAnswer
from .keys import SigningKey
from .launch import PreparedLaunch
from .nrps import MEMBERSHIP_CONTAINER_TYPE
from .oauth import ASSERTION_TYPE, AccessToken
from .registration import RegistrationInvite
from .server import CANVAS_ISSUER, LtiPlatform, RecordedRequest, Stats, ToolRegistration
from .throttle import THROTTLED_BODY, CanvasThrottle, LeakyBucket, ManualClock

__all__ = [
    "AGS_CLAIM", "ALL_SCOPES", "ASSERTION_TYPE", "CANVAS_ISSUER", "CANVAS_PLACEMENT_CLAIM", "DL",
    "LINEITEM_CONTAINER_TYPE", "LINEITEM_TYPE", "LTI", "MEMBERSHIP_CONTAINER_TYPE", "NRPS_CLAIM", "OMIT",
    "PROFILES", "RESULT_CONTAINER_TYPE", "ROLES", "SCOPE_LINEITEM", "SCOPE_LINEITEM_READONLY", "SCOPE_NRPS",
    "SCOPE_RESULT_READONLY", "SCOPE_SCORE", "SCORE_TYPE", "THROTTLED_BODY",
    "AccessToken", "AgsStore", "CanvasThrottle", "Course", "DeepLinkResponse", "Faults", "LaunchDriver",
    "LaunchError", "LaunchResult", "LeakyBucket", "LineItem", "LtiPlatform", "ManualClock", "Member", "Outage",
    "PreparedLaunch", "RecordedRequest", "RegistrationInvite", "Result", "ScorePost", "ScriptedAnswer",
    "SigningKey", "Stats", "Step", "ToolRegistration", "User", "parse_form", "roles_for",
]
