"""The mastery engine: pure calculation of standards-based mastery, with traces that explain every number.

Plain data in, plain data out; only the standard library and NumPy are imported.

Public API:

* :func:`calculate` ``(evidence, policy, as_of=None, override=None) -> MasteryResult``: one student, one
  standard, with the full trace and next-step guidance. :func:`calculate_all` does every pair in a list.
* :func:`calculate_batch` ``(EvidenceTable, policy, as_of=None) -> BatchResult``: NumPy path for district-scale
  recompute; equal to :func:`calculate` (scores, levels, mastery, evidence counts; no traces).
* :func:`overall_grade` ``(results, rules) -> GradeResult``: letter grade by average cuts or decision rules.
* :func:`explain` / :func:`explain_grade` -> list of :class:`Sentence` ``(message_id, params)``;
  :func:`render` ``(sentences, translate=identity) -> list[str]``; templates live in :data:`MESSAGES`.
* :func:`parse_policy`, :func:`parse_grade_rules`, :func:`parse_evidence_list`, :func:`parse_overrides`: plain dicts to validated objects, raising
  :class:`PolicyError` whose ``field`` names the bad input (e.g. ``method.weight``).
* :data:`METHODS`: every calculation method by its stored (Canvas) name.
"""

from .batch import BatchResult, BatchRow, EvidenceTable, calculate_batch
from .calculate import calculate, calculate_all
from .conversion import Conversion, CutScore
from .errors import EvidenceError, InputError, PolicyError
from .evidence import Evidence
from .explain import Sentence, explain, explain_grade, render
from .grade import GradeResult, GradeRules, overall_grade, parse_grade_rules
from .messages import MESSAGES
from .methods import METHODS, MethodInfo
from .parsing import parse_datetime, parse_evidence, parse_evidence_list, parse_overrides
from .policy import MethodSpec, Policy, parse_conversion, parse_method, parse_policy, parse_scale
from .result import MasteryResult, NextStep, Override, Step
from .scale import Level, ProficiencyScale

__all__ = [
    "METHODS",
    "MESSAGES",
    "BatchResult",
    "BatchRow",
    "Conversion",
    "CutScore",
    "Evidence",
    "EvidenceError",
    "EvidenceTable",
    "GradeResult",
    "GradeRules",
    "InputError",
    "Level",
    "MasteryResult",
    "MethodInfo",
    "MethodSpec",
    "NextStep",
    "Override",
    "Policy",
    "PolicyError",
    "ProficiencyScale",
    "Sentence",
    "Step",
    "calculate",
    "calculate_all",
    "calculate_batch",
    "explain",
    "explain_grade",
    "overall_grade",
    "parse_conversion",
    "parse_datetime",
    "parse_evidence",
    "parse_evidence_list",
    "parse_overrides",
    "parse_grade_rules",
    "parse_method",
    "parse_policy",
    "parse_scale",
    "render",
]
