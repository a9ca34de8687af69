"""Overall letter grade from standard results: average-of-standards cut points, or first-matching decision rules."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from .errors import PolicyError
from .methods import ordered_sum
from .numbers import round_half_away
from .result import MasteryResult, Step

ConditionKind = Literal["none_below", "at_least_share", "at_least_count", "at_most_count_below", "average_at_least"]


@dataclass(frozen=True, slots=True)
class GradeCut:
    """An average of standards at or above ``min_average`` earns ``grade``."""

    min_average: float
    grade: str


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on the standards' scores, e.g. "no standard below 3" or "at least half at 4"."""

    kind: ConditionKind
    amount: float
    points: float | None = None


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """A grade given when every condition holds."""

    grade: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class GradeRules:
    """How a district turns standards into a letter: ``average`` with cuts, or ``rules`` (first match wins)."""

    kind: Literal["average", "rules"]
    cuts: tuple[GradeCut, ...] = ()
    rules: tuple[DecisionRule, ...] = ()
    otherwise: str | None = None
    rounding: int = 2


@dataclass(frozen=True)
class GradeResult:
    """The letter grade (None when no standard has a result or nothing matched) and its trace."""

    grade: str | None
    kind: str
    average: float | None
    trace: tuple[Step, ...]

    def trace_dicts(self) -> list[dict[str, Any]]:
        """The trace as a JSON-safe list of step dicts."""
        return [step.to_dict() for step in self.trace]


def overall_grade(results: Iterable[MasteryResult | tuple[str, float | None]], rules: GradeRules) -> GradeResult:
    """Apply district grading rules to one student's standard results."""
    pairs = [(item.standard, item.score) if isinstance(item, MasteryResult) else item for item in results]
    scored = [(standard, score) for standard, score in pairs if score is not None]
    steps = [Step("grade_inputs", {"standards": [{"standard": s, "score": v} for s, v in scored],
                                   "without_result": [s for s, v in pairs if v is None]})]
    scores = [score for _, score in scored]
    if not scores:
        steps.append(Step("grade_none", {"reason": "no_results"}))
        return GradeResult(None, rules.kind, None, tuple(steps))
    mean = round_half_away(ordered_sum(scores) / len(scores), rules.rounding)
    if rules.kind == "average":
        steps.append(Step("grade_average", {"scores": scores, "sum": ordered_sum(scores), "count": len(scores),
                                            "average": mean}))
        cut = next((cut for cut in rules.cuts if mean >= cut.min_average), None)
        steps.append(Step("grade_cut", {"average": mean, "grade": cut.grade if cut else None,
                                        "min_average": cut.min_average if cut else None}))
        return GradeResult(cut.grade if cut else None, "average", mean, tuple(steps))
    for index, rule in enumerate(rules.rules):
        checks = [_check(condition, scores, mean) for condition in rule.conditions]
        matched = all(check["passed"] for check in checks)
        steps.append(Step("grade_rule", {"index": index, "grade": rule.grade, "matched": matched,
                                         "conditions": checks}))
        if matched:
            return GradeResult(rule.grade, "rules", mean, tuple(steps))
    steps.append(Step("grade_otherwise", {"grade": rules.otherwise}))
    return GradeResult(rules.otherwise, "rules", mean, tuple(steps))


def _check(condition: Condition, scores: list[float], mean: float) -> dict[str, Any]:
    total = len(scores)
    points = condition.points
    base = {"kind": condition.kind, "points": points, "amount": condition.amount, "total": total}
    if condition.kind == "none_below":
        below = sum(1 for score in scores if score < condition.amount)
        return {**base, "actual": below, "passed": below == 0}
    if condition.kind == "at_least_share":
        assert points is not None
        at_or_above = sum(1 for score in scores if score >= points)
        # Compare as fractions so "half of 6" means exactly 3, with no float rounding at the edge.
        passed = Fraction(at_or_above, total) >= Fraction(str(condition.amount))
        return {**base, "actual": at_or_above, "passed": passed}
    if condition.kind == "at_least_count":
        assert points is not None
        at_or_above = sum(1 for score in scores if score >= points)
        return {**base, "actual": at_or_above, "passed": at_or_above >= condition.amount}
    if condition.kind == "at_most_count_below":
        assert points is not None
        below = sum(1 for score in scores if score < points)
        return {**base, "actual": below, "passed": below <= condition.amount}
    return {**base, "actual": mean, "passed": mean >= condition.amount}


def parse_grade_rules(data: Any) -> GradeRules:
    """Build GradeRules from plain data; raise PolicyError naming the bad field (paths start at ``grading``)."""
    if not isinstance(data, Mapping):
        raise PolicyError("grading", "must be an object")
    kind = data.get("kind")
    rounding = data.get("rounding", 2)
    if isinstance(rounding, bool) or not isinstance(rounding, int) or not 0 <= rounding <= 6:
        raise PolicyError("grading.rounding", "must be a whole number from 0 to 6")
    if kind == "average":
        _only(data, {"kind", "cuts", "rounding"}, "grading")
        raw_cuts = data.get("cuts")
        if not isinstance(raw_cuts, list) or not raw_cuts:
            raise PolicyError("grading.cuts", "must be a non-empty list")
        cuts = []
        for index, raw in enumerate(raw_cuts):
            where = f"grading.cuts[{index}]"
            if not isinstance(raw, Mapping):
                raise PolicyError(where, "must be an object")
            _only(raw, {"min", "grade"}, where)
            cuts.append(GradeCut(_number(raw.get("min"), f"{where}.min"), _text(raw.get("grade"), f"{where}.grade")))
        ordered = tuple(sorted(cuts, key=lambda cut: -cut.min_average))
        return GradeRules("average", cuts=ordered, rounding=rounding)
    if kind == "rules":
        _only(data, {"kind", "rules", "otherwise", "rounding"}, "grading")
        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise PolicyError("grading.rules", "must be a non-empty list")
        rules = tuple(_rule(raw, f"grading.rules[{index}]") for index, raw in enumerate(raw_rules))
        otherwise = data.get("otherwise")
        if otherwise is not None:
            otherwise = _text(otherwise, "grading.otherwise")
        return GradeRules("rules", rules=rules, otherwise=otherwise, rounding=rounding)
    raise PolicyError("grading.kind", "must be 'average' or 'rules'")


#: Condition keys as written in JSON: the amount key, the points key (if any), and the condition kind.
_CONDITION_FORMS: tuple[tuple[str, str | None, ConditionKind], ...] = (
    ("none_below", None, "none_below"),
    ("at_least_share", "at_or_above", "at_least_share"),
    ("at_least_count", "at_or_above", "at_least_count"),
    ("at_most_count", "below", "at_most_count_below"),
    ("average_at_least", None, "average_at_least"),
)


def _rule(raw: Any, where: str) -> DecisionRule:
    if not isinstance(raw, Mapping):
        raise PolicyError(where, "must be an object")
    _only(raw, {"grade", "when"}, where)
    grade = _text(raw.get("grade"), f"{where}.grade")
    when = raw.get("when")
    if not isinstance(when, list) or not when:
        raise PolicyError(f"{where}.when", "must be a non-empty list of conditions")
    return DecisionRule(grade, tuple(_condition(item, f"{where}.when[{index}]") for index, item in enumerate(when)))


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise PolicyError(where, "must be an object")
    for amount_key, points_key, kind in _CONDITION_FORMS:
        if amount_key in raw:
            _only(raw, {amount_key} | ({points_key} if points_key else set()), where)
            amount = _number(raw[amount_key], f"{where}.{amount_key}")
            if kind == "at_least_share" and not 0 <= amount <= 1:
                raise PolicyError(f"{where}.{amount_key}", "must be a share from 0 to 1")
            points = _number(raw.get(points_key), f"{where}.{points_key}") if points_key else None
            return Condition(kind, amount, points)
    forms = ", ".join(form[0] for form in _CONDITION_FORMS)
    raise PolicyError(where, f"must contain one of: {forms}")


def _only(data: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise PolicyError(f"{where}.{key}", "unknown field")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(where, "must be a number")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(where, "must be non-empty text")
    return value
