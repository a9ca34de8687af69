"""Health, keys, Canvas JSON configuration, setup page, security headers."""

from lti_tool.adapters.lti.claims import TOOL_SCOPES


def test_health_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_jwks_publishes_rsa_keys_with_kid(client):
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert keys and all(key["kty"] == "RSA" and key["kid"] and key["alg"] == "RS256" for key in keys)
    assert all("d" not in key for key in keys), "private parts must never be published"


def test_canvas_configuration_has_every_field_canvas_requires(client, app):
    config = client.get("/lti/config/canvas.json").get_json()
    base = app.config["SBG_SETTINGS"].base_url
    for field in ("title", "description", "target_link_uri", "oidc_initiation_url"):
        assert config[field]
    assert config["public_jwk_url"] == f"{base}/.well-known/jwks.json"
    assert config["oidc_initiation_url"] == f"{base}/lti/login"
    assert set(TOOL_SCOPES) <= set(config["scopes"])
    assert config["custom_fields"] == {"canvas_api_domain": "$Canvas.api.domain",
                                       "canvas_course_id": "$Canvas.course.id",
                                       "canvas_user_id": "$Canvas.user.id"}
    extension = config["extensions"][0]
    assert extension["platform"] == "canvas.instructure.com"
    placements = {p["placement"]: p["message_type"] for p in extension["settings"]["placements"]}
    assert placements["link_selection"] == "LtiDeepLinkingRequest"
    assert placements["assignment_selection"] == "LtiDeepLinkingRequest"
    assert placements["course_navigation"] == "LtiResourceLinkRequest"


def test_setup_page_warns_about_moodle_pending_tools_and_blocked_ports(client):
    text = client.get("/lti/config").get_data(as_text=True)
    assert "pending" in text
    assert "80 and 443" in text
    assert "/.well-known/jwks.json" in text


def test_pages_limit_framing_to_registered_platforms(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert policy.startswith("frame-ancestors 'self'")
    assert "*" not in policy


def test_area_pages_without_a_session_token_ask_to_launch_again(client):
    for path in ("/student/", "/teacher/"):
        response = client.get(path)
        assert response.status_code == 401
        assert "Open the tool again from your course" in response.get_data(as_text=True)
    admin = client.get("/admin/")
    assert admin.status_code == 401
    assert "/admin/login" in admin.get_data(as_text=True)


def test_a_forged_session_token_is_refused(client):
    assert client.get("/student/?t=forged.token.value").status_code == 401


def test_request_bodies_over_64_kb_are_refused_with_413(client):
    response = client.post("/lti/launch", data={"id_token": "x" * 70_000, "state": "s"})
    assert response.status_code == 413
