"""LMS credentials: Canvas API developer keys and Moodle web-service tokens per platform, teachers' Canvas
OAuth2 grants, and the single-use OAuth `state` of a "Connect to Canvas" step. Secrets are encrypted at rest.

Encryption is Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY by HKDF, so no second
secret has to be managed; rotating SECRET_KEY means entering the credentials again (and teachers reconnecting).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.adapters.canvas_oauth import (
    CanvasOAuth,
    CanvasOAuthConfig,
    CanvasToken,
    RefreshingAccessToken,
)
from lti_tool.adapters.http import (
    HttpSettings,
    LmsError,
    LmsUnauthorized,
    RetrySettings,
)
from lti_tool.storage.models import (
    CanvasGrant,
    Course,
    Enrollment,
    LmsApiCredential,
    OAuthState,
    Platform,
)
from lti_tool.storage.models.base import utcnow

from . import audit
from .errors import NotFound, ServiceError

log = logging.getLogger(__name__)

CANVAS_API = "canvas_api"
MOODLE_WS = "moodle_ws"
CALLBACK_PATH = "/oauth/canvas/callback"
STATE_TTL = timedelta(minutes=10)
_HKDF_SALT = b"sbg-lms-credentials"
_HKDF_INFO = b"fernet-key-v1"


class SecretBox:
    """Encrypts and decrypts credential strings with a Fernet key derived from the app's SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ServiceError("SECRET_KEY is not set, so credentials cannot be stored.")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
            secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, value: str) -> str:
        """The Fernet token of `value` (empty stays empty)."""
        return self._fernet.encrypt(value.encode()).decode() if value else ""

    def decrypt(self, token: str) -> str:
        """The plain value of a Fernet token; a token from another SECRET_KEY is refused in plain words."""
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ServiceError("A stored credential cannot be read (was SECRET_KEY changed?); "
                               "enter it again.") from exc

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"


# ---------------------------------------------------------------------------
# Platform credentials (admin)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CanvasApiKey:
    """A platform's Canvas API developer key, decrypted for one use."""

    client_id: str
    client_secret: str
    api_url: str  # empty: taken from the launch's canvas_api_domain

    def __repr__(self) -> str:
        return f"CanvasApiKey(client_id={self.client_id!r}, api_url={self.api_url!r})"


@dataclass(frozen=True)
class MoodleWsToken:
    """A platform's Moodle web-service token and site URL, decrypted for one use."""

    token: str
    url: str

    def __repr__(self) -> str:
        return f"MoodleWsToken(url={self.url!r}, token=<hidden>)"


def platform_by_name(session: Session, name: str) -> Platform:
    """A registered platform by its name, or NotFound."""
    platform = session.scalar(select(Platform).where(Platform.name == name))
    if platform is None:
        raise NotFound(f"No platform is registered under the name {name!r}.")
    return platform


def _clean_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ServiceError(f"{url!r} is not an http(s) URL.")
    return url


def _upsert_credential(session: Session, platform: Platform, kind: str) -> tuple[LmsApiCredential, bool]:
    record = session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform.id,
                                                          LmsApiCredential.kind == kind))
    if record is None:
        record = LmsApiCredential(platform_id=platform.id, kind=kind, secret_encrypted="")
        session.add(record)
        return record, True
    return record, False


def set_canvas_api_key(session: Session, box: SecretBox, platform: Platform, *, client_id: str,
                       client_secret: str, api_url: str = "", actor: str) -> LmsApiCredential:
    """Store (or replace) a Canvas platform's API developer key; audited without the secret."""
    if not client_id.strip() or not client_secret:
        raise ServiceError("Both the developer key's client id and its secret are needed.")
    record, created = _upsert_credential(session, platform, CANVAS_API)
    before = None if created else {"client_id": record.client_id, "api_url": record.api_url}
    record.client_id = client_id.strip()
    record.secret_encrypted = box.encrypt(client_secret)
    record.api_url = _clean_url(api_url)
    record.updated_by = actor
    session.flush()
    audit.record(session, district_id=platform.district_id, actor=actor, action="canvas_api.set",
                 entity="platform", entity_id=platform.id, before=before,
                 after={"client_id": record.client_id, "api_url": record.api_url, "secret": "(replaced)"})
    return record


def set_moodle_ws_token(session: Session, box: SecretBox, platform: Platform, *, token: str, url: str = "",
                        actor: str) -> LmsApiCredential:
    """Store (or replace) a Moodle platform's web-service token; audited without the token."""
    if not token.strip():
        raise ServiceError("The web-service token is empty.")
    record, created = _upsert_credential(session, platform, MOODLE_WS)
    before = None if created else {"api_url": record.api_url}
    record.secret_encrypted = box.encrypt(token.strip())
    record.api_url = _clean_url(url)
    record.updated_by = actor
    session.flush()
    audit.record(session, district_id=platform.district_id, actor=actor, action="moodle_ws.set",
                 entity="platform", entity_id=platform.id, before=before,
                 after={"api_url": record.api_url, "token": "(replaced)"})
    return record


@dataclass(frozen=True)
class CredentialRemoval:
    """What removing a platform's credential did: whether one was set, and the teachers' grants it ended."""

    removed: bool
    grants_deleted: int = 0
    grants_revoked: int = 0  # of those, how many Canvas confirmed revoked (the rest were only deleted here)


#: Revoking at Canvas when a key is removed is best effort: one quick try per grant, never a long retry loop.
REVOKE_HTTP = HttpSettings(connect_timeout=5.0, read_timeout=10.0, retry=RetrySettings(max_attempts=1))
#: Grants revoked at Canvas at the same time (each is one short HTTP call) when a key is removed.
REVOKE_PARALLEL = 8


def _platform_in_scope(session: Session, platform_id: int, district_id: int | None, product: str) -> Platform:
    """The platform, if it is of `product` and (when `district_id` is given) of that district; else NotFound."""
    platform = session.get(Platform, platform_id)
    if platform is None or platform.product != product or (district_id is not None
                                                            and platform.district_id != district_id):
        where = " in your district" if district_id is not None else ""
        raise NotFound(f"There is no {product.capitalize()} platform {platform_id}{where}.")
    return platform


def _credential(session: Session, platform_id: int, kind: str) -> LmsApiCredential | None:
    return session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform_id,
                                                        LmsApiCredential.kind == kind))


def _revoke_quietly(oauth: CanvasOAuth, token: CanvasToken) -> bool:
    """Revoke one token at Canvas; False (logged) when Canvas could not be reached or refused."""
    try:
        oauth.revoke(token)
    except LmsError as error:
        log.warning("could not revoke a Canvas grant while removing the developer key: %s", error.message)
        return False
    return True


def _revoke_all(box: SecretBox, key: CanvasApiKey | None, grants: list[CanvasGrant], tool_base_url: str) -> int:
    """Revoke the grants at Canvas side by side (no database work here); returns how many Canvas accepted."""
    if key is None or not grants:
        return 0
    jobs: list[tuple[CanvasOAuth, CanvasToken]] = []
    for grant in grants:
        try:
            token = grant_token(grant, box)
        except ServiceError:
            continue  # unreadable (SECRET_KEY changed): it can only be deleted
        config = canvas_oauth(key, grant.api_url, tool_base_url).config
        jobs.append((CanvasOAuth(config, http_settings=REVOKE_HTTP), token))
    with ThreadPoolExecutor(max_workers=REVOKE_PARALLEL) as pool:
        return sum(pool.map(lambda job: _revoke_quietly(*job), jobs))


def remove_canvas_api_key(session: Session, box: SecretBox, platform_id: int, *, district_id: int | None,
                          actor: str, tool_base_url: str) -> CredentialRemoval:
    """Delete a Canvas platform's API developer key and every teacher's grant made with it; audited.

    Grants cannot be refreshed without the key, so each is revoked at Canvas (best effort: an unreachable Canvas
    does not stop the removal) and always deleted here. Pulled scores stay. `district_id` None is the operator
    (CLI); otherwise another district's platform is NotFound.
    """
    platform = _platform_in_scope(session, platform_id, district_id, "canvas")
    record = _credential(session, platform.id, CANVAS_API)
    if record is None:
        return CredentialRemoval(removed=False)
    grants = list(session.scalars(select(CanvasGrant).where(CanvasGrant.platform_id == platform.id)
                                  .order_by(CanvasGrant.id)))
    try:
        key: CanvasApiKey | None = CanvasApiKey(record.client_id, box.decrypt(record.secret_encrypted),
                                                record.api_url)
    except ServiceError:
        key = None  # the key itself is unreadable: nothing can be revoked, everything is still deleted
    revoked = _revoke_all(box, key, grants, tool_base_url)
    for grant in grants:
        disconnect(session, box, grant, None, district_id=platform.district_id, actor=actor)
    audit.record(session, district_id=platform.district_id, actor=actor, action="canvas_api.remove",
                 entity="platform", entity_id=platform.id,
                 before={"client_id": record.client_id, "api_url": record.api_url},
                 after={"grants_deleted": len(grants), "grants_revoked": revoked})
    session.delete(record)
    session.flush()
    return CredentialRemoval(removed=True, grants_deleted=len(grants), grants_revoked=revoked)


def remove_moodle_ws_token(session: Session, platform_id: int, *, district_id: int | None,
                           actor: str) -> CredentialRemoval:
    """Delete a Moodle platform's web-service token; audited. Pulled grades stay; pulls stop until a new one."""
    platform = _platform_in_scope(session, platform_id, district_id, "moodle")
    record = _credential(session, platform.id, MOODLE_WS)
    if record is None:
        return CredentialRemoval(removed=False)
    audit.record(session, district_id=platform.district_id, actor=actor, action="moodle_ws.remove",
                 entity="platform", entity_id=platform.id, before={"api_url": record.api_url}, after=None)
    session.delete(record)
    session.flush()
    return CredentialRemoval(removed=True)


def has_credential(session: Session, platform_id: int, kind: str) -> bool:
    """True when the admin has entered this kind of credential for the platform (nothing is decrypted)."""
    return session.scalar(select(LmsApiCredential.id).where(LmsApiCredential.platform_id == platform_id,
                                                           LmsApiCredential.kind == kind)) is not None


def canvas_api_key(session: Session, box: SecretBox, platform_id: int) -> CanvasApiKey:
    """The platform's Canvas developer key, or a ServiceError telling the teacher to ask the admin."""
    record = session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform_id,
                                                          LmsApiCredential.kind == CANVAS_API))
    if record is None:
        raise ServiceError("Your district administrator has not entered the Canvas API developer key for this "
                           "Canvas yet, so scores cannot be read. Ask them to add it in the admin area.")
    return CanvasApiKey(record.client_id, box.decrypt(record.secret_encrypted), record.api_url)


def moodle_ws_token(session: Session, box: SecretBox, platform_id: int) -> MoodleWsToken:
    """The platform's Moodle token and site URL (the issuer unless the admin gave one)."""
    record = session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform_id,
                                                          LmsApiCredential.kind == MOODLE_WS))
    platform = session.get(Platform, platform_id)
    if record is None or platform is None:
        raise ServiceError("Your district administrator has not entered the Moodle web-service token for this "
                           "Moodle yet, so grades cannot be read.")
    return MoodleWsToken(box.decrypt(record.secret_encrypted), record.api_url or platform.issuer.rstrip("/"))


def canvas_api_url(key: CanvasApiKey, course: Course) -> str:
    """Where the Canvas REST API of a course lives: the admin's URL, else the launch's canvas_api_domain."""
    if key.api_url:
        return key.api_url
    domain = str((course.custom or {}).get("canvas_api_domain") or "").strip()
    if not domain:
        raise ServiceError("The Canvas API address is unknown: open the tool once from the course (the launch "
                           "shares it) or ask the administrator to set the API URL.")
    return _clean_url(domain if "://" in domain else f"https://{domain}")


def canvas_oauth(key: CanvasApiKey, api_url: str, tool_base_url: str) -> CanvasOAuth:
    """The OAuth2 flow for this developer key; the redirect URI is SBG_BASE_URL/oauth/canvas/callback."""
    return CanvasOAuth(CanvasOAuthConfig(client_id=key.client_id, client_secret=key.client_secret, base_url=api_url,
                                         redirect_uri=tool_base_url.rstrip("/") + CALLBACK_PATH,
                                         tool_base_url=tool_base_url))


# ---------------------------------------------------------------------------
# OAuth state (single use, bound to the session's person and course)
# ---------------------------------------------------------------------------


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin_connect(session: Session, *, platform_id: int, person_id: int, course_id: int, api_url: str,
                  display: str = "iframe", now: datetime | None = None) -> str:
    """Create a state value for one authorization; only its hash is stored."""
    moment = now or utcnow()
    state = secrets.token_urlsafe(32)
    session.add(OAuthState(state_hash=_hash_state(state), platform_id=platform_id, person_id=person_id,
                           course_id=course_id, api_url=api_url,
                           display="window" if display == "window" else "iframe",
                           created_at=moment, expires_at=moment + STATE_TTL))
    session.flush()
    return state


def consume_state(session: Session, state: str, now: datetime | None = None) -> OAuthState:
    """The pending authorization for `state`, marked used; unknown, used or expired states are refused."""
    moment = now or utcnow()
    record = session.scalar(select(OAuthState).where(OAuthState.state_hash == _hash_state(state or "")))
    if record is None or record.used_at is not None:
        raise ServiceError("This Canvas authorization link was already used or is unknown. "
                           "Start again with Connect to Canvas.")
    record.used_at = moment
    session.flush()
    if record.expires_at <= moment:
        raise ServiceError("The Canvas authorization took too long and expired. Start again with Connect to Canvas.")
    return record


# ---------------------------------------------------------------------------
# Teachers' grants
# ---------------------------------------------------------------------------


def grant_of(session: Session, platform_id: int, person_id: int) -> CanvasGrant | None:
    """A teacher's stored Canvas grant, if any."""
    return session.scalar(select(CanvasGrant).where(CanvasGrant.platform_id == platform_id,
                                                    CanvasGrant.person_id == person_id))


def save_grant(session: Session, box: SecretBox, *, platform_id: int, person_id: int, api_url: str,
               token: CanvasToken, district_id: int, actor: str) -> CanvasGrant:
    """Store (encrypted) the tokens of a new connection, replacing an old one."""
    grant = grant_of(session, platform_id, person_id)
    if grant is None:
        grant = CanvasGrant(platform_id=platform_id, person_id=person_id, api_url=api_url, access_token_encrypted="")
        session.add(grant)
    grant.api_url = api_url
    _write_token(grant, box, token)
    grant.status = "active"
    session.flush()
    audit.record(session, district_id=district_id, actor=actor, action="canvas.connect", entity="canvas_grant",
                 entity_id=grant.id, after={"canvas_user_id": grant.canvas_user_id, "api_url": api_url})
    return grant


def _write_token(grant: CanvasGrant, box: SecretBox, token: CanvasToken) -> None:
    grant.access_token_encrypted = box.encrypt(token.access_token)
    grant.refresh_token_encrypted = box.encrypt(token.refresh_token or "")
    grant.expires_at = token.expires_at
    grant.canvas_user_id = token.canvas_user_id or grant.canvas_user_id or ""
    grant.canvas_user_name = token.canvas_user_name or grant.canvas_user_name or ""


def grant_token(grant: CanvasGrant, box: SecretBox) -> CanvasToken:
    """The decrypted token of a grant."""
    return CanvasToken(access_token=box.decrypt(grant.access_token_encrypted),
                       refresh_token=box.decrypt(grant.refresh_token_encrypted) or None,
                       expires_at=grant.expires_at, canvas_user_id=grant.canvas_user_id or None,
                       canvas_user_name=grant.canvas_user_name or None)


def mark_needs_reconnect(session: Session, grant: CanvasGrant) -> None:
    """Canvas refused the grant: keep the row (and every pulled score) but ask the teacher to reconnect."""
    grant.status = "needs_reconnect"
    session.flush()


def token_source(session: Session, box: SecretBox, grant: CanvasGrant, oauth: CanvasOAuth) -> RefreshingAccessToken:
    """A token source for CanvasClient that refreshes before expiry, storing each refresh (encrypted)."""

    def persist(token: CanvasToken) -> None:
        _write_token(grant, box, token)
        grant.status = "active"
        session.flush()

    return RefreshingAccessToken(oauth, grant_token(grant, box), persist)


def course_grant(session: Session, course: Course) -> CanvasGrant:
    """The freshest active grant of one of the course's teachers (scheduled pulls and the CLI act as them)."""
    grant = session.scalar(
        select(CanvasGrant).join(Enrollment, Enrollment.person_id == CanvasGrant.person_id)
        .where(Enrollment.course_id == course.id, Enrollment.role.in_(("teacher", "admin")),
               CanvasGrant.platform_id == course.platform_id, CanvasGrant.status == "active")
        .order_by(CanvasGrant.updated_at.desc(), CanvasGrant.id.desc()))
    if grant is None:
        raise ServiceError("No teacher of this course has connected the tool to Canvas yet "
                           "(Connect to Canvas, in the course's setup page).")
    return grant


def disconnect(session: Session, box: SecretBox, grant: CanvasGrant, oauth: CanvasOAuth | None, *,
               district_id: int, actor: str) -> None:
    """Revoke the grant in Canvas (best effort when Canvas already dropped it) and delete the stored tokens."""
    if oauth is not None:
        try:
            oauth.revoke(grant_token(grant, box))
        except LmsUnauthorized:
            pass  # already dead in Canvas: deleting our copy is all that is left
    audit.record(session, district_id=district_id, actor=actor, action="canvas.disconnect", entity="canvas_grant",
                 entity_id=grant.id, before={"canvas_user_id": grant.canvas_user_id, "api_url": grant.api_url})
    session.delete(grant)
    session.flush()


__all__ = [
    "CALLBACK_PATH", "CanvasApiKey", "CredentialRemoval", "MoodleWsToken", "SecretBox", "begin_connect", "canvas_api_key",
    "canvas_api_url", "canvas_oauth", "consume_state", "course_grant", "disconnect", "grant_of", "grant_token",
    "has_credential",
    "mark_needs_reconnect", "moodle_ws_token", "platform_by_name", "remove_canvas_api_key",
    "remove_moodle_ws_token", "save_grant", "set_canvas_api_key",
    "set_moodle_ws_token", "token_source",
]
