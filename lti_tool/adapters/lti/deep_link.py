"""Deep-linking responses: the signed LtiDeepLinkingResponse a platform turns into links or gradebook columns."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from . import claims as c


def resource_link_item(url: str, title: str, custom: dict[str, str] | None = None, text: str = "",
                       line_item: dict[str, Any] | None = None) -> dict[str, Any]:
    """One `ltiResourceLink` content item, optionally graded (a line item the platform creates)."""
    resource = DeepLinkResource().set_url(url).set_title(title).set_custom_params(custom or {})
    if line_item:
        item = LineItem().set_score_maximum(line_item["scoreMaximum"]).set_label(line_item.get("label", title))
        if line_item.get("resourceId"):
            item.set_resource_id(line_item["resourceId"])
        if line_item.get("tag"):
            item.set_tag(line_item["tag"])
        resource.set_lineitem(item)
    content = {k: v for k, v in resource.to_dict().items() if v not in (None, {}, "")}
    if text:
        content["text"] = text
    return content


def response_jwt(*, client_id: str, issuer: str, deployment_id: str, data: str | None,
                 content_items: list[dict[str, Any]], private_pem: str, kid: str, message: str = "") -> str:
    """Sign the LtiDeepLinkingResponse with the tool's current key."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": client_id,
        "aud": [issuer],
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(16),
        c.DEPLOYMENT_ID: deployment_id,
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: c.LTI_VERSION,
        c.DEEP_LINKING_CONTENT_ITEMS: content_items,
    }
    if data:
        payload[c.DEEP_LINKING_DATA] = data
    if message:
        payload[c.DEEP_LINKING_MESSAGE] = message
    return jwt.encode(payload, private_pem, algorithm="RS256", headers={"kid": kid})
