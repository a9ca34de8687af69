"""Background tasks. Each takes ids, opens its own session and calls one service."""

from __future__ import annotations

from huey import crontab

from .context import job_session
from .queue import huey


@huey.periodic_task(crontab(minute="17"))
def purge_login_states() -> int:
    """Delete OIDC login states a day past their expiry."""
    from lti_tool.services.login import purge_expired

    with job_session() as session:
        return purge_expired(session)
