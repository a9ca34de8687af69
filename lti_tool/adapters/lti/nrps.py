"""LTI Names and Role Provisioning Services v2: read a course's roster, every page, with a service token."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from lti_tool.adapters.http import (
    LmsBadResponse,
    LmsPermissionDenied,
    LmsUnauthorized,
    RatePacer,
    RequestRunner,
    RetrySettings,
    Sleep,
    next_page_url,
)

from .claims import SCOPE_NRPS
from .service_auth import ServiceClient, ServiceTokenCache

MEMBERSHIP_CONTAINER_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
# Canvas adds the member's REST API id to each `message` when the request names a resource link (`rlid`).
CANVAS_USER_ID_CLAIM = "https://www.instructure.com/canvas_user_id"
LMS_NAME = "The LMS roster service"


@dataclass(frozen=True)
class Member:
    """One course member as NRPS lists them; names and email are empty when the platform does not share them."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"  # Active | Inactive | Deleted
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    sourced_id: str = ""
    lms_user_id: str = ""  # Canvas's numeric user id when the platform shares it
    custom: Mapping[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """True unless the platform marks the enrollment Inactive or Deleted."""
        return self.status.lower() == "active"


def member_from_json(raw: Mapping[str, Any]) -> Member:
    """One `members[]` entry to a Member (unknown fields ignored, missing optional ones empty)."""
    if not isinstance(raw, Mapping) or not raw.get("user_id"):
        raise LmsBadResponse("The roster service sent a member without a user_id.")
    custom: dict[str, Any] = {}
    lms_user_id = ""
    messages = raw.get("message")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, Mapping):
            continue
        claim = message.get(CUSTOM_CLAIM)
        if isinstance(claim, Mapping):
            custom.update(claim)
        if message.get(CANVAS_USER_ID_CLAIM) is not None:
            lms_user_id = str(message[CANVAS_USER_ID_CLAIM])
    lms_user_id = lms_user_id or str(custom.get("canvas_user_id") or "")
    roles = raw.get("roles") or []
    return Member(
        user_id=str(raw["user_id"]),
        roles=tuple(str(role) for role in roles) if isinstance(roles, list) else (),
        status=str(raw.get("status") or "Active"),
        name=str(raw.get("name") or ""),
        given_name=str(raw.get("given_name") or ""),
        family_name=str(raw.get("family_name") or ""),
        email=str(raw.get("email") or ""),
        sourced_id=str(raw.get("lis_person_sourcedid") or ""),
        lms_user_id=lms_user_id,
        custom=custom,
    )


class NrpsRoster:
    """Reads memberships from a platform's NRPS endpoint, following `Link: rel="next"` pages as given."""

    def __init__(self, http: requests.Session, tokens: ServiceTokenCache, client: ServiceClient, *,
                 retry: RetrySettings | None = None, sleep: Sleep | None = None) -> None:
        self._tokens = tokens
        self._client = client
        self.runner = RequestRunner(session=http, lms_name=LMS_NAME, retry=retry or RetrySettings(),
                                    pacer=RatePacer())
        if sleep is not None:
            self.runner.sleep = sleep
            self.runner.pacer.sleep = sleep

    @property
    def request_count(self) -> int:
        """Membership requests sent so far (retries included, token requests not)."""
        return self.runner.request_count

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens.token(self._client, [SCOPE_NRPS])}",
                "Accept": MEMBERSHIP_CONTAINER_TYPE}

    def _get(self, url: str, params: list[tuple[str, str]] | None) -> tuple[Any, requests.Response]:
        try:
            return self.runner.get_json(url, params=params, headers=self._headers())
        except (LmsUnauthorized, LmsPermissionDenied) as error:
            if error.status != 401:
                raise
            # The cached service token expired early or was revoked: fetch a new one, once.
            self._tokens.forget(self._client, [SCOPE_NRPS])
            return self.runner.get_json(url, params=params, headers=self._headers())

    def pages(self, memberships_url: str, *, role: str = "", rlid: str = "") -> Iterator[list[Member]]:
        """Each page's members; `role` filters by role, `rlid` asks for per-member launch claims."""
        params = [(name, value) for name, value in (("role", role), ("rlid", rlid)) if value]
        next_url: str | None = memberships_url
        page_params: list[tuple[str, str]] | None = params or None
        while next_url:
            body, response = self._get(next_url, page_params)
            members = body.get("members") if isinstance(body, Mapping) else None
            if not isinstance(members, list):
                raise LmsBadResponse("The roster service's answer has no members list.")
            yield [member_from_json(raw) for raw in members]
            next_url = next_page_url(response)
            page_params = None  # the next URL carries every parameter

    def members(self, memberships_url: str, *, role: str = "", rlid: str = "") -> list[Member]:
        """Every member of the course, all pages."""
        return [member for page in self.pages(memberships_url, role=role, rlid=rlid) for member in page]


__all__ = ["MEMBERSHIP_CONTAINER_TYPE", "Member", "NrpsRoster", "member_from_json"]
