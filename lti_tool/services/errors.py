"""Errors services raise for the entry points (web, CLI, jobs) to report in plain words."""


class ServiceError(Exception):
    """A request the service refuses: bad input or a conflict; the message is safe to show."""


class NotFound(ServiceError):
    """The named thing does not exist, or is not visible to the caller's district."""
