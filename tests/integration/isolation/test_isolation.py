"""Every route and API, each role's session, other districts', courses' and students' ids: always refused."""

from __future__ import annotations

import pytest

from tests.integration.isolation.probe import TALLY, probes, send, verdict
from tests.integration.isolation.routes import id_inputs, is_public, methods
from tests.integration.isolation.tenants import ROLES, World, build_world


@pytest.fixture(scope="module")
def world(app) -> World:  # type: ignore[no-untyped-def]
    """Two districts of data, committed."""
    session = app.extensions["sbg"].sessions()
    try:
        return build_world(session)
    finally:
        session.close()


def protected_rules(app):  # type: ignore[no-untyped-def]
    """Rules that are not on the public allow-list."""
    return [rule for rule in app.url_map.iter_rules() if not is_public(rule)]


def test_every_route_refuses_other_districts_courses_and_students_ids_for_every_role(app, world):
    tokens = world.tokens(app)
    problems: list[str] = []
    tried = 0
    for rule in sorted(protected_rules(app), key=lambda r: r.rule):
        for method in methods(rule):
            inputs = id_inputs(app, rule, method)
            if not inputs:
                TALLY["routes without ids (scoped by the session alone)"] += 1
                continue
            for role in ROLES:
                for target in inputs:
                    for probe in probes(world, rule, method, role, target):
                        tried += 1
                        problem = verdict(probe, send(app, world, tokens[role], probe, inputs))
                        if problem:
                            problems.append(problem)
    TALLY["(route, role, id) combinations tried"] = tried
    assert tried > 0
    assert not problems, f"{len(problems)} of {tried} probes reached someone else's data:\n" + "\n".join(problems)


def test_the_probes_reach_real_data_with_the_callers_own_ids(app, world):
    """Control: with its own ids the student sees its overview, so refusals above are not an artefact."""
    token = world.tokens(app)["student"]
    person = world.home.people["student"]
    response = app.test_client().get(f"/student/students/{person}/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert world.home.marker in response.get_data(as_text=True)


def test_protected_routes_refuse_callers_without_a_session(app):
    unauthenticated = []
    for rule in protected_rules(app):
        for method in methods(rule):
            values = {name: 1 for name in rule.arguments}
            _, path = rule.build(values, append_unknown=False)
            status = app.test_client().open(path, method=method).status_code
            TALLY["(route, no session) combinations tried"] += 1
            if status not in (302, 303, 401, 403, 404):
                unauthenticated.append(f"{method} {path} -> {status}")
    assert not unauthenticated, "\n".join(unauthenticated)
