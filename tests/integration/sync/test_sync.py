"""Gradebook sync against the test LMS over real HTTP: columns, scores, timestamps, comments and faults."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from lti_tool.adapters.lti.ags import CANVAS_SUBMISSION_EXTENSION
from lti_tool.cli import main
from lti_tool.services import sync
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import Standard, SyncItem
from tests.lti_platform import ScriptedAnswer
from tests.lti_platform.ags import parse_timestamp

from .gradebook_course import set_levels


def run_sync(app, made, *extra: str):  # type: ignore[no-untyped-def]
    """`sbg sync run --wait` for a built course."""
    return app.test_cli_runner().invoke(main, ["sync", "run", "--platform", made.platform_name, "--course",
                                               made.lms_course_id, "--wait", *extra])


def tool_items(lms, made):  # type: ignore[no-untyped-def]
    """The course's line items on the platform, tool-owned first."""
    return [item for item in lms.ags.items_of(made.profile, made.lms_course_id)]


def posts_for(lms, made):  # type: ignore[no-untyped-def]
    """Score posts to this course's line items."""
    ids = {item.id for item in tool_items(lms, made)}
    return [post for post in lms.ags.score_posts if post.line_item_id in ids]


def test_a_first_sync_creates_one_column_per_standard_and_posts_every_score_once(app, lms, course_factory):
    made = course_factory("canvas", students=3, standards=2)
    result = run_sync(app, made)
    assert result.exit_code == 0, result.output
    assert "Sent 6, unchanged 0, failed 0." in result.output
    items = tool_items(lms, made)
    assert sorted(item.label for item in items) == ["8.EE.1 mastery", "8.EE.2 mastery"]
    assert {item.tag for item in items} == {"sbg-standard"}
    assert all(item.score_maximum == 4 and item.client_id == made.client_id for item in items)
    posts = posts_for(lms, made)
    assert len(posts) == 6 and all(post.status == 200 and post.applied for post in posts)
    body = posts[0].body
    assert body["activityProgress"] == "Completed" and body["gradingProgress"] == "FullyGraded"
    assert body[CANVAS_SUBMISSION_EXTENSION]["prioritize_non_tool_grade"] is True
    assert body["comment"] and body["timestamp"].endswith("+00:00") and "." not in body["timestamp"]
    stored = {(r.line_item_id, r.user_id): r.score for r in lms.ags.results.values()
              if r.line_item_id in {i.id for i in items}}
    assert len(stored) == 6 and set(stored.values()) <= {1.0, 2.0, 3.0, 4.0}


def test_resyncing_an_unchanged_course_posts_nothing_and_reuses_the_columns(app, lms, course_factory):
    made = course_factory("moodle", students=2, standards=2)
    assert run_sync(app, made).exit_code == 0
    before = lms.stats.requests["scores"], lms.stats.requests["lineitems.post"]
    again = run_sync(app, made)
    assert again.exit_code == 0, again.output
    assert "Sent 0, unchanged 4, failed 0." in again.output
    assert (lms.stats.requests["scores"], lms.stats.requests["lineitems.post"]) == before
    assert len(tool_items(lms, made)) == 2


def test_a_changed_level_is_posted_with_a_comment_and_a_strictly_later_whole_second_timestamp(app, lms,
                                                                                               course_factory):
    made = course_factory("moodle", students=2, standards=2, levels=[[1, 2], [3, 4]])
    assert run_sync(app, made).exit_code == 0
    with session_scope(app.extensions["sbg"].sessions) as session:
        set_levels(session, made, [[2, 2], [3, 4]])  # one cell changes, in the same second as the first sync
    result = run_sync(app, made)
    assert "Sent 1, unchanged 3, failed 0." in result.output, result.output
    posts = posts_for(lms, made)
    assert len(posts) == 5 and all(post.status == 200 for post in posts)
    latest = posts[-1].body
    assert latest["scoreGiven"] == 2.0 and "Approaching" in latest["comment"]
    same_cell = [parse_timestamp(p.body["timestamp"]) for p in posts if p.body["userId"] == latest["userId"]
                 and p.line_item_id == posts[-1].line_item_id]
    assert len(same_cell) == 2 and same_cell[1] > same_cell[0]  # Moodle would have answered 409 otherwise


def test_a_score_whose_level_did_not_change_carries_no_comment(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1, levels=[[3]])
    assert run_sync(app, made).exit_code == 0
    with session_scope(app.extensions["sbg"].sessions) as session:
        state = session.scalar(select(sync.SyncedScore).where(sync.SyncedScore.course_id == made.course_id))
        state.planned_score = 2.5  # the score moved within the same level
    assert run_sync(app, made).exit_code == 0
    posts = posts_for(lms, made)
    assert len(posts) == 2 and "comment" in posts[0].body and "comment" not in posts[1].body
    (result,) = [r for r in lms.ags.results.values() if r.line_item_id == posts[0].line_item_id]
    assert len(result.comments) == 1  # Canvas appends a comment per post: only the change made one


def test_a_renamed_standard_updates_its_column_instead_of_adding_one(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1)
    assert run_sync(app, made).exit_code == 0
    with session_scope(app.extensions["sbg"].sessions) as session:
        session.get(Standard, made.standards[0]).code = "8.EE.9"
    assert run_sync(app, made).exit_code == 0
    (item,) = tool_items(lms, made)
    assert item.label == "8.EE.9 mastery" and lms.stats.requests["lineitem.put"] >= 1


def test_a_column_made_by_deep_linking_is_found_by_resource_id_and_tag_not_duplicated(app, lms, course_factory):
    from lti_tool.services.sync import note_columns_may_exist

    made = course_factory("moodle", students=1, standards=1)
    with session_scope(app.extensions["sbg"].sessions) as session:
        identifier = session.get(Standard, made.standards[0]).identifier
        note_columns_may_exist(session, made.course_id)  # what the tool's deep-linking response records
    linked = lms.ags.add_line_item("moodle", made.lms_course_id, "Mastery of 8.EE.1", 4, client_id=made.client_id,
                                   resource_id=identifier, tag="sbg-standard", resource_link_id="rl-1")
    assert run_sync(app, made).exit_code == 0
    assert [item.id for item in tool_items(lms, made)] == [linked.id]
    assert {post.line_item_id for post in posts_for(lms, made)} == {linked.id}


def test_scores_never_reach_a_teachers_own_column_even_when_it_looks_like_ours(app, lms, course_factory):
    made = course_factory("moodle", students=1, standards=1)
    with session_scope(app.extensions["sbg"].sessions) as session:
        identifier = session.get(Standard, made.standards[0]).identifier
    lms.moodle_instance_collision = True
    try:
        foreign = lms.ags.add_line_item("moodle", made.lms_course_id, "Quiz 1", 10, client_id=None,
                                        resource_id=identifier, tag="sbg-standard")
        assert run_sync(app, made).exit_code == 0
    finally:
        lms.moodle_instance_collision = False
    assert all(post.line_item_id != foreign.id for post in lms.ags.score_posts)
    assert lms.ags.result(foreign, next(iter(made.people))) is None


def test_a_grade_typed_into_canvas_is_kept_and_shown_to_the_teacher_as_a_difference(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1, levels=[[3]])
    assert run_sync(app, made).exit_code == 0
    (item,) = tool_items(lms, made)
    sub = next(iter(made.people))
    lms.ags.set_teacher_grade(item, sub, 1.0)
    with session_scope(app.extensions["sbg"].sessions) as session:
        set_levels(session, made, [[4]])
    assert run_sync(app, made).exit_code == 0
    assert lms.ags.result(item, sub).score == 1.0  # prioritize_non_tool_grade kept the teacher's grade
    runtime = app.extensions["sbg"]
    with app.app_context(), session_scope(runtime.sessions) as session:
        course = session.get(sync.Course, made.course_id)
        gradebook = sync.gradebook_factory(runtime.http, runtime.service_tokens)(session, course)
        assert sync.compare_with_gradebook(session, made.course_id, gradebook) == 1
        (row,) = sync.student_statuses(session, made.course_id)
        assert row.differences == 1


def test_one_access_token_serves_a_whole_sync(app, lms, course_factory):
    made = course_factory("canvas", students=4, standards=3)
    before = lms.stats.token_requests
    assert run_sync(app, made).exit_code == 0
    assert lms.stats.token_requests - before <= 1
    assert len({r.headers.get("Authorization") for r in lms.requests if r.client_id == made.client_id}) == 1


def test_an_expired_token_is_replaced_once_and_nothing_is_lost(app, lms, course_factory):
    made = course_factory("canvas", students=2, standards=2)
    lms.faults.script(ScriptedAnswer.unauthorized(endpoint="scores"))
    assert run_sync(app, made).exit_code == 0
    applied = Counter((p.line_item_id, p.body["userId"]) for p in posts_for(lms, made) if p.applied)
    assert len(applied) == 4 and set(applied.values()) == {1}


def test_bursts_of_throttled_and_unavailable_answers_lose_and_duplicate_nothing(app, lms, course_factory):
    made = course_factory("canvas", students=4, standards=2)
    lms.faults.script(ScriptedAnswer.canvas_throttled(), ScriptedAnswer.canvas_throttled(),
                      ScriptedAnswer.too_many_requests(0), ScriptedAnswer.too_many_requests(0),
                      ScriptedAnswer.unavailable(), ScriptedAnswer.unavailable(endpoint="scores"),
                      ScriptedAnswer.unavailable(endpoint="scores"), ScriptedAnswer.canvas_throttled(endpoint="scores"))
    result = run_sync(app, made)
    assert result.exit_code == 0, result.output
    assert lms.faults.pending() == 0
    applied = Counter((p.line_item_id, p.body["userId"]) for p in posts_for(lms, made) if p.applied)
    assert len(applied) == 8 and set(applied.values()) == {1}
    with session_scope(app.extensions["sbg"].sessions) as session:
        statuses = Counter(session.scalars(select(SyncItem.status).where(SyncItem.course_id == made.course_id)))
    assert statuses == {"sent": 8}


def test_pacing_adapts_to_canvas_bucket_so_throttling_stops(app, lms, course_factory):
    made = course_factory("canvas", students=20, standards=5)
    lms.faults.latency = 0.02
    lms.throttle.enabled = True
    lms.throttle.bucket(made.client_id).fill(560)  # another tool has nearly emptied the key's budget
    start = len(lms.requests)
    result = run_sync(app, made)
    assert result.exit_code == 0, result.output
    ours = [r for r in lms.requests[start:] if r.client_id == made.client_id]
    throttled_at = [index for index, r in enumerate(ours) if r.status == 403]
    assert len([p for p in posts_for(lms, made) if p.applied]) == 100
    assert not throttled_at or max(throttled_at) < 10  # only before the pacer had read the budget
    assert len(ours) >= 100


def test_a_deleted_column_fails_its_scores_in_plain_words_and_the_next_sync_recreates_it(app, lms, course_factory):
    made = course_factory("canvas", students=1, standards=1, levels=[[2]])
    assert run_sync(app, made).exit_code == 0
    (item,) = tool_items(lms, made)
    lms.ags.items.pop(item.id)
    with session_scope(app.extensions["sbg"].sessions) as session:
        set_levels(session, made, [[3]])
    failed = run_sync(app, made)
    assert failed.exit_code == 1 and "deleted in the LMS" in failed.output
    with session_scope(app.extensions["sbg"].sessions) as session:
        set_levels(session, made, [[3]])
    again = run_sync(app, made)
    assert again.exit_code == 0, again.output
    (recreated,) = tool_items(lms, made)
    assert recreated.id != item.id and lms.ags.result(recreated, next(iter(made.people))).score == 3.0


def test_sync_status_lists_the_latest_run(app, course_factory):
    made = course_factory("canvas", students=1, standards=1)
    run_sync(app, made)
    status = app.test_cli_runner().invoke(main, ["sync", "status", "--platform", made.platform_name,
                                                  "--course", made.lms_course_id])
    assert status.exit_code == 0 and "1/1 done: 1 sent" in status.output


def test_timestamps_are_whole_seconds_in_utc():
    assert sync.whole_second(datetime(2026, 1, 1, 10, 0, 0, 999999, tzinfo=UTC)).microsecond == 0


def test_the_first_sync_of_a_course_without_deep_linked_columns_skips_the_listing(app, lms, course_factory):
    from lti_tool.services.sync import columns_may_exist

    made = course_factory("canvas", students=2, standards=2)
    listings = lms.stats.requests["lineitems.get"]
    assert run_sync(app, made).exit_code == 0
    assert lms.stats.requests["lineitems.get"] == listings
    assert len(tool_items(lms, made)) == 2
    with session_scope(app.extensions["sbg"].sessions) as session:
        assert columns_may_exist(session, made.course_id)  # a later first-time column lists before creating
