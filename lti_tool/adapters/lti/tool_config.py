"""Descriptions of the tool that platforms import: Canvas developer-key JSON, Moodle's manual form values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .claims import TOOL_SCOPES

TOOL_TITLE = "sbg: standards-based grading"
TOOL_DESCRIPTION = "Mastery of standards from assignment scores, explained to students, synced to the gradebook."
CANVAS_CUSTOM_FIELDS = {
    "canvas_api_domain": "$Canvas.api.domain",
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_id": "$Canvas.user.id",
}


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, or "" when it has none (what CSP and postMessage compare)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@dataclass(frozen=True)
class ToolUrls:
    """The tool's public endpoints, derived from its base URL."""

    base_url: str

    @property
    def login(self) -> str:
        """OIDC third-party initiated login."""
        return f"{self.base_url}/lti/login"

    @property
    def launch(self) -> str:
        """Launch (redirect URI and target link URI)."""
        return f"{self.base_url}/lti/launch"

    @property
    def jwks(self) -> str:
        """The tool's public keys."""
        return f"{self.base_url}/.well-known/jwks.json"

    @property
    def register(self) -> str:
        """Dynamic registration initiation."""
        return f"{self.base_url}/lti/register"

    @property
    def canvas_config(self) -> str:
        """Canvas developer-key JSON."""
        return f"{self.base_url}/lti/config/canvas.json"

    @property
    def domain(self) -> str:
        """Host name (and port) of the tool."""
        return urlsplit(self.base_url).netloc


def _canvas_placements(urls: ToolUrls) -> list[dict[str, Any]]:
    return [
        {"placement": "course_navigation", "message_type": "LtiResourceLinkRequest",
         "target_link_uri": urls.launch, "text": "Mastery", "default": "enabled", "visibility": "public"},
        {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
         "target_link_uri": urls.launch, "text": "Mastery report"},
        {"placement": "assignment_selection", "message_type": "LtiDeepLinkingRequest",
         "target_link_uri": urls.launch, "text": "Mastery of a standard"},
    ]


def canvas_developer_key_json(urls: ToolUrls) -> dict[str, Any]:
    """The JSON a Canvas admin pastes into an LTI developer key ("Paste JSON")."""
    return {
        "title": TOOL_TITLE,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": list(TOOL_SCOPES),
        "extensions": [{
            "domain": urls.domain,
            "tool_id": "sbg",
            "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "settings": {"text": "Mastery", "placements": _canvas_placements(urls)},
        }],
        "custom_fields": dict(CANVAS_CUSTOM_FIELDS),
    }


def moodle_manual_form(urls: ToolUrls) -> list[tuple[str, str]]:
    """Field label and value pairs for Moodle's "Configure a tool manually" form."""
    return [
        ("Tool URL", urls.launch),
        ("LTI version", "LTI 1.3"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", urls.jwks),
        ("Initiate login URL", urls.login),
        ("Redirection URI(s)", urls.launch),
        ("Supports Deep Linking (Content-Item Message)", "Yes"),
        ("Content Selection URL", urls.launch),
        ("IMS LTI Assignment and Grade Services", "Use this service for grade sync and column management"),
        ("IMS LTI Names and Role Provisioning", "Use this service to retrieve members' information"),
        ("Share launcher's name with tool", "Always"),
        ("Share launcher's email with tool", "Always"),
    ]


def registration_request(urls: ToolUrls, product_family: str) -> dict[str, Any]:
    """The tool's client registration for LTI Dynamic Registration, in the platform's flavour."""
    messages: list[dict[str, Any]] = [
        {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch, "label": "Mastery"},
        {"type": "LtiDeepLinkingRequest", "target_link_uri": urls.launch, "label": "Mastery report"},
    ]
    tool_configuration: dict[str, Any] = {
        "domain": urls.domain,
        "target_link_uri": urls.launch,
        "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
        "messages": messages,
        "description": TOOL_DESCRIPTION,
    }
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": TOOL_TITLE,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(TOOL_SCOPES),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": tool_configuration,
    }
    if product_family == "canvas":
        tool_configuration["custom_parameters"] = dict(CANVAS_CUSTOM_FIELDS)
        tool_configuration["https://canvas.instructure.com/lti/privacy_level"] = "public"
        messages[0]["placements"] = ["course_navigation"]
        messages[1]["placements"] = ["link_selection", "assignment_selection"]
    return body
