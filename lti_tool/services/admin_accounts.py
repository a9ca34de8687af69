"""Local admin accounts for self-hosted installs: create, and check a password at sign-in."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from lti_tool.storage.models import utcnow
from lti_tool.storage.models.admin import AdminAccount

from . import audit
from .errors import ServiceError
from .platforms import get_district
from .policies import seed_district_defaults

MIN_PASSWORD_LENGTH = 12
# Checked when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def _normalise(email: str) -> str:
    return email.strip().lower()


def create_admin(session: Session, *, district: str, email: str, password: str, actor: str = "cli") -> AdminAccount:
    """Create a district admin who signs in at /admin/login; the district gets its default scales and policy."""
    address = _normalise(email)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ServiceError(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    target = get_district(session, district)
    if session.scalar(select(AdminAccount).where(func.lower(AdminAccount.email) == address)):
        raise ServiceError(f"An admin with the email {address!r} already exists.")
    seed_district_defaults(session, target.id, actor=actor)
    account = AdminAccount(district_id=target.id, email=address, password_hash=generate_password_hash(password))
    session.add(account)
    session.flush()
    audit.record(session, district_id=target.id, actor=actor, action="create", entity="admin_account",
                 entity_id=account.id, after={"email": address})
    return account


def authenticate(session: Session, email: str, password: str) -> AdminAccount | None:
    """The account whose email and password match (and record the sign-in), or None."""
    account = session.scalar(select(AdminAccount).where(AdminAccount.email == _normalise(email)))
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(account.password_hash, password):
        return None
    account.last_login_at = utcnow()
    return account
