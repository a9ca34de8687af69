"""The test LMS platform, registered with the tool as Canvas and as Moodle, and a login helper for bad tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.services.platforms import PlatformSpec, add_platform
from lti_tool.storage.db import session_scope
from tests.lti_platform import LaunchDriver, LtiPlatform


@pytest.fixture(scope="session")
def lti_platform() -> Iterator[LtiPlatform]:
    """One running test platform for the session."""
    with LtiPlatform() as platform:
        yield platform


@dataclass
class Registered:
    """A tool registration on both sides: the platform knows the tool and the tool knows the platform."""

    platform: LtiPlatform
    profile: str
    client_id: str
    deployment_id: str
    name: str


@pytest.fixture()
def register(app, lti_platform: LtiPlatform) -> Callable[..., Registered]:
    """Register the tool with the platform (a fresh client id) and the platform with the tool."""

    def _register(profile: str, *, district: str = "default", deployments: int = 1,
                  registered_via: str = "cli") -> Registered:
        base = app.config["SBG_SETTINGS"].base_url
        client_id = f"{profile}-{uuid.uuid4().hex[:10]}"
        if profile == "canvas":
            deployment_ids = [lti_platform.canvas_deployment_id(n) for n in range(1, deployments + 1)]
        else:
            deployment_ids = [str(n) for n in range(1, deployments + 1)]
        lti_platform.register_tool(client_id, deployment_ids, f"{base}/lti/login", f"{base}/lti/launch",
                                   f"{base}/.well-known/jwks.json")
        config = lti_platform.platform_config(profile)
        name = f"{profile}-{client_id}"
        with session_scope(app.extensions["sbg"].sessions) as session:
            add_platform(session, PlatformSpec(name=name, client_id=client_id, deployment_ids=tuple(deployment_ids),
                                               district=district, registered_via=registered_via, **config),
                         allow_http=True)
        return Registered(lti_platform, profile, client_id, deployment_ids[0], name)

    return _register


@pytest.fixture()
def driver(client, lti_platform: LtiPlatform) -> LaunchDriver:
    """Drives full launches against the app's test client (cookies kept per test)."""
    return LaunchDriver(lti_platform, client)


@pytest.fixture()
def login(client, app) -> Callable[..., dict[str, str]]:
    """Start a login at the tool and return the state and nonce it issued (for launches with crafted tokens)."""

    def _login(registered: Registered) -> dict[str, str]:
        base = app.config["SBG_SETTINGS"].base_url
        platform = registered.platform
        response = client.post("/lti/login", data={
            "iss": platform.issuer(registered.profile), "login_hint": "x", "target_link_uri": f"{base}/lti/launch",
            "client_id": registered.client_id, "lti_deployment_id": registered.deployment_id,
            "lti1p3_new_window": "1",
        })
        assert response.status_code == 302, response.get_data(as_text=True)
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return {"state": query["state"][0], "nonce": query["nonce"][0]}

    return _login


@pytest.fixture()
def post_token(client, login) -> Callable[..., Any]:
    """Sign `claims` (built by the platform for the registration) and post them as a launch with valid state."""

    def _post(registered: Registered, role: str = "learner", *, sign: dict[str, Any] | None = None,
              raw_token: str | None = None, **claim_options: Any):  # type: ignore[no-untyped-def]
        started = login(registered)
        claim_options.setdefault("nonce", started["nonce"])
        claim_options.setdefault("deployment_id", registered.deployment_id)
        token = raw_token or registered.platform.id_token(
            registered.profile, role, client_id=registered.client_id, **(sign or {}), **claim_options)
        return client.post("/lti/launch", data={"id_token": token, "state": started["state"]})

    return _post
