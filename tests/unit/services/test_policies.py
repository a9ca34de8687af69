"""Effective policy resolution: built-in -> district -> framework -> course, with locked keys."""

from __future__ import annotations

import uuid

import pytest

from lti_tool.engine import Policy
from lti_tool.services.errors import NotFound, ServiceError
from lti_tool.services.platforms import add_district
from lti_tool.services.policies import (
    CANVAS_SCALE_NAME,
    FOUR_LEVEL_SCALE_NAME,
    builtin_default,
    effective_grade_rules,
    effective_policy,
    policy_document,
    resolve_course_policy,
    save_policy,
    seed_district_defaults,
)
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    Framework,
    Platform,
    ProficiencyScaleRecord,
)

LETTERS = {"kind": "average", "cuts": [{"min": 3, "grade": "A"}, {"min": 2, "grade": "B"}, {"min": 0, "grade": "C"}]}


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _district_with_course(session, seeded: bool = True):
    district = add_district(session, _unique("policy-district"), actor="test")
    if seeded:
        seed_district_defaults(session, district.id)
    name = _unique("platform")
    platform = Platform(district_id=district.id, name=name, issuer=f"https://{name}.example.org", client_id="c",
                        auth_url="https://a", token_url="https://t", jwks_url="https://j")
    session.add(platform)
    session.flush()
    course = Course(platform_id=platform.id, deployment_id="d", context_id=_unique("ctx"))
    framework = Framework(district_id=district.id, identifier=_unique("fw"), title="Math")
    session.add_all([course, framework])
    session.flush()
    session.add(CourseFramework(course_id=course.id, framework_id=framework.id))
    session.flush()
    return district, course, framework


def test_a_course_with_no_policies_gets_the_built_in_default(db_session):
    _, course, _ = _district_with_course(db_session, seeded=False)
    policy = effective_policy(db_session, course.id)
    assert isinstance(policy, Policy)
    assert [level.label for level in policy.scale.levels] == ["Exceeds", "Meets", "Approaching", "Beginning"]
    assert policy.scale.mastery_points == 3
    assert policy.method.name == "decaying_average" and policy.method.params == {"weight": 65}
    assert [(cut.min_percent, cut.points) for cut in policy.conversion.cut_scores] == [(90, 4), (75, 3), (60, 2),
                                                                                        (0, 1)]
    assert (policy.rounding, policy.missing, policy.reassessment) == (2, "exclude", "replace")
    assert effective_grade_rules(db_session, course.id) is None


def test_seeding_creates_both_shipped_scales_and_the_district_default_once(db_session):
    district, course, _ = _district_with_course(db_session)
    seed_district_defaults(db_session, district.id)
    scales = {scale.name: scale for scale in db_session.query(ProficiencyScaleRecord)
              .filter_by(district_id=district.id)}
    assert set(scales) == {FOUR_LEVEL_SCALE_NAME, CANVAS_SCALE_NAME}
    canvas = scales[CANVAS_SCALE_NAME]
    assert [(level["points"], level["label"]) for level in canvas.levels] == [
        (4, "Exceeds Mastery"), (3, "Mastery"), (2, "Near Mastery"), (1, "Below Mastery"), (0, "No Evidence")]
    assert canvas.mastery_points == 3
    assert policy_document(db_session, course.id) == builtin_default()


def test_district_framework_and_course_layers_merge_key_by_key(db_session):
    district, course, framework = _district_with_course(db_session)
    save_policy(db_session, district.id, settings={"rounding": 1, "grade_rules": LETTERS}, actor="admin")
    save_policy(db_session, district.id, framework_id=framework.id, settings={"method": "highest"}, actor="admin")
    save_policy(db_session, district.id, course_id=course.id, settings={"missing": "zero"}, actor="teacher")
    resolved = resolve_course_policy(db_session, course.id)
    assert resolved.document["rounding"] == 1
    assert resolved.document["method"] == "highest"
    assert resolved.document["missing"] == "zero"
    assert resolved.document["reassessment"] == "replace"
    assert resolved.sources["rounding"] == "district"
    assert resolved.sources["method"] == "framework"
    assert resolved.sources["missing"] == "course"
    assert resolved.sources["reassessment"] == "built-in"
    rules = effective_grade_rules(db_session, course.id)
    assert rules is not None and [cut.grade for cut in rules.cuts] == ["A", "B", "C"]


def test_a_course_cannot_set_a_key_the_district_locked(db_session):
    district, course, _ = _district_with_course(db_session)
    save_policy(db_session, district.id, settings={"method": {"name": "decaying_average", "weight": 65}},
                locked=["method"], actor="admin")
    with pytest.raises(ServiceError, match="locked these settings: method"):
        save_policy(db_session, district.id, course_id=course.id, settings={"method": "latest"}, actor="teacher")


def test_a_course_value_saved_before_a_lock_is_ignored_after_it(db_session):
    district, course, _ = _district_with_course(db_session)
    save_policy(db_session, district.id, course_id=course.id, settings={"method": "latest"}, actor="teacher")
    save_policy(db_session, district.id, settings={}, locked=["method"], actor="admin")
    resolved = resolve_course_policy(db_session, course.id)
    assert resolved.document["method"] == {"name": "decaying_average", "weight": 65}
    assert resolved.ignored == ("method",)
    assert "method" in resolved.locked


def test_a_framework_lock_applies_to_its_courses(db_session):
    district, course, framework = _district_with_course(db_session)
    save_policy(db_session, district.id, framework_id=framework.id, settings={}, locked=["rounding"], actor="admin")
    with pytest.raises(ServiceError, match="rounding"):
        save_policy(db_session, district.id, course_id=course.id, settings={"rounding": 0}, actor="teacher")


def test_a_policy_whose_merged_result_is_invalid_is_refused_with_the_field(db_session):
    district, _, _ = _district_with_course(db_session)
    with pytest.raises(ServiceError, match=r"method\.weight"):
        save_policy(db_session, district.id, settings={"method": {"name": "decaying_average", "weight": 500}},
                    actor="admin")


def test_a_policy_naming_another_districts_scale_or_course_is_not_found(db_session):
    district, _, _ = _district_with_course(db_session)
    other, other_course, _ = _district_with_course(db_session)
    other_scale = db_session.query(ProficiencyScaleRecord).filter_by(district_id=other.id).first()
    with pytest.raises(NotFound):
        save_policy(db_session, district.id, settings={}, scale_id=other_scale.id, actor="admin")
    with pytest.raises(NotFound):
        save_policy(db_session, district.id, course_id=other_course.id, settings={}, actor="admin")


def test_choosing_the_canvas_scale_changes_the_effective_scale(db_session):
    district, course, _ = _district_with_course(db_session)
    canvas = db_session.query(ProficiencyScaleRecord).filter_by(district_id=district.id,
                                                                name=CANVAS_SCALE_NAME).one()
    save_policy(db_session, district.id, settings={}, scale_id=canvas.id, actor="admin")
    policy = effective_policy(db_session, course.id)
    assert policy.scale.lowest.label == "No Evidence"
    assert policy.scale.highest.color == "#008EE2"


def test_every_policy_change_is_audited_with_before_and_after(db_session):
    from lti_tool.storage.models import AuditEvent

    district, _, _ = _district_with_course(db_session)
    save_policy(db_session, district.id, settings={"rounding": 1}, actor="admin@example.org")
    event = db_session.query(AuditEvent).filter_by(district_id=district.id, entity="policy:district",
                                                   action="update").one()
    assert event.actor == "admin@example.org"
    assert event.before["settings"]["rounding"] == 2
    assert event.after["settings"] == {"rounding": 1}
