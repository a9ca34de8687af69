"""A minimal LTI tool used only by the platform's self-tests (and handy when debugging the LaunchDriver).

It does the least a tool must: serve its JWKS, answer login initiation with a redirect to the platform's
authorization endpoint (state in a cookie, nonce remembered), verify the launch's id_token against the
platform JWKS, and build client assertions and deep-linking responses signed with its own key.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from .claims import DL, LTI
from .keys import SigningKey
from .oauth import ASSERTION_TYPE
from .server import LtiPlatform, _QuietHandler


class StubTool:
    """A served tool with one platform registration per profile."""

    def __init__(self, platform: LtiPlatform, client_id: str = "10000000000001") -> None:
        self.platform = platform
        self.client_id = client_id
        self.key = SigningKey.generate()
        self.nonces: dict[str, str] = {}  # state -> nonce
        self.app = self._create_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the served tool."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> "StubTool":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def register(self, deployment_ids: list[str] | None = None, **options: Any) -> None:
        """Register this tool with the platform."""
        self.platform.register_tool(
            self.client_id, deployment_ids or ["1"], f"{self.url}/lti/login", f"{self.url}/lti/launch",
            f"{self.url}/.well-known/jwks.json", **options,
        )

    def client_assertion(self, profile: str, **overrides: Any) -> str:
        """A private_key_jwt client assertion for the platform's token endpoint."""
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.platform.token_url(profile),
                  "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        claims.update(overrides)
        return self.key.sign(claims)

    def access_token(self, profile: str, scopes: list[str]) -> str:
        """Fetch a bearer token from the platform."""
        answer = requests.post(self.platform.token_url(profile), data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(profile), "scope": " ".join(scopes),
        }, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def deep_link_response(self, profile: str, request_claims: dict[str, Any],
                           items: list[dict[str, Any]]) -> str:
        """A signed LtiDeepLinkingResponse answering `request_claims`."""
        now = int(time.time())
        return self.key.sign({
            "iss": self.client_id, "aud": self.platform.issuer(profile), "iat": now, "exp": now + 300,
            "nonce": secrets.token_hex(8),
            LTI + "message_type": "LtiDeepLinkingResponse", LTI + "version": "1.3.0",
            LTI + "deployment_id": request_claims[LTI + "deployment_id"],
            DL + "data": request_claims[DL + "deep_linking_settings"]["data"],
            DL + "content_items": items,
        })

    def _create_app(self) -> Flask:
        app = Flask("stub_tool")

        @app.get("/.well-known/jwks.json")
        def jwks() -> Any:
            return jsonify(keys=[self.key.public_jwk()])

        @app.route("/lti/login", methods=["GET", "POST"])
        def login() -> Any:
            params = request.values
            profile = "canvas" if params["iss"] == self.platform.issuer("canvas") else "moodle"
            state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
            self.nonces[state] = nonce
            query = urlencode({
                "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                "client_id": params["client_id"], "redirect_uri": params["target_link_uri"],
                "login_hint": params["login_hint"], "lti_message_hint": params.get("lti_message_hint", ""),
                "state": state, "nonce": nonce,
            })
            response = app.redirect(f"{self.platform.auth_url(profile)}?{query}")
            response.set_cookie("lti_state", state)
            return response

        @app.post("/lti/launch")
        def launch() -> Any:
            state = request.form.get("state", "")
            if state != request.cookies.get("lti_state") or state not in self.nonces:
                return "state mismatch", 400
            token = request.form["id_token"]
            issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
            profile = "canvas" if issuer == self.platform.issuer("canvas") else "moodle"
            keys = jwt.PyJWKClient(self.platform.jwks_url(profile))
            try:
                claims = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                                    audience=self.client_id, issuer=issuer)
            except jwt.PyJWTError as exc:
                return f"invalid id_token: {exc}", 401
            if claims.get("nonce") != self.nonces.pop(state):
                return "nonce mismatch", 401
            return jsonify(claims)

        return app
