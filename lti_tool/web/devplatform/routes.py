"""Development platform: OIDC authorization that signs a real id_token for a sandbox user."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import jwt
from flask import Response, abort, current_app, jsonify, redirect, render_template, request

from lti_tool.adapters.lti import claims as c
from lti_tool.adapters.lti.keys import KeyPair, generate_key_pair
from lti_tool.adapters.lti.tool_config import ToolUrls
from lti_tool.services.sandbox import SANDBOX_CLIENT_ID, SANDBOX_COURSE, SANDBOX_DEPLOYMENT, dev_issuer

from ..runtime import runtime
from . import bp

SANDBOX_USERS = {
    "student": ("sandbox-student", "Sam Rivera", [c.ROLE_CONTEXT + "Learner"]),
    "teacher": ("sandbox-teacher", "Tess Morgan", [c.ROLE_CONTEXT + "Instructor"]),
    "admin": ("sandbox-admin", "Ada Okafor", [c.ROLE_INSTITUTION + "Administrator", c.ROLE_CONTEXT + "Instructor"]),
}


def _key() -> KeyPair:
    """The development platform's key, kept in the instance folder so every process shares it."""
    path = Path(current_app.instance_path) / "dev_platform_key.json"
    if not path.exists():
        pair = generate_key_pair()
        path.write_text(json.dumps({"kid": pair.kid, "private_pem": pair.private_pem, "public_jwk": pair.public_jwk}))
        path.chmod(0o600)
    data = json.loads(path.read_text())
    return KeyPair(kid=data["kid"], private_pem=data["private_pem"], public_jwk=data["public_jwk"])


def _base() -> str:
    return runtime().settings.base_url


@bp.get("/start")
def start() -> Response:
    """Begin a launch as a sandbox student, teacher or admin (third-party initiated login)."""
    role = request.args.get("role", "")
    if role not in SANDBOX_USERS:
        abort(404)
    urls = ToolUrls(_base())
    user = request.args.get("user", "") or SANDBOX_USERS[role][0]
    if not user.startswith("sandbox-"):
        abort(400)
    hint = json.dumps({"role": role, "name": request.args.get("name", "")[:100]})
    query = {"iss": dev_issuer(_base()), "login_hint": user, "target_link_uri": urls.launch,
             "lti_message_hint": hint, "client_id": SANDBOX_CLIENT_ID, "lti_deployment_id": SANDBOX_DEPLOYMENT}
    return redirect(f"{urls.login}?{urlencode(query)}")


@bp.get("/jwks.json")
def jwks() -> Response:
    """The development platform's public keys."""
    return jsonify({"keys": [_key().public_jwk]})


@bp.route("/auth", methods=["GET", "POST"])
def authorize() -> str:
    """Check the authorization request and answer with a form_post of a signed id_token."""
    params = request.values
    urls = ToolUrls(_base())
    try:
        hint = json.loads(params.get("lti_message_hint", ""))
    except ValueError:
        abort(400)
    role, sub = hint.get("role", ""), params.get("login_hint", "")
    if (params.get("client_id") != SANDBOX_CLIENT_ID or params.get("redirect_uri") != urls.launch
            or params.get("response_type") != "id_token" or params.get("scope") != "openid"
            or role not in SANDBOX_USERS or not sub.startswith("sandbox-")
            or not params.get("nonce") or not params.get("state")):
        abort(400)
    _, default_name, roles = SANDBOX_USERS[role]
    name = hint.get("name") or default_name
    now = int(time.time())
    key = _key()
    claims = {
        "iss": dev_issuer(_base()), "aud": SANDBOX_CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
        "nonce": params["nonce"], "name": name, "given_name": name.split()[0], "family_name": name.split()[-1],
        "locale": "en",
        c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST, c.VERSION: c.LTI_VERSION, c.DEPLOYMENT_ID: SANDBOX_DEPLOYMENT,
        c.TARGET_LINK_URI: urls.launch, c.ROLES: roles,
        c.RESOURCE_LINK: {"id": "sandbox-link", "title": "Mastery"},
        c.CONTEXT: {"id": SANDBOX_COURSE, "label": "MATH7", "title": "Sandbox Math 7",
                    "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
        c.LAUNCH_PRESENTATION: {"document_target": "window", "locale": "en"},
        c.TOOL_PLATFORM: {"guid": "sbg-sandbox", "name": "sbg sandbox", "product_family_code": "sandbox"},
        "jti": str(uuid.uuid4()),
    }
    id_token = jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    return render_template("lti/form_post.html", action=urls.launch,
                           fields={"id_token": id_token, "state": params["state"]})
