"""Grading policies: resolve a course's effective policy, save policies, and seed a district's defaults.

A policy document has the `sbg compute` input's shape minus evidence (`scale`, `conversion`, `method`,
`rounding`, `missing`, `reassessment`) plus `grade_rules`. Four layers are merged key by key, later layers
winning: built-in default -> district default -> the course framework's policy -> the course's policy.
Keys the district or framework policy lists in `locked` keep their admin value: a course cannot change them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.engine import (
    GradeRules,
    Policy,
    PolicyError,
    parse_grade_rules,
    parse_policy,
)
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    Framework,
    GradingPolicyRecord,
    Platform,
    ProficiencyScaleRecord,
)

from . import audit
from .errors import NotFound, ServiceError

#: Every setting a policy document may hold, in the order editors show them.
SETTING_KEYS: tuple[str, ...] = ("scale", "conversion", "method", "rounding", "missing", "reassessment",
                                 "grade_rules")

FOUR_LEVEL_SCALE_NAME = "Four levels (Exceeds, Meets, Approaching, Beginning)"
CANVAS_SCALE_NAME = "Canvas default (5 ratings)"

#: The shipped 4-level scale; colours keep white text at 4.5:1 or better (WCAG AA).
FOUR_LEVEL_LEVELS: tuple[dict[str, Any], ...] = (
    {"points": 4, "label": "Exceeds", "description": "Goes beyond the standard.", "colour": "#0B5394"},
    {"points": 3, "label": "Meets", "description": "Meets the standard.", "colour": "#1E6B2E"},
    {"points": 2, "label": "Approaching", "description": "Partly meets the standard.", "colour": "#8A5300"},
    {"points": 1, "label": "Beginning", "description": "Starting to work towards the standard.",
     "colour": "#A61B1B"},
)

#: Canvas's default mastery scale (OutcomeProficiency.default_ratings): labels, points and colours as Canvas ships.
CANVAS_LEVELS: tuple[dict[str, Any], ...] = (
    {"points": 4, "label": "Exceeds Mastery", "description": "", "colour": "#008EE2"},
    {"points": 3, "label": "Mastery", "description": "", "colour": "#00AC18"},
    {"points": 2, "label": "Near Mastery", "description": "", "colour": "#FAB901"},
    {"points": 1, "label": "Below Mastery", "description": "", "colour": "#D97900"},
    {"points": 0, "label": "No Evidence", "description": "", "colour": "#EE0612"},
)


def engine_scale(levels: list[dict[str, Any]] | tuple[dict[str, Any], ...], mastery_points: float) -> dict[str, Any]:
    """A stored scale (levels with `colour`) in the engine's `scale` shape (levels with `color`)."""
    return {
        "levels": [{"points": level["points"], "label": level["label"],
                    "description": level.get("description", ""),
                    **({"color": level["colour"]} if level.get("colour") else {})} for level in levels],
        "mastery_points": mastery_points,
    }


def builtin_default() -> dict[str, Any]:
    """The policy every district starts from: 4 levels, mastery at 3, cut scores 90/75/60/0, decaying average 65."""
    return {
        "scale": engine_scale(FOUR_LEVEL_LEVELS, 3),
        "conversion": {"cut_scores": [{"min_percent": 90, "points": 4}, {"min_percent": 75, "points": 3},
                                      {"min_percent": 60, "points": 2}, {"min_percent": 0, "points": 1}]},
        "method": {"name": "decaying_average", "weight": 65},
        "rounding": 2,
        "missing": "exclude",
        "reassessment": "replace",
    }


@dataclass(frozen=True)
class ResolvedPolicy:
    """A merged policy document, the keys teachers may not change, and which layer gave each key."""

    document: dict[str, Any]
    locked: tuple[str, ...]
    sources: dict[str, str] = field(default_factory=dict)
    #: Keys a course policy tried to set although they are locked (kept at the admin value).
    ignored: tuple[str, ...] = ()

    def policy(self) -> Policy:
        """The engine Policy of this document."""
        return parse_policy({key: value for key, value in self.document.items() if key != "grade_rules"})

    def grade_rules(self) -> GradeRules | None:
        """The letter-grade rules, or None when the district gives no letter grades."""
        rules = self.document.get("grade_rules")
        return parse_grade_rules(rules) if rules is not None else None


def _course_scope(session: Session, course_id: int) -> tuple[int, int | None]:
    """The course's district and framework ids."""
    row = session.execute(
        select(Platform.district_id, CourseFramework.framework_id)
        .select_from(Course)
        .join(Platform, Platform.id == Course.platform_id)
        .outerjoin(CourseFramework, CourseFramework.course_id == Course.id)
        .where(Course.id == course_id)
    ).first()
    if row is None:
        raise NotFound(f"No course {course_id}.")
    return row[0], row[1]


def _record(session: Session, district_id: int, framework_id: int | None,
            course_id: int | None) -> GradingPolicyRecord | None:
    query = select(GradingPolicyRecord).where(GradingPolicyRecord.district_id == district_id)
    query = query.where(GradingPolicyRecord.framework_id.is_(None) if framework_id is None
                        else GradingPolicyRecord.framework_id == framework_id)
    query = query.where(GradingPolicyRecord.course_id.is_(None) if course_id is None
                        else GradingPolicyRecord.course_id == course_id)
    return session.scalar(query)


def _layer_settings(session: Session, record: GradingPolicyRecord) -> dict[str, Any]:
    """A record's own settings, with its chosen scale filled in when the settings name none."""
    settings = {key: value for key, value in (record.settings or {}).items() if key in SETTING_KEYS}
    if "scale" not in settings and record.scale_id is not None:
        scale = session.get(ProficiencyScaleRecord, record.scale_id)
        if scale is not None and scale.district_id == record.district_id:
            settings["scale"] = engine_scale(scale.levels, scale.mastery_points)
    return settings


def resolve_policy(session: Session, district_id: int, framework_id: int | None = None,
                   course_id: int | None = None) -> ResolvedPolicy:
    """Merge built-in, district, framework and course layers (each optional) into one document."""
    document = builtin_default()
    sources = {key: "built-in" for key in document}
    locked: list[str] = []
    ignored: list[str] = []
    layers: list[tuple[str, GradingPolicyRecord | None]] = [("district", _record(session, district_id, None, None))]
    if framework_id is not None:
        layers.append(("framework", _record(session, district_id, framework_id, None)))
    if course_id is not None:
        layers.append(("course", _record(session, district_id, None, course_id)))
    for layer, record in layers:
        if record is None:
            continue
        for key, value in _layer_settings(session, record).items():
            if layer == "course" and key in locked:
                ignored.append(key)
                continue
            document[key] = copy.deepcopy(value)
            sources[key] = layer
        if layer != "course":
            locked.extend(key for key in record.locked or [] if key in SETTING_KEYS and key not in locked)
    return ResolvedPolicy(document, tuple(locked), sources, tuple(ignored))


def resolve_course_policy(session: Session, course_id: int) -> ResolvedPolicy:
    """The course's merged policy with its locks and sources."""
    district_id, framework_id = _course_scope(session, course_id)
    return resolve_policy(session, district_id, framework_id, course_id)


def policy_document(session: Session, course_id: int) -> dict[str, Any]:
    """The course's merged policy document (JSON-safe; feed it to `parse_policy` or `sbg compute`)."""
    return resolve_course_policy(session, course_id).document


def effective_policy(session: Session, course_id: int) -> Policy:
    """The engine Policy a course grades with (course -> framework -> district -> built-in)."""
    resolved = resolve_course_policy(session, course_id)
    try:
        return resolved.policy()
    except PolicyError as error:
        raise ServiceError(f"The grading policy of this course is not valid: {error}") from error


def effective_grade_rules(session: Session, course_id: int) -> GradeRules | None:
    """The course's letter-grade rules, or None when its policies define none."""
    resolved = resolve_course_policy(session, course_id)
    try:
        return resolved.grade_rules()
    except PolicyError as error:
        raise ServiceError(f"The letter-grade rules of this course are not valid: {error}") from error


def validate_document(document: Mapping[str, Any]) -> None:
    """Raise ServiceError naming the bad field when a merged document is not a valid policy."""
    try:
        parse_policy({key: value for key, value in document.items() if key != "grade_rules"})
        if document.get("grade_rules") is not None:
            parse_grade_rules(document["grade_rules"])
    except PolicyError as error:
        raise ServiceError(f"The policy is not valid: {error}") from error


def _policy_snapshot(record: GradingPolicyRecord) -> dict[str, Any]:
    return {"settings": copy.deepcopy(record.settings or {}), "locked": list(record.locked or []),
            "scale_id": record.scale_id}


def save_policy(session: Session, district_id: int, *, settings: Mapping[str, Any], locked: list[str] | None = None,
                framework_id: int | None = None, course_id: int | None = None, scale_id: int | None = None,
                actor: str) -> GradingPolicyRecord:
    """Create or replace one policy layer after checking the merged result; audited with before/after."""
    unknown = [key for key in settings if key not in SETTING_KEYS]
    if unknown:
        raise ServiceError(f"Unknown policy settings: {', '.join(unknown)}. Use {', '.join(SETTING_KEYS)}.")
    locked = list(locked or [])
    bad_locks = [key for key in locked if key not in SETTING_KEYS]
    if bad_locks:
        raise ServiceError(f"Unknown settings to lock: {', '.join(bad_locks)}.")
    if framework_id is not None and course_id is not None:
        raise ServiceError("A policy belongs to a district, a framework or a course, not to several.")
    if framework_id is not None:
        framework = session.get(Framework, framework_id)
        if framework is None or framework.district_id != district_id:
            raise NotFound(f"No framework {framework_id} in this district.")
    if scale_id is not None:
        scale = session.get(ProficiencyScaleRecord, scale_id)
        if scale is None or scale.district_id != district_id:
            raise NotFound(f"No scale {scale_id} in this district.")
    course_framework: int | None = None
    if course_id is not None:
        course_district, course_framework = _course_scope(session, course_id)
        if course_district != district_id:
            raise NotFound(f"No course {course_id} in this district.")
        above = resolve_policy(session, district_id, course_framework)
        refused = [key for key in settings if key in above.locked]
        if scale_id is not None and "scale" in above.locked:
            refused.append("scale")
        if refused:
            raise ServiceError(f"The district has locked these settings: {', '.join(sorted(set(refused)))}.")
        locked = []  # teachers cannot lock anything for anyone below them
    record = _record(session, district_id, framework_id, course_id)
    before = _policy_snapshot(record) if record is not None else None
    if record is None:
        record = GradingPolicyRecord(district_id=district_id, framework_id=framework_id, course_id=course_id)
        session.add(record)
    record.settings = copy.deepcopy(dict(settings))
    record.locked = locked
    record.scale_id = scale_id
    record.updated_by = actor
    session.flush()
    merged = resolve_policy(session, district_id, framework_id if course_id is None else course_framework,
                            course_id)
    validate_document(merged.document)
    scope = "course" if course_id is not None else "framework" if framework_id is not None else "district"
    audit.record(session, district_id=district_id, actor=actor, action="update" if before else "create",
                 entity=f"policy:{scope}", entity_id=record.id, before=before, after=_policy_snapshot(record))
    return record


def seed_district_defaults(session: Session, district_id: int, actor: str = "system") -> GradingPolicyRecord:
    """Give a district the two shipped scales and its default policy (idempotent: existing ones are kept)."""
    scales = {}
    for name, levels in ((FOUR_LEVEL_SCALE_NAME, FOUR_LEVEL_LEVELS), (CANVAS_SCALE_NAME, CANVAS_LEVELS)):
        scale = session.scalar(select(ProficiencyScaleRecord).where(
            ProficiencyScaleRecord.district_id == district_id, ProficiencyScaleRecord.name == name))
        if scale is None:
            scale = ProficiencyScaleRecord(district_id=district_id, name=name,
                                           levels=[dict(level) for level in levels], mastery_points=3)
            session.add(scale)
            session.flush()
            audit.record(session, district_id=district_id, actor=actor, action="create", entity="scale",
                         entity_id=scale.id, after={"name": name, "levels": scale.levels, "mastery_points": 3})
        scales[name] = scale
    policy = _record(session, district_id, None, None)
    if policy is None:
        settings = {key: value for key, value in builtin_default().items() if key != "scale"}
        policy = GradingPolicyRecord(district_id=district_id, settings=settings, locked=[],
                                     scale_id=scales[FOUR_LEVEL_SCALE_NAME].id, updated_by=actor)
        session.add(policy)
        session.flush()
        audit.record(session, district_id=district_id, actor=actor, action="create", entity="policy:district",
                     entity_id=policy.id, after=_policy_snapshot(policy))
    return policy


#: Sample evidence for the editors' live preview: three students, one standard, scores over a term.
SAMPLE_EVIDENCE: tuple[dict[str, Any], ...] = (
    {"student": "Ana (improving)", "standard": "Sample standard", "assignment": "Quiz 1", "score": 5, "max": 10,
     "at": "2026-09-07T09:00:00Z"},
    {"student": "Ana (improving)", "standard": "Sample standard", "assignment": "Quiz 2", "score": 7, "max": 10,
     "at": "2026-09-21T09:00:00Z"},
    {"student": "Ana (improving)", "standard": "Sample standard", "assignment": "Test", "score": 19, "max": 20,
     "at": "2026-10-05T09:00:00Z"},
    {"student": "Ben (slipping)", "standard": "Sample standard", "assignment": "Quiz 1", "score": 10, "max": 10,
     "at": "2026-09-07T09:00:00Z"},
    {"student": "Ben (slipping)", "standard": "Sample standard", "assignment": "Quiz 2", "score": 8, "max": 10,
     "at": "2026-09-21T09:00:00Z"},
    {"student": "Ben (slipping)", "standard": "Sample standard", "assignment": "Test", "score": 12, "max": 20,
     "at": "2026-10-05T09:00:00Z"},
    {"student": "Cy (missed one)", "standard": "Sample standard", "assignment": "Quiz 1", "score": 8, "max": 10,
     "at": "2026-09-07T09:00:00Z"},
    {"student": "Cy (missed one)", "standard": "Sample standard", "assignment": "Quiz 2", "missing": True,
     "at": "2026-09-21T09:00:00Z"},
    {"student": "Cy (missed one)", "standard": "Sample standard", "assignment": "Test", "score": 16, "max": 20,
     "at": "2026-10-05T09:00:00Z"},
)


def preview(document: Mapping[str, Any], evidence: Any = None) -> dict[str, Any]:
    """Run the mastery engine on sample (or given) evidence with a policy document, for the editors' live preview."""
    from lti_tool.engine import (
        calculate_all,
        explain,
        explain_grade,
        overall_grade,
        parse_evidence_list,
        render,
    )

    try:
        policy = parse_policy({key: value for key, value in document.items() if key != "grade_rules"})
        rules = parse_grade_rules(document["grade_rules"]) if document.get("grade_rules") is not None else None
        items = parse_evidence_list(list(SAMPLE_EVIDENCE) if evidence is None else evidence)
    except PolicyError as error:
        raise ServiceError(f"The policy is not valid: {error}") from error
    except ValueError as error:  # InputError and EvidenceError name the bad field
        raise ServiceError(f"The sample evidence is not valid: {error}") from error
    results = calculate_all(items, policy)
    rows = []
    for result in results:
        level = result.level
        rows.append({"student": result.student, "standard": result.standard, "score": result.score,
                     "level": level.label if level else None, "colour": level.color if level else None,
                     "mastered": result.mastered, "evidence_count": result.evidence_count,
                     "explanation": " ".join(render(explain(result)))})
        if rules is not None:
            grade = overall_grade([result], rules)
            rows[-1]["grade"] = grade.grade
            rows[-1]["grade_explanation"] = " ".join(render(explain_grade(grade)))
    return {"results": rows, "evidence": [dict(item) for item in
                                          (SAMPLE_EVIDENCE if evidence is None else evidence)]}


def draft_document(session: Session, district_id: int, settings: Mapping[str, Any], *, scale_id: int | None = None,
                   framework_id: int | None = None) -> dict[str, Any]:
    """The document a district (or framework) policy would resolve to with these unsaved settings."""
    document = resolve_policy(session, district_id).document if framework_id is not None else builtin_default()
    document.update(copy.deepcopy(dict(settings)))
    if scale_id is not None and "scale" not in settings:
        scale = session.get(ProficiencyScaleRecord, scale_id)
        if scale is None or scale.district_id != district_id:
            raise NotFound(f"No scale {scale_id} in this district.")
        document["scale"] = engine_scale(scale.levels, scale.mastery_points)
    return document


def policy_record(session: Session, district_id: int, framework_id: int | None = None) -> GradingPolicyRecord | None:
    """The stored district default (or a framework's) policy record, if any."""
    return _record(session, district_id, framework_id, None)
