"""Walk every registered URL rule as anonymous and as each role: a route without an access rule,
or one that lets the wrong role in, fails here."""
import re

import pytest

from tests.conftest import csrf_token, login

# A value for every URL parameter used by the routes. A new parameter must be added here.
SAMPLES = {
    "user_id": "1", "token_id": "1", "code": "HA", "period": "2015Q2", "measure_id": "assessment_90d",
    "submission_id": "1", "artifact_id": "1", "filename": "app.css", "ico": "HA", "year": "2015",
    "kind": "statewide", "fmt": "csv", "schedule_id": "quarterly_cycle", "delivery_id": "1", "edition_id": "1",
    "run_id": "1", "table": "overview", "key": "0" * 32, "report_id": "2015Q2.HA.fuh-7d", "rule_set_id": "1", "inquiry_id": "1",
}
ROLES = {"admin": "admin@example.org", "cms_reviewer": "cms@example.org", "state_reviewer": "state@example.org",
         "ico_submitter": "ha@example.org"}


def rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        missing = set(rule.arguments) - set(SAMPLES)
        assert not missing, f"add a sample value for {missing} ({rule.rule})"
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", SAMPLES[arg], path)
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, path, method


def call(client, path, method):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client, "/login")})


def test_every_route_as_anonymous(world, client):
    for rule, path, method in rules(world):
        access = world.view_functions[rule.endpoint].access
        r = call(client, path, method)
        if "public" in access:       # reachable signed out; a period never published is simply not there
            assert r.status_code in (200, 302) or (path.startswith("/public/") and r.status_code == 404), \
                (path, r.status_code)
        elif path.startswith("/api/"):
            assert r.status_code == 401, (path, r.status_code)
        else:
            assert r.status_code == 302 and "/login" in r.headers["Location"], (path, r.status_code)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_as_each_role(world, role):
    from reporting.web.access import allowed_roles
    client = world.test_client()
    assert login(client, ROLES[role]).status_code == 302
    for rule, path, method in rules(world):
        access = world.view_functions[rule.endpoint].access
        if rule.endpoint == "auth.logout":
            continue
        allowed = allowed_roles(access)
        r = call(client, path, method)
        assert r.status_code != 500, (path, "server error")
        if path.startswith("/api/"):
            assert r.status_code == 401, (path, "the API takes tokens, not sessions")
        elif allowed is not None and role not in allowed:
            assert r.status_code == 403, (role, path, r.status_code)
        else:
            assert r.status_code != 403 or path.startswith(("/icos/", "/submissions/", "/gaps/", "/artifacts/")), \
                (role, path, r.status_code)


def test_unknown_route_is_a_styled_404(world, client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "There is no page at this address" in r.get_data(as_text=True)
    assert "<header" in r.get_data(as_text=True)


def test_api_checks_the_role_of_the_token(world, client):
    from tests.ingest.test_upload_paths import issue_token
    token = issue_token(world, "cms@example.org")
    r = client.post("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}, data={"period": "2014Q1"})
    assert r.status_code == 403 and r.is_json
