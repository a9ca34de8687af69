"""Languages: English and Spanish, from the launch's locale, switchable by the user."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

SUPPORTED_LANGUAGES = ("en", "es")


def language_of(locale: str) -> str:
    """The supported language for an LTI locale such as `es-MX` or `en_US`; English otherwise."""
    code = (locale or "en").replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else "en"


def select_locale() -> str:
    """An explicit `lang` choice wins, then the session's launch locale."""
    from .auth import current_identity

    # Only the query string: reading the form here could raise again while an error page renders.
    chosen = request.args.get("lang")
    if chosen:
        return language_of(chosen)
    identity = current_identity()
    return language_of(identity.locale if identity else "en")


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel with our locale selector and translations folder."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")

    @app.context_processor
    def _template_helpers() -> dict[str, object]:
        from flask_babel import get_locale

        from .auth import session_url

        def current_language() -> str:
            locale = get_locale()
            return locale.language if locale else "en"

        return {"current_language": current_language, "session_url": session_url}
