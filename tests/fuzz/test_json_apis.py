"""Every JSON API the app has (found in its URL map) with random bodies and parameters, sent with a valid session
of a role the API serves: never a 500, and every refusal is a JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import Rule

from tests.fuzz.budget import examples, fuzz_settings, tried
from tests.fuzz.mutations import JSON_VALUES, TEXT
from tests.integration.isolation.probe import own_value
from tests.integration.isolation.routes import KIND_OF_NAME, methods
from tests.integration.isolation.tenants import ROLES, World, build_world

API_MARKERS = ("/api/", "/api")
AREA_ROLES = {"/student/": ("student", "mentor"), "/teacher/": ("teacher",), "/admin/": ("admin",)}


def api_rules(app) -> list[tuple[Rule, str]]:  # type: ignore[no-untyped-def]
    """(rule, method) of every JSON API route."""
    return [(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if any(marker in rule.rule for marker in API_MARKERS) for method in methods(rule)]


def roles_for(rule: Rule) -> tuple[str, ...]:
    """The roles whose sessions the API serves (by its area), every role for the shared /api."""
    return next((roles for prefix, roles in AREA_ROLES.items() if rule.rule.startswith(prefix)), ROLES)


@pytest.fixture(scope="module")
def world(app) -> World:  # type: ignore[no-untyped-def]
    """Districts, courses and people to hold sessions for."""
    session = app.extensions["sbg"].sessions()
    try:
        return build_world(session)
    finally:
        session.close()


def _path(world: World, rule: Rule, role: str) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        kind = KIND_OF_NAME.get(name.removesuffix("_id"), "person")
        values[name] = own_value(world, role, kind)
    return rule.build(values, append_unknown=False)[1]


requests_ = st.fixed_dictionaries({
    "json": st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(["points", "level", "settings", "levels", "name",
                                                                    "mastery_points", "framework", "method",
                                                                    "evidence", "scale", "q", "standard_id"]),
                                                   JSON_VALUES, max_size=5)),
    "raw": st.one_of(st.none(), st.binary(max_size=200), TEXT.map(str.encode)),
    "query": st.dictionaries(st.sampled_from(["q", "framework", "page", "since", "format", "lang"]), TEXT,
                             max_size=3),
})


def assert_json_answer(response: Any, what: str) -> None:
    """No server error; a 4xx answer is a JSON `{"error": ...}` document."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{what} -> {response.status_code}\n{body[:2000]}"
    if response.status_code >= 400:
        assert response.is_json, f"{what} -> {response.status_code} is not JSON: {body[:300]}"
        assert "error" in json.loads(body), f"{what} -> {body[:300]}"


def test_the_app_has_json_apis_to_fuzz(app):
    assert api_rules(app), "no /api routes found in the URL map"


def test_every_json_api_answers_random_input_without_a_server_error(app, world):
    tokens = world.tokens(app)
    budget = max(10, examples(400) // max(1, len(api_rules(app))))
    for rule, method in api_rules(app):
        for role in roles_for(rule):
            path = _path(world, rule, role)
            # The area scripts ask for JSON, as every API client should.
            headers = {"Authorization": f"Bearer {tokens[role]}", "Accept": "application/json"}

            @fuzz_settings(budget)
            @given(request=requests_)
            def check(request: dict[str, Any]) -> None:
                tried(f"json api {method} {rule.rule}")
                client = app.test_client()
                if method == "GET":
                    response = client.get(path, query_string=request["query"], headers=headers)
                elif request["raw"] is not None:
                    response = client.open(path, method=method, data=request["raw"], headers=headers,
                                           content_type="application/json")
                else:
                    response = client.open(path, method=method, json=request["json"],
                                           query_string=request["query"], headers=headers)
                assert_json_answer(response, f"{method} {path} as {role} with {request!r}"[:2000])

            check()


def test_area_json_apis_answer_errors_in_json_even_without_an_accept_header(app, world):
    """Scripts and integrations that do not send `Accept: application/json` still get a JSON error document."""
    tokens = world.tokens(app)
    not_json = []
    for rule, method in api_rules(app):
        role = roles_for(rule)[0]
        path = _path(world, rule, role)
        response = app.test_client().open(path, method=method, data=b"{not json", content_type="application/json",
                                          query_string={"framework": "x"},
                                          headers={"Authorization": f"Bearer {tokens[role]}"})
        tried("json api without Accept header")
        if response.status_code >= 400 and not response.is_json:
            not_json.append(f"{method} {path} -> {response.status_code} {response.mimetype}")
    assert not not_json, "\n".join(not_json)
