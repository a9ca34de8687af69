"""Health with Redis configured, and frame-ancestors following the registered platforms."""

import uuid

from lti_tool.services.platforms import PlatformSpec, add_platform
from lti_tool.storage.db import session_scope
from lti_tool.web.framing import forget_frame_ancestors
from tests.support.services import RedisServer


def _app_with_redis(make_app, redis_url):  # type: ignore[no-untyped-def]
    return make_app(redis_url=redis_url, queue_mode="immediate")


def test_health_reports_redis_when_configured(app, make_app, redis_server):
    response = _app_with_redis(make_app, redis_server.url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_health_is_503_when_redis_is_down(app, make_app, redis_server):
    down = RedisServer.start()
    app = _app_with_redis(make_app, down.url)
    down.stop()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["checks"]["redis"].startswith("error")


def test_frame_ancestors_list_each_registered_platform(app, client):
    host = f"lms-{uuid.uuid4().hex[:8]}.example.org"
    with session_scope(app.extensions["sbg"].sessions) as session:
        add_platform(session, PlatformSpec(name=host, issuer=f"https://{host}", client_id="c",
                                           auth_url=f"https://auth.{host}/authorize", token_url=f"https://{host}/t",
                                           jwks_url=f"https://{host}/jwks", deployment_ids=("1",)))
    forget_frame_ancestors()
    policy = client.get("/").headers["Content-Security-Policy"]
    assert f"https://{host}" in policy.split()
    assert f"https://auth.{host}" in policy.split()


def test_health_is_503_when_the_database_is_down(make_app):
    broken = make_app(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")
