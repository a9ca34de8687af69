"""The app's routes as data: which take ids (URL variables, or query/form parameters their view reads), and which
are public by design."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

# Public on purpose; everything else needs a session and is probed.
PUBLIC_ENDPOINTS = {
    "home.index",                # what the tool is and where to register it
    "home.healthz",              # load balancer health check: status words, no data
    "observability.metrics",     # Prometheus scrape: counters, no personal data
    "static",                    # CSS and scripts
    "admin.static",              # the admin area's own assets
    "lti.jwks",                  # the tool's public keys
    "lti.login",                 # OIDC login initiation from the LMS
    "lti.launch",                # the LMS's form_post of the id_token (checked by signature, state and nonce)
    "lti.launch_get",            # explains that a launch must be a POST
    "lti.setup_page",            # registration instructions
    "lti.canvas_config",         # Canvas developer key JSON
    "lti.dynamic_registration",  # LTI dynamic registration, gated by the platform's registration token
    "admin.login_form",          # local admin sign-in (cookie session, CSRF-protected)
    "admin.login_submit",
    "admin.logout",
    "oauth.canvas_callback",     # Canvas OAuth redirect: bound to a single-use state
}
# The built-in development platform exists only outside production.
PUBLIC_PREFIXES = ("devplatform.",)

# What an id-like URL variable or parameter names; unknown names get every kind of id.
KIND_OF_NAME = {
    "person": "person", "student": "person", "mentee": "person", "user": "person",
    "standard": "standard", "framework": "framework", "scale": "scale", "assignment": "assignment",
    "alignment": "alignment", "pending": "pending_import", "import": "pending_import", "course": "course",
}
ID_KINDS = ("person", "standard", "framework", "scale", "assignment", "alignment", "pending_import", "course")
_PARAMETER = re.compile(r"request\.(args|form|values)\.get(?:list)?\(\s*[\"']([A-Za-z_]+)[\"']")
_JSON_KEY = re.compile(r"(?:body|data|payload)\.get\(\s*[\"']([A-Za-z_]+)[\"']")


@dataclass(frozen=True)
class IdInput:
    """One place a route takes an id: a URL variable, a query or form parameter, or a JSON field."""

    where: str  # url | query | form | json
    name: str

    @property
    def kinds(self) -> tuple[str, ...]:
        """Which kinds of id to try here."""
        base = self.name.removesuffix("_id").removesuffix("id").rstrip("_")
        kind = KIND_OF_NAME.get(base)
        return (kind,) if kind else ID_KINDS


def is_public(rule: Rule) -> bool:
    """True for routes on the allow-list."""
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES)


def _id_like(name: str) -> bool:
    return name.endswith("_id") or name == "id" or name in KIND_OF_NAME


def methods(rule: Rule) -> list[str]:
    """The rule's methods other than HEAD and OPTIONS."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def id_inputs(app: Flask, rule: Rule, method: str) -> list[IdInput]:
    """URL variables, plus the id-like parameters and JSON fields its view function reads by name."""
    # Id-like names or integer converters; a format or file name (`<fmt>`, `<path:filename>`) is not an id.
    found = [IdInput("url", name) for name in sorted(rule.arguments)
             if _id_like(name) or isinstance(rule._converters.get(name), IntegerConverter)]
    view = inspect.unwrap(app.view_functions[rule.endpoint])
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return found
    for collection, name in _PARAMETER.findall(source):
        if _id_like(name):
            where = "query" if collection == "args" or method == "GET" else "form"
            found.append(IdInput(where, name))
    if "get_json" in source and method != "GET":
        found.extend(IdInput("json", name) for name in _JSON_KEY.findall(source) if _id_like(name))
    return list(dict.fromkeys(found))


def plain_fields(app: Flask, rule: Rule) -> list[str]:
    """Names of the form and JSON fields a view reads that are not ids (filled with a plausible value, so the
    request gets past validation to the point where the id is looked up)."""
    try:
        source = inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
    except (OSError, TypeError):
        return []
    names = [name for collection, name in _PARAMETER.findall(source) if collection != "args"]
    names += _JSON_KEY.findall(source)
    return [name for name in dict.fromkeys(names) if not _id_like(name) and name != "t"]
