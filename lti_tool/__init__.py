"""sbg: standards-based grading for Canvas and Moodle, as an LTI 1.3 tool."""

__version__ = "0.1.0"


def create_app(overrides=None):  # type: ignore[no-untyped-def]
    """Build the Flask app (so `flask --app lti_tool` and gunicorn's `lti_tool:create_app()` find it)."""
    from .app import create_app as _create_app

    return _create_app(overrides)
