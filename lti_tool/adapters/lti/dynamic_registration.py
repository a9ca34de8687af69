"""LTI Dynamic Registration, tool side: read the platform's configuration, register, read the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .errors import LaunchError
from .tool_config import ToolUrls, origin, registration_request

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class RegisteredPlatform:
    """What the platform told us during registration."""

    issuer: str
    client_id: str
    auth_url: str
    token_url: str
    jwks_url: str
    product_family: str
    deployment_id: str  # empty for Canvas, which names no deployment


def _get_json(http: requests.Session, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = http.request(method, url, timeout=(3.05, 15), **kwargs)
    except requests.RequestException as exc:
        raise LaunchError("registration_unreachable", f"The platform at {url} could not be reached.",
                          "Check that the platform can be reached from the tool's server.", status=502) from exc
    if len(response.content) > MAX_BYTES:
        raise LaunchError("registration_invalid", f"The platform's answer from {url} is too large.", status=502)
    if response.status_code >= 400:
        raise LaunchError("registration_refused",
                          f"The platform refused the registration (HTTP {response.status_code}): "
                          f"{response.text[:300]}", "Start the registration again from the platform.", status=502)
    try:
        data = response.json()
    except ValueError as exc:
        raise LaunchError("registration_invalid", f"The platform's answer from {url} is not JSON.",
                          status=502) from exc
    if not isinstance(data, dict):
        raise LaunchError("registration_invalid", f"The platform's answer from {url} is not a JSON object.",
                          status=502)
    return data


def register(http: requests.Session, urls: ToolUrls, openid_configuration_url: str,
             registration_token: str) -> RegisteredPlatform:
    """Fetch the platform's OpenID configuration, post our registration, return the platform's details."""
    if urlsplit(openid_configuration_url).scheme not in {"https", "http"}:
        raise LaunchError("registration_invalid", "The openid_configuration parameter is not a URL.")
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    config = _get_json(http, "GET", openid_configuration_url, headers=headers)
    issuer = str(config.get("issuer", ""))
    platform_config = config.get(PLATFORM_CONFIGURATION) or {}
    product = str(platform_config.get("product_family_code", "")).lower()
    # The configuration must come from the issuer's own site, so a platform cannot register as another.
    # Canvas is the known exception: every instance issues as canvas.instructure.com.
    if not issuer or (product != "canvas" and origin(openid_configuration_url) != origin(issuer)):
        raise LaunchError("registration_invalid",
                          f"The platform's issuer {issuer!r} does not match its configuration URL.")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
               if not config.get(k)]
    if missing:
        raise LaunchError("registration_invalid", f"The platform's configuration lacks {', '.join(missing)}.")
    body = registration_request(urls, product)
    answer = _get_json(http, "POST", str(config["registration_endpoint"]), data=json.dumps(body),
                       headers={**headers, "Content-Type": "application/json", "Accept": "application/json"})
    client_id = str(answer.get("client_id", ""))
    if not client_id:
        raise LaunchError("registration_invalid", "The platform's registration answer has no client_id.",
                          status=502)
    tool_answer = answer.get(TOOL_CONFIGURATION) or {}
    return RegisteredPlatform(
        issuer=issuer, client_id=client_id, auth_url=str(config["authorization_endpoint"]),
        token_url=str(config["token_endpoint"]), jwks_url=str(config["jwks_uri"]),
        product_family=product or "other", deployment_id=str(tool_answer.get("deployment_id", "") or ""),
    )
