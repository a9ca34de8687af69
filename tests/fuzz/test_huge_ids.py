"""Ids larger than any database integer, in every URL variable and id parameter of every route: 404, never 500."""

from __future__ import annotations

import pytest

from tests.fuzz.budget import tried
from tests.integration.isolation.probe import own_value
from tests.integration.isolation.routes import KIND_OF_NAME, id_inputs, is_public, methods
from tests.integration.isolation.tenants import World, build_world

# Larger than PostgreSQL's bigint and SQLite's INTEGER: the driver cannot even bind it.
HUGE_IDS = (2**63, 10**40)
AREA_ROLE = {"/student/": "student", "/teacher/": "teacher", "/admin/": "admin"}


@pytest.fixture(scope="module")
def world(app) -> World:  # type: ignore[no-untyped-def]
    """Districts, courses and people to hold sessions for."""
    session = app.extensions["sbg"].sessions()
    try:
        return build_world(session)
    finally:
        session.close()


def test_huge_ids_anywhere_are_not_found_rather_than_a_server_error(app, world):
    tokens = world.tokens(app)
    crashes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_public(rule):
            continue
        role = next((r for prefix, r in AREA_ROLE.items() if rule.rule.startswith(prefix)), "teacher")
        for method in methods(rule):
            inputs = id_inputs(app, rule, method)
            for target in inputs:
                for huge in HUGE_IDS:
                    values = {"url": {}, "query": {}, "form": {}, "json": {}}
                    for item in inputs:
                        kind = KIND_OF_NAME.get(item.name.removesuffix("_id"), item.kinds[0])
                        values[item.where][item.name] = huge if item == target else own_value(world, role, kind)
                    path = rule.build(values["url"], append_unknown=False)[1]
                    response = app.test_client().open(
                        path, method=method, query_string=values["query"], data=values["form"] or None,
                        json=values["json"] or None, headers={"Authorization": f"Bearer {tokens[role]}",
                                                               "Accept": "application/json"})
                    tried("huge ids")
                    if response.status_code >= 500:
                        crashes.append(f"{method} {path} {target.where} {target.name}={huge} as {role} -> "
                                       f"{response.status_code}")
    assert not crashes, "\n".join(crashes)
