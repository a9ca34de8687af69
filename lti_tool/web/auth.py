"""Who is calling: a short-lived signed token bound to person, course and role, never a third-party cookie.

The token travels in the page URL (`t`), in forms (hidden `t` field) and in API calls (`Authorization: Bearer`).
Because a browser never attaches it on its own, a forged cross-site request cannot carry it: this is also the
CSRF protection of every form and API call made within a launch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

F = TypeVar("F", bound=Callable[..., Any])
_SALT = "sbg-session-v1"


@dataclass(frozen=True)
class SessionIdentity:
    """The caller: person, course, platform, district, area role and locale; plus deep-linking data if any."""

    person_id: int
    course_id: int
    platform_id: int
    district_id: int
    role: str
    locale: str = "en"
    deep_link: dict[str, Any] = field(default_factory=dict)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(identity: SessionIdentity) -> str:
    """Sign a session token for this identity."""
    return _serializer().dumps(asdict(identity))


def read_token(token: str) -> SessionIdentity | None:
    """The identity in a valid, unexpired token; None otherwise."""
    ttl = current_app.config["SBG_SETTINGS"].session_token_ttl
    try:
        data = _serializer().loads(token, max_age=ttl)
        return SessionIdentity(**data)
    except (BadSignature, SignatureExpired, TypeError):
        return None


def _token_from_request() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    if request.method in ("GET", "HEAD"):
        return request.args.get("t", "")
    if request.mimetype == "application/json":
        return ""
    try:
        return request.form.get("t", "")
    except Exception:  # noqa: BLE001 - an oversized or malformed body simply carries no token
        return ""


def current_identity() -> SessionIdentity | None:
    """The identity of this request (cached on `g`)."""
    if "identity" not in g:
        token = _token_from_request()
        g.identity = read_token(token) if token else None
        g.token = token if g.identity else ""
    return g.identity


def require_role(*roles: str) -> Callable[[F], F]:
    """Let through only callers with a valid token whose area role is one of `roles` (401 or 403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if identity is None:
                abort(401)
            if identity.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def session_url(endpoint: str, **values: Any) -> str:
    """url_for that carries the caller's session token along."""
    token = g.get("token", "")
    if token:
        values.setdefault("t", token)
    return url_for(endpoint, **values)
