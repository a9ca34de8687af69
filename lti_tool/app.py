"""The application factory: settings, database, shared clients, security headers, blueprints, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from .adapters.lti.platform_keys import PlatformKeyCache
from .adapters.lti.service_auth import ServiceTokenCache
from .services.keys import current_signing_key_loader
from .adapters.http import HttpSettings, build_session
from .observability import configure_logging, init_request_logging
from .settings import Settings, load_settings
from .storage.db import database_url_for, make_engine, make_session_factory
from .web.converters import DatabaseIdConverter
from .web.runtime import Runtime, init_request_session

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create the tool's Flask app; `overrides` replace settings (used by tests)."""
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(Path(__file__).parent / "web" / "templates"),
        instance_path=(overrides or {}).get("instance_path") or str(ROOT / "instance"),
    )
    settings = load_settings({**(overrides or {}), "instance_path": app.instance_path})
    _configure(app, settings)
    engine = make_engine(database_url_for(settings.database_url, app.instance_path))
    # One keep-alive session for every outgoing call of this process (LTI services, JWKS, LMS APIs).
    http = build_session(settings.base_url, HttpSettings(pool_connections=20, pool_maxsize=20))
    sessions = make_session_factory(engine)
    _dispatch_planned_syncs_after_commit(sessions)
    app.extensions["sbg"] = Runtime(
        settings=settings, engine=engine, sessions=sessions, http=http,
        platform_keys=PlatformKeyCache(http=http, ttl=settings.platform_jwks_ttl),
        service_tokens=ServiceTokenCache(http=http, signing_key=current_signing_key_loader(sessions)),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    init_request_session(app)
    init_request_logging(app)
    csrf.init_app(app)
    _security_headers(app)
    _register_blueprints(app)
    from .web.errors import register_error_handlers

    register_error_handlers(app)
    from .web.i18n import init_i18n

    init_i18n(app)
    return app


def _dispatch_planned_syncs_after_commit(sessions: Any) -> None:
    """Results and their sync items commit together; only then may workers send them (the outbox rule)."""
    from sqlalchemy import event

    from .jobs.sync_tasks import dispatch_planned_runs

    event.listen(sessions, "after_commit", dispatch_planned_runs)


def _configure(app: Flask, settings: Settings) -> None:
    configure_logging(settings.log_level, json_lines=settings.is_production or settings.log_format == "json")
    secure = settings.base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SBG_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        # The tool lives in an LMS iframe: its own cookies must be cross-site capable, and Secure over https.
        SESSION_COOKIE_SAMESITE="None" if secure else "Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        # Launch-scoped forms are protected by the signed session token (see web/auth.py); CSRFProtect guards
        # the cookie-session forms (local admin login) by being enabled per view.
        WTF_CSRF_CHECK_DEFAULT=False,
        TESTING=settings.env == "test",
    )


def _security_headers(app: Flask) -> None:
    from .web.framing import frame_ancestors

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", frame_ancestors())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Session tokens ride in URLs: never leak them to other sites through Referer.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(("/student", "/teacher", "/admin", "/api")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_blueprints(app: Flask) -> None:
    from .web.admin import bp as admin_bp
    from .web.home import bp as home_bp
    from .web.lti import bp as lti_bp
    from .web.student import bp as student_bp
    from .web.teacher import bp as teacher_bp

    for blueprint in (home_bp, lti_bp, student_bp, teacher_bp, admin_bp,
                      *(__import__(f"{__package__}.web.{n}", fromlist=["bp"]).bp for n in ("alignments", "oauth"))):
        app.register_blueprint(blueprint)
    if app.config["SBG_SETTINGS"].dev_platform:
        from .web.devplatform import bp as dev_bp

        app.register_blueprint(dev_bp)
