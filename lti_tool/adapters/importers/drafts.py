"""Value objects every framework parser produces and every exporter consumes.

A draft is what a file *says*, already checked for structure (parents exist, no duplicates, no cycles)
but not yet compared with what a district has stored; the import service turns drafts into changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RatingDraft:
    """One level of a rating scale: points and the words shown for them."""

    points: float
    description: str


@dataclass(frozen=True)
class ScaleDraft:
    """A rating scale found in a file (Canvas ratings, a Moodle scale), highest points first."""

    ratings: tuple[RatingDraft, ...]
    mastery_points: float | None = None


@dataclass(frozen=True)
class StandardDraft:
    """One node of a framework's hierarchy (domain, cluster, standard, sub-standard...)."""

    identifier: str
    code: str
    parent_identifier: str | None
    kind: str
    label: str
    statement: str
    grade_levels: tuple[str, ...] = ()
    subject: str = ""
    position: int = 1
    # Canvas links one outcome into several groups and CASE lets an item be the child of several
    # parents; the first parent shapes the tree, the others are kept so an export can restore them.
    extra_parent_identifiers: tuple[str, ...] = ()
    scale: ScaleDraft | None = None
    calculation_method: str = ""
    calculation_int: int | None = None


@dataclass(frozen=True)
class FrameworkDraft:
    """A whole framework as read from one file: its description and its standards in tree order."""

    identifier: str
    title: str
    source_format: str
    standards: tuple[StandardDraft, ...]
    subject: str = ""
    version: str = ""
    creator: str = ""
    publisher: str = ""
    description: str = ""
    scale: ScaleDraft | None = None


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file, located by line (CSV) or JSON path (CASE)."""

    reason: str
    line: int | None = None
    path: str | None = None
    field: str | None = None

    @property
    def location(self) -> str:
        """Where the problem is, in words an admin can follow ("line 4, parent_code")."""
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.path is not None:
            parts.append(self.path)
        elif self.field:
            parts.append(self.field)
        return ", ".join(parts) or "file"

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class ImportFailed(Exception):
    """Raised by a parser after it has collected every problem of a file."""

    def __init__(self, problems: list[ImportProblem] | tuple[ImportProblem, ...]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(heading + ":\n" + "\n".join(str(problem) for problem in self.problems))


class ExportFailed(ValueError):
    """Raised when a draft holds something the target format cannot express."""
