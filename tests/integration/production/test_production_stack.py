"""gunicorn + `sbg worker` + PostgreSQL + Redis in production mode: serve launches, migrate idempotently, and
recover by themselves when PostgreSQL or Redis restarts."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text


def test_gunicorn_and_a_queue_worker_serve_a_launch_in_production_mode(stack, launch):
    assert stack.http().get(stack.base_url + "/healthz", timeout=5).json()["checks"] == {"database": "ok",
                                                                                          "redis": "ok"}
    assert launch() == (303, 200), stack.log()[-3000:]
    assert all(process.poll() is None for process in stack.queue), stack.log("worker-0.log")[-3000:]


def test_the_development_platform_is_off_in_production_mode(stack):
    assert stack.http().get(stack.base_url + "/dev/platform/start", timeout=5).status_code == 404


def test_db_upgrade_is_idempotent(stack, launch):
    engine = create_engine(stack.postgres.url)
    try:
        with engine.connect() as connection:
            before = sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))
        stack.sbg("db", "upgrade")
        stack.sbg("db", "upgrade")
        with engine.connect() as connection:
            after = sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()
    assert after == before and after
    assert launch() == (303, 200)


def test_the_app_recovers_by_itself_after_postgresql_restarts(stack, launch):
    stack.postgres_down()
    try:
        stack.wait_for_health(503, timeout=15)
    finally:
        stack.postgres_up()
    stack.wait_for_health(200, timeout=30)
    # Pooled connections died with the server: the first launches after recovery must still work.
    assert [launch() for _ in range(3)] == [(303, 200)] * 3, stack.log()[-3000:]


def test_the_app_recovers_by_itself_after_redis_restarts(stack, launch):
    stack.redis_down()
    try:
        stack.wait_for_health(503, timeout=15)
    finally:
        stack.redis_up()
    stack.wait_for_health(200, timeout=30)
    assert [launch() for _ in range(3)] == [(303, 200)] * 3, stack.log()[-3000:]
    assert all(process.poll() is None for process in stack.queue), stack.log("worker-0.log")[-3000:]


def test_students_launching_into_a_new_course_at_the_same_moment_all_get_in(stack, launch):
    course = f"bell-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: launch(course), range(8)))
    assert outcomes == [(303, 200)] * 8, stack.log()[-3000:]
