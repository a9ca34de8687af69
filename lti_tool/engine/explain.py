"""Explanations: a result's trace becomes short sentences, each a message id with its parameters.

Only the trace is read; nothing is recalculated here. :func:`render` turns sentences into text through an
optional ``translate`` hook applied to each template before formatting, so translations never concatenate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from .grade import GradeResult
from .messages import MESSAGES
from .numbers import format_number
from .result import MasteryResult, Step

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class Sentence(NamedTuple):
    """One sentence of an explanation: the message id and the values for its placeholders."""

    message_id: str
    params: Mapping[str, Any]


class Terms(tuple):  # type: ignore[type-arg]
    """Numbers shown as a sum, "3 + 4 + 2"."""


class Listing(tuple):  # type: ignore[type-arg]
    """Numbers shown as a list, "1, 2, 3"."""


class WeightedTerms(tuple):  # type: ignore[type-arg]
    """(weight, score) pairs shown as a weighted sum, "2 × 3 + 1 × 4"."""

    @classmethod
    def of(cls, scores: Sequence[float], weights: Sequence[float]) -> WeightedTerms:
        """Pair each score with its weight."""
        return cls(zip(weights, scores, strict=True))


def explain(result: MasteryResult) -> list[Sentence]:
    """The explanation of one mastery result, in reading order."""
    steps = [_data(step) for step in result.trace]
    sentences: list[Sentence] = []
    counted = [data for kind, data in steps if kind == "evidence"]
    sentences.append(_count_sentence(len(counted)))
    for kind, data in steps:
        if kind == "evidence":
            sentences.extend(_evidence(data))
        elif kind == "dropped":
            sentences.append(_dropped(data))
    for kind, data in steps:
        if kind == "method":
            sentences.extend(_method(data))
        elif kind == "rounding" and data["changed"]:
            message = "rounding_whole" if data["digits"] == 0 else "rounding"
            sentences.append(Sentence(message, {"digits": data["digits"], "rounded": data["rounded"]}))
        elif kind == "level":
            message = "level_below_scale" if data["below_scale"] else "level"
            sentences.append(Sentence(message, {"score": data["score"], "label": data["label"],
                                                "points": data["points"]}))
        elif kind == "override":
            sentences.append(Sentence("override", {"label": data["label"], "points": data["points"]}))
            if data["reason"]:
                sentences.append(Sentence("override_reason", {"reason": data["reason"]}))
            if data["calculated_score"] is not None:
                sentences.append(Sentence("override_calculated", {"score": data["calculated_score"]}))
        elif kind == "next_step":
            sentences.extend(_next(data))
    return sentences


def explain_grade(result: GradeResult) -> list[Sentence]:
    """The explanation of an overall grade, rule by rule."""
    sentences: list[Sentence] = []
    for kind, data in (_data(step) for step in result.trace):
        if kind == "grade_none":
            sentences.append(Sentence("grade_none", {}))
        elif kind == "grade_average":
            sentences.append(Sentence("grade_average", {"count": data["count"], "terms": Terms(data["scores"]),
                                                        "average": data["average"]}))
        elif kind == "grade_cut":
            if data["grade"] is None:
                sentences.append(Sentence("grade_no_cut", {}))
            else:
                sentences.append(Sentence("grade_cut", {"min_average": data["min_average"], "grade": data["grade"]}))
        elif kind == "grade_rule":
            message = "grade_rule_matched" if data["matched"] else "grade_rule_missed"
            sentences.append(Sentence(message, {"grade": data["grade"]}))
            for check in data["conditions"]:
                params = dict(check)
                if check["kind"] == "at_least_share":
                    params["share"] = check["amount"] * 100
                sentences.append(Sentence(f"condition_{check['kind']}", params))
        elif kind == "grade_otherwise" and data["grade"] is not None:
            sentences.append(Sentence("grade_otherwise", {"grade": data["grade"]}))
    return sentences


def render(
    sentences: Iterable[Sentence | tuple[str, Mapping[str, Any]]],
    translate: Callable[[str], str] = lambda template: template,
    *,
    number: Callable[[float], str] = format_number,
    day: Callable[[date], str] | None = None,
) -> list[str]:
    """Format each sentence's (translated) template with display-ready values."""
    show_day = day or format_day
    texts = []
    for message_id, params in sentences:
        values = {key: _display(value, number, show_day) for key, value in params.items()}
        texts.append(translate(MESSAGES[message_id]).format(**values))
    return texts


def format_day(moment: date) -> str:
    """English date text, e.g. "September 1, 2026"."""
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _display(value: Any, number: Callable[[float], str], day: Callable[[date], str]) -> Any:
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return value
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, datetime):
        return day(value.date())
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Terms):
        return " + ".join(number(item) for item in value)
    if isinstance(value, Listing):
        return ", ".join(number(item) for item in value)
    if isinstance(value, WeightedTerms):
        return " + ".join(f"{number(weight)} × {number(score)}" for weight, score in value)
    return value


def _data(step: Step) -> tuple[str, Mapping[str, Any]]:
    return step.kind, step.data


def _count_sentence(count: int) -> Sentence:
    if count == 0:
        return Sentence("count_none", {})
    if count == 1:
        return Sentence("count_one", {})
    return Sentence("count_many", {"count": count})


def _evidence(data: Mapping[str, Any]) -> list[Sentence]:
    name, moment = data["assignment"], data["at"]
    common = {"assignment": name, "label": data["label"], "points": data["points"]}
    if data["source"] == "missing_zero":
        sentences = [Sentence("evidence_missing_zero", common)]
    elif data["source"] == "rubric":
        sentences = [Sentence("evidence_rubric" if moment else "evidence_rubric_undated", {**common, "date": moment})]
    else:
        params = {**common, "date": moment, "score": data["score"], "max": data["max"], "percent": data["percent"]}
        sentences = [Sentence("evidence_score" if moment else "evidence_score_undated", params)]
    if data.get("retake_of"):
        sentences.append(Sentence("evidence_retake", {"assignment": name, "original": data["retake_of"]}))
    if "weight" in data:
        sentences.append(Sentence("evidence_weight", {"assignment": name, "weight": data["weight"]}))
    return sentences


def _dropped(data: Mapping[str, Any]) -> Sentence:
    reason = data["reason"]
    if reason == "replaced":
        return Sentence("dropped_replaced", {"assignment": data["assignment"], "replacement": data["replaced_by"]})
    if reason == "after_as_of":
        return Sentence("dropped_after_as_of", {"assignment": data["assignment"], "date": data["as_of"]})
    return Sentence(f"dropped_{reason}", {"assignment": data["assignment"]})


def _method(data: Mapping[str, Any]) -> list[Sentence]:
    case = data.get("case")
    if case == "no_scores":
        return [Sentence("method_no_scores", {})]
    if case == "single":
        return [Sentence("method_single", {"value": data["value"]})]
    explainer = _METHOD_EXPLAINERS[data["method"]]
    return explainer(data)


def _weighted(data: Mapping[str, Any]) -> list[Sentence]:
    weight = data["weight"]
    earlier = data["earlier"]
    sentences = [Sentence("weighted_weights", {"weight": weight, "rest": 100 - weight})]
    if "earlier_weights" in data:
        sentences.append(Sentence("weighted_earlier_weights", {
            "terms": WeightedTerms.of(earlier, data["earlier_weights"]), "total": data["earlier_weight_total"],
            "mean": data["earlier_mean"]}))
    elif len(earlier) > 1:
        sentences.append(Sentence("weighted_earlier", {"terms": Terms(earlier), "count": len(earlier),
                                                       "mean": data["earlier_mean"]}))
    sentences.append(Sentence("weighted_formula", {"weight_share": weight / 100, "latest": data["latest"],
                                                   "rest_share": (100 - weight) / 100, "mean": data["earlier_mean"],
                                                   "value": data["value"]}))
    return sentences


def _decayed(data: Mapping[str, Any]) -> list[Sentence]:
    weight = data["weight"]
    sentences = [Sentence("decayed_weights", {"weight": weight, "rest": 100 - weight}),
                 Sentence("decayed_start", {"first": data["first"]})]
    for step in data["steps"]:
        sentences.append(Sentence("decayed_step", {"keep": (100 - weight) / 100, "take": weight / 100,
                                                   "previous": step["previous"], "score": step["score"],
                                                   "value": step["value"]}))
    return sentences


def _n_mastery(data: Mapping[str, Any]) -> list[Sentence]:
    sentences = [Sentence("n_mastery_rule", {"mastery_points": data["mastery_points"], "n": data["n"]})]
    kept = data["kept"]
    if data["case"] == "too_few_scores":
        sentences.append(Sentence("n_mastery_too_few_scores", {"count": data["count"], "n": data["n"]}))
    elif data["case"] == "too_few_mastery":
        sentences.append(Sentence("n_mastery_too_few_mastery", {"kept": len(kept)}))
    elif "weights" in data:
        sentences.append(Sentence("n_mastery_mean_weights", {
            "kept": len(kept), "terms": WeightedTerms.of(kept, data["weights"]), "total": data["weight_total"],
            "value": data["value"]}))
    else:
        sentences.append(Sentence("n_mastery_mean", {"kept": len(kept), "terms": Terms(kept), "value": data["value"]}))
    return sentences


def _median(data: Mapping[str, Any]) -> list[Sentence]:
    sentences = [Sentence("median_sorted", {"sorted": Listing(data["sorted"])})]
    middle = data["middle"]
    if len(middle) == 1:
        sentences.append(Sentence("median_odd", {"value": data["value"]}))
    else:
        sentences.append(Sentence("median_even", {"low": middle[0], "high": middle[1], "value": data["value"]}))
    return sentences


def _mode(data: Mapping[str, Any]) -> list[Sentence]:
    if data["times"] == 1:
        return [Sentence("mode_all_once", {"value": data["value"]})]
    if len(data["tied"]) > 1:
        return [Sentence("mode_tie", {"times": data["times"], "tied": Listing(data["tied"]), "value": data["value"]})]
    return [Sentence("mode", {"value": data["value"], "times": data["times"]})]


def _average(data: Mapping[str, Any]) -> list[Sentence]:
    scores = data["scores"]
    if "weights" in data:
        return [Sentence("average_weights", {"terms": WeightedTerms.of(scores, data["weights"]),
                                             "total": data["weight_total"], "value": data["value"]})]
    return [Sentence("average", {"terms": Terms(scores), "count": len(scores), "value": data["value"]})]


def _latest_n(data: Mapping[str, Any]) -> list[Sentence]:
    used = data["used"]
    message = "latest_n_all" if data["count"] < data["n"] else "latest_n"
    if "weights" in data:
        return [Sentence(message + "_weights", {"n": data["n"], "count": len(used),
                                                "terms": WeightedTerms.of(used, data["weights"]),
                                                "total": data["weight_total"], "value": data["value"]})]
    return [Sentence(message, {"n": data["n"], "count": len(used), "terms": Terms(used), "value": data["value"]})]


def _power_law(data: Mapping[str, Any]) -> list[Sentence]:
    sentences = [Sentence("power_law_intro", {})]
    if data["raised_zeros"]:
        sentences.append(Sentence("power_law_zero", {}))
    sentences.append(Sentence("power_law_formula", {"a": data["a"], "b": data["b"], "x": data["x"],
                                                    "fitted": data["fitted"]}))
    if data["clamped"]:
        message = "power_law_clamped_high" if data["fitted"] > data["value"] else "power_law_clamped_low"
        sentences.append(Sentence(message, {"value": data["value"]}))
    return sentences


def _next(data: Mapping[str, Any]) -> list[Sentence]:
    kind = data["kind"]
    if kind == "overridden":
        return [Sentence("next_overridden", {})]
    if kind == "out_of_reach":
        return [Sentence("next_out_of_reach", {"count": data["count"]})]
    sentences = [Sentence("next_mastery", {})] if kind == "mastery_reached" else []
    if data["points"] is not None:
        message = "next_one" if data["count"] == 1 else "next_many"
        if data["or_better"]:
            message += "_or_better"
        sentences.append(Sentence(message, {"count": data["count"], "label": data["label"], "points": data["points"],
                                            "new_label": data["new_label"]}))
    return sentences


_METHOD_EXPLAINERS: Mapping[str, Callable[[Mapping[str, Any]], Sequence[Sentence]]] = {
    "decaying_average": _weighted,
    "standard_decaying_average": _decayed,
    "n_mastery": _n_mastery,
    "latest": lambda data: [Sentence("latest", {"value": data["value"]})],
    "highest": lambda data: [Sentence("highest", {"value": data["value"]})],
    "average": _average,
    "median": _median,
    "mode": _mode,
    "average_of_latest": _latest_n,
    "power_law": _power_law,
}
