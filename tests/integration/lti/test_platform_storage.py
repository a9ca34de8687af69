"""Launches when the browser blocks third-party cookies: the state round-trips through the platform's storage."""

import re

from sqlalchemy import select

from lti_tool.storage.models import LoginState


def _login_with_storage(client, app, registered):  # type: ignore[no-untyped-def]
    base = app.config["SBG_SETTINGS"].base_url
    return client.post("/lti/login", data={
        "iss": registered.platform.issuer("canvas"), "login_hint": "x", "target_link_uri": f"{base}/lti/launch",
        "client_id": registered.client_id, "lti_storage_target": "post_message_forwarding",
    })


def test_login_with_a_storage_target_puts_the_state_in_platform_storage(register, client, app, db_session):
    registered = register("canvas")
    page = _login_with_storage(client, app, registered)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "lti.put_data" in text and '"post_message_forwarding"' in text
    state = re.search(r'state = "([^"]+)"', text).group(1)
    row = db_session.scalar(select(LoginState).where(LoginState.state == state))
    assert row.storage_target == "post_message_forwarding"
    assert registered.platform.auth_url("canvas") in text.replace("\\u0026", "&")


def test_a_cookieless_launch_reads_the_state_back_then_completes(register, app):
    registered = register("canvas")
    iframe = app.test_client()
    page = _login_with_storage(iframe, app, registered).get_data(as_text=True)
    state = re.search(r'state = "([^"]+)"', page).group(1)
    nonce = re.search(r"nonce=([^&\"]+)", page.replace("\\u0026", "&")).group(1)
    token = registered.platform.id_token("canvas", "learner", client_id=registered.client_id, nonce=nonce)
    blocked = app.test_client()  # the browser dropped the tool's cookie
    first = blocked.post("/lti/launch", data={"id_token": token, "state": state})
    assert first.status_code == 200
    assert "lti.get_data" in first.get_data(as_text=True)
    same_origin = {"Origin": app.config["SBG_SETTINGS"].base_url}
    wrong = blocked.post("/lti/launch", data={"id_token": token, "state": state, "platform_state": "other"},
                         headers=same_origin)
    assert wrong.status_code == 400
    forged = blocked.post("/lti/launch", data={"id_token": token, "state": state, "platform_state": state},
                          headers={"Origin": "https://attacker.example.org"})
    assert forged.status_code == 400
    done = blocked.post("/lti/launch", data={"id_token": token, "state": state, "platform_state": state},
                        headers=same_origin)
    assert done.status_code == 303
    assert "/student/" in done.headers["Location"]
