"""Ids beyond any database integer are 404s, not server errors."""


def test_an_id_too_large_for_the_database_is_not_found(client):
    rule = next(r for r in client.application.url_map.iter_rules() if "<int:" in r.rule and "GET" in r.methods)
    url = rule.rule
    for argument in rule.arguments:
        url = url.replace(f"<int:{argument}>", "9" * 30)
    response = client.get(url)
    assert response.status_code == 404


def test_an_id_too_large_for_the_database_in_a_query_is_not_found(app, make_app):
    from lti_tool.storage.models import District
    from lti_tool.web.runtime import db
    probe = make_app()

    @probe.get("/_probe/<raw>")
    def lookup(raw: str):  # type: ignore[no-untyped-def]
        return str(db().get(District, int(raw)))

    response = probe.test_client().get("/_probe/" + "9" * 30)
    assert response.status_code in (400, 404)
    assert "unexpected problem" not in response.get_data(as_text=True)
