"""URL converters: ids larger than any database integer are simply not found (404), never a 500."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, ValidationError

MAX_DATABASE_INT = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` limited to the range a BIGINT (and SQLite's INTEGER) can hold."""

    def to_python(self, value: str) -> Any:
        """Parse, refusing values no row can have."""
        number = super().to_python(value)
        if number > MAX_DATABASE_INT:
            raise ValidationError()
        return number
