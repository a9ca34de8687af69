"""The one error type of the LTI adapter: what went wrong, in plain words, and what an admin can check."""

from __future__ import annotations


class LaunchError(Exception):
    """A launch, login or registration the tool refuses; rendered as a 4xx page, never a 500."""

    def __init__(self, code: str, message: str, hint: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
