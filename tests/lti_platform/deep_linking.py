"""Deep Linking return endpoint: verifies the tool's LtiDeepLinkingResponse JWT and records its items."""

from __future__ import annotations

import html
import itertools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from .claims import DL, LTI
from .keys import InvalidToolJwt

if TYPE_CHECKING:
    from .ags import LineItem
    from .server import LtiPlatform


@dataclass
class DeepLinkResponse:
    """A verified deep-linking response and what the platform created from it."""

    profile: str
    client_id: str
    course_id: str
    claims: dict[str, Any]
    content_items: list[dict[str, Any]]
    line_items: list["LineItem"] = field(default_factory=list)


@dataclass
class DeepLinkStore:
    """Accepted responses, and the reasons for refused ones."""

    accepted: list[DeepLinkResponse] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _link_ids: Any = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_link_id(self) -> str:
        """A new resource link id for a created link."""
        with self._lock:
            return str(next(self._link_ids))


class DeepLinkError(Exception):
    """The deep-linking response is not acceptable."""


def verify_response(platform: "LtiPlatform", profile: str, token: str) -> dict[str, Any]:
    """Check the JWT's signature (tool JWKS), iss/aud/exp/iat/nonce, message type, version, deployment, data."""
    try:
        unverified = platform.unverified_claims(token)
        client_id = str(unverified.get("iss", ""))
        tool = platform.tools.get(client_id)
        if tool is None:
            raise DeepLinkError(f"unknown tool (iss {client_id!r})")
        claims = platform.tool_keys.verify(
            token, jwks_url=tool.jwks_url, jwks=tool.jwks, audience=platform.issuer(profile), issuer=client_id,
            required=("exp", "iat", "nonce", "iss", "aud"),
        )
    except InvalidToolJwt as exc:
        raise DeepLinkError(str(exc)) from exc
    if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
        raise DeepLinkError("message_type must be LtiDeepLinkingResponse")
    if claims.get(LTI + "version") != "1.3.0":
        raise DeepLinkError("version must be 1.3.0")
    if claims.get(LTI + "deployment_id") not in tool.deployment_ids:
        raise DeepLinkError(f"unknown deployment_id {claims.get(LTI + 'deployment_id')!r}")
    sent_data = {
        (launch.claims or {}).get(DL + "deep_linking_settings", {}).get("data")
        for launch in platform.launches.completed
    }
    data = claims.get(DL + "data")
    if sent_data - {None, ""} and data not in sent_data:
        raise DeepLinkError("data does not echo the deep_linking_settings data of a request")
    items = claims.get(DL + "content_items", [])
    if not isinstance(items, list):
        raise DeepLinkError("content_items must be a list")
    return claims


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add the Canvas- and Moodle-shaped deep-link return endpoints."""
    store = platform.deep_links

    def receive(profile: str, course_id: str) -> Response:
        token = request.form.get("JWT", "")
        try:
            if not token:
                raise DeepLinkError("the JWT form field is missing")
            claims = verify_response(platform, profile, token)
        except DeepLinkError as exc:
            with store._lock:
                store.refused.append(str(exc))
            return Response(f"Deep linking response refused: {exc}", status=400, mimetype="text/plain")
        record = DeepLinkResponse(profile, claims["iss"], course_id, claims, list(claims.get(DL + "content_items", [])))
        for item in record.content_items:
            spec = item.get("lineItem") if item.get("type") == "ltiResourceLink" else None
            if isinstance(spec, dict):
                record.line_items.append(platform.ags.add_line_item(
                    profile, course_id, str(spec.get("label") or item.get("title") or "Untitled"),
                    float(spec.get("scoreMaximum", 100)), client_id=record.client_id,
                    deployment_id=claims[LTI + "deployment_id"], resource_id=spec.get("resourceId"),
                    tag=spec.get("tag"), resource_link_id=store.next_link_id(),
                ))
        with store._lock:
            store.accepted.append(record)
        titles = "".join(f"<li>{html.escape(str(i.get('title', i.get('type'))))}</li>" for i in record.content_items)
        message = html.escape(str(claims.get(DL + "msg", "")))
        return Response(f"<html><body><p>Content added. {message}</p><ul>{titles}</ul></body></html>",
                        mimetype="text/html")

    app.add_url_rule("/courses/<course_id>/deep_linking_response", "canvas_deep_link_return",
                     lambda course_id: receive("canvas", course_id), methods=["POST"])
    app.add_url_rule("/mod/lti/contentitem_return.php", "moodle_deep_link_return",
                     lambda: receive("moodle", request.args.get("course", "101")), methods=["POST"])
