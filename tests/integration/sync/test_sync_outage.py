"""The outbox during LMS outages, one send at a time against the test LMS: a long outage never fails a grade, a
token endpoint that is down is waited out, and a score post that timed out but was stored is not sent twice."""

from __future__ import annotations

import time

import pytest

from lti_tool.adapters.lti.pacing import PacerRegistry, PacingSettings
from lti_tool.adapters.lti.service_auth import ServiceTokenCache
from lti_tool.services import sync
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import SyncItem
from tests.lti_platform import Outage

#: Backoff inside the AGS client shrunk to milliseconds, so many rounds of an outage take no time.
QUICK_PACERS = PacingSettings(base_backoff=0.001, max_backoff=0.002)


def prepare(app, made) -> int:  # type: ignore[no-untyped-def]
    """Plan the course's only score and create its column while the LMS is up; returns the item id."""
    runtime = app.extensions["sbg"]
    with session_scope(runtime.sessions) as session:
        run = sync.plan_sync(session, made.course_id, trigger="cli", actor="test")
        course = session.get(sync.Course, made.course_id)
        sync.ensure_line_items(session, made.course_id,
                               sync.gradebook_factory(runtime.http, runtime.service_tokens)(session, course))
        (item_id,) = sync.unfinished_item_ids(session, run_id=run.id)
    return item_id


def applied_posts(lms, made) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Score posts the LMS stored for this course's columns."""
    ids = {item.id for item in lms.ags.items_of(made.profile, made.lms_course_id)}
    return [post for post in lms.ags.score_posts if post.line_item_id in ids and post.applied]


def status_of(app, item_id: int) -> str:  # type: ignore[no-untyped-def]
    """An item's outbox status."""
    with session_scope(app.extensions["sbg"].sessions) as session:
        return session.get(SyncItem, item_id).status  # type: ignore[union-attr]


def test_the_retry_delay_doubles_each_round_and_stays_under_its_cap():
    for attempts, ceiling in ((1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (5, 60.0), (30, 60.0)):
        delays = [sync.retry_delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempts, min(delays), max(delays))


def test_an_lms_down_for_more_rounds_than_any_fixed_limit_keeps_the_score_pending_then_sends_it_once(
        app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1)
    item_id = prepare(app, made)
    runtime = app.extensions["sbg"]
    gradebooks = sync.gradebook_factory(runtime.http, runtime.service_tokens, pacers=PacerRegistry(QUICK_PACERS))
    lms.faults.outage = Outage.starting_now("5xx", 3600)
    for _round in range(sync.MAX_ROUNDS + 3):
        with pytest.raises(sync.RetryLater) as retry:
            sync.send_item(runtime.sessions, item_id, gradebooks)
        assert not retry.value.in_doubt  # a 503 means the LMS did not take it
        assert status_of(app, item_id) == "pending"
    lms.faults.outage = None
    assert sync.send_item(runtime.sessions, item_id, gradebooks) == "sent"
    assert len(applied_posts(lms, made)) == 1


def test_a_token_endpoint_that_is_down_is_waited_out_instead_of_failing_the_score(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1)
    item_id = prepare(app, made)
    runtime = app.extensions["sbg"]
    # A process that has no token yet (a worker that just started) meets the outage at the token endpoint.
    tokens = ServiceTokenCache(http=runtime.http, signing_key=runtime.service_tokens.signing_key)
    gradebooks = sync.gradebook_factory(runtime.http, tokens, pacers=PacerRegistry(QUICK_PACERS))
    lms.faults.outage = Outage.starting_now("5xx", 3600, endpoints=frozenset({"token"}))
    with pytest.raises(sync.RetryLater):
        sync.send_item(runtime.sessions, item_id, gradebooks)
    assert status_of(app, item_id) == "pending"
    lms.faults.outage = None
    assert sync.send_item(runtime.sessions, item_id, gradebooks) == "sent"
    assert len(applied_posts(lms, made)) == 1


def test_a_score_post_that_timed_out_but_was_stored_is_checked_and_not_posted_again(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1)
    item_id = prepare(app, made)
    runtime = app.extensions["sbg"]
    gradebooks = sync.gradebook_factory(runtime.http, runtime.service_tokens, pacers=PacerRegistry(QUICK_PACERS),
                                        timeout=(1.0, 0.3))
    lms.faults.outage = Outage.starting_now("timeout", 3600, hang=0.8, endpoints=frozenset({"scores"}))
    with pytest.raises(sync.RetryLater) as retry:
        sync.send_item(runtime.sessions, item_id, gradebooks)
    assert retry.value.in_doubt and retry.value.delay >= sync.IN_DOUBT_SETTLE_SECONDS
    deadline = time.monotonic() + 10
    while not applied_posts(lms, made) and time.monotonic() < deadline:
        time.sleep(0.05)  # the LMS finishes the request the tool gave up on
    lms.faults.outage = None
    assert sync.send_item(runtime.sessions, item_id, gradebooks) == "sent"
    (post,) = applied_posts(lms, made)
    with session_scope(runtime.sessions) as session:
        item = session.get(SyncItem, item_id)
        assert item.lms_message.startswith("Already in the gradebook")  # type: ignore[union-attr]
        assert post.body["scoreGiven"] == item.score_given  # type: ignore[union-attr]


def test_a_rescheduled_send_steps_aside_when_another_sender_has_claimed_the_item(app, course_factory):
    from lti_tool.jobs.sync_tasks import _overtaken

    made = course_factory("canvas", students=1, standards=1)
    item_id = prepare(app, made)
    with app.app_context():
        assert _overtaken(item_id, 0) is None  # nobody took it since: go ahead
        with session_scope(app.extensions["sbg"].sessions) as session:
            assert sync.claim_item(session, item_id) is not None
        assert _overtaken(item_id, 0) == "sending"
        assert _overtaken(item_id, None) is None  # the sweep's tasks expect nothing in particular
