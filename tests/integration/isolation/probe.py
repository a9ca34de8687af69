"""Send one request as a role with someone else's id, and judge the answer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from tests.integration.isolation.routes import IdInput, plain_fields
from tests.integration.isolation.tenants import CourseWorld, World

TALLY: Counter[str] = Counter()
REFUSED = (403, 404)
DISTRICT_KINDS = frozenset({"standard", "framework", "scale", "pending_import"})


@dataclass(frozen=True)
class Probe:
    """One (route, method, role, id input, foreign scope, foreign id) combination."""

    rule: Rule
    method: str
    role: str
    target: IdInput
    scope: str
    foreign_id: int | str
    foreign_marker: str

    def describe(self) -> str:
        """Readable one-liner for failure messages."""
        return (f"{self.method} {self.rule.rule} as {self.role}: {self.target.where} {self.target.name}="
                f"{self.foreign_id!r} ({self.scope})")


def own_value(world: World, role: str, kind: str) -> int | str:
    """A value of `kind` the caller may legitimately use (their own record, a mentee, their course's)."""
    if kind == "person":
        return world.home.people["student"]
    return world.home.ids[kind][0]


def foreign_scopes(world: World, role: str, kind: str) -> list[tuple[str, CourseWorld, list[int | str]]]:
    """(scope name, owner, ids) of records of `kind` the role must not reach from the home course."""
    scopes: list[tuple[str, CourseWorld, list[int | str]]] = [
        ("another district", world.other_district, world.other_district.ids[kind])]
    # Frameworks, scales and imports are shared by a district's courses: its admin and teachers may use them.
    if kind not in DISTRICT_KINDS or role in ("student", "mentor"):
        scopes.append(("another course", world.same_district, world.same_district.ids[kind]))
    if kind == "person" and role in ("student", "mentor"):
        scopes.append(("another student", world.home, [world.home.people["student2"]]))
    return scopes


def probes(world: World, rule: Rule, method: str, role: str, target: IdInput) -> list[Probe]:
    """Every foreign id to try through `target` as `role`."""
    found = []
    # An <int:...> URL variable cannot even carry a text id (the router answers 404 by itself).
    numeric = target.where == "url" and isinstance(rule._converters.get(target.name), IntegerConverter)
    for kind in target.kinds:
        for scope, owner, ids in foreign_scopes(world, role, kind):
            marker = owner.marker if owner is not world.home else ""
            found.extend(Probe(rule, method, role, target, scope, value, marker) for value in ids
                         if isinstance(value, int) or not numeric)
    return found


def send(app: Flask, world: World, token: str, probe: Probe, inputs: list[IdInput]) -> Any:
    """Send the probe: own values everywhere, the foreign id in the probed place."""
    url_values: dict[str, Any] = {}
    query: dict[str, Any] = {}
    form: dict[str, Any] = {name: "3" for name in plain_fields(app, probe.rule)}
    body: dict[str, Any] = {name: 3 for name in plain_fields(app, probe.rule)}
    for item in inputs:
        value = probe.foreign_id if item == probe.target else own_value(world, probe.role, item.kinds[0])
        {"url": url_values, "query": query, "form": form, "json": body}[item.where][item.name] = value
    _, path = probe.rule.build(url_values, append_unknown=False)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    if probe.method == "GET":
        return client.get(path, query_string=query, headers=headers)
    if any(item.where == "json" for item in inputs) or "/api/" in probe.rule.rule:
        return client.open(path, method=probe.method, query_string=query, json=body, headers=headers)
    return client.open(path, method=probe.method, query_string=query, data=form, headers=headers)


def verdict(probe: Probe, response: Any) -> str | None:
    """None when the answer keeps the other party's data out; otherwise what went wrong."""
    TALLY[f"(route, role, id) combinations via {probe.target.where}"] += 1
    status = response.status_code
    TALLY[f"answered {status}"] += 1
    if status >= 500:
        return f"{probe.describe()} -> {status} server error"
    body = response.get_data(as_text=True)
    if probe.foreign_marker and (probe.foreign_marker in body or
                                 probe.foreign_marker in response.headers.get("Location", "")):
        return f"{probe.describe()} -> {status} showing the other party's data"
    if status in REFUSED:
        return None
    if probe.target.where == "url":
        return f"{probe.describe()} -> {status}, expected 403 or 404"
    if status in (400, 422):
        return None  # the parameter was rejected as invalid: nothing was read or changed
    return f"{probe.describe()} -> {status} (accepted someone else's id as a parameter)"
