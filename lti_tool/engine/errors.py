"""Input errors raised by the engine's parsers and value objects, each naming the offending field."""

from __future__ import annotations


class InputError(ValueError):
    """Invalid input; ``field`` is a dotted path such as ``method.weight`` or ``evidence[2].max``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def within(self, prefix: str) -> InputError:
        """Return the same error with ``prefix`` put in front of its field path."""
        joined = f"{prefix}.{self.field}" if not self.field.startswith("[") else f"{prefix}{self.field}"
        return type(self)(joined, self.message)


class PolicyError(InputError):
    """The policy (scale, conversion, method, rounding or grading rules) is invalid."""


class EvidenceError(InputError):
    """An evidence item is invalid."""
