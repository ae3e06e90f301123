"""Walk every registered URL rule as anonymous and as each role: a route without an access rule,
or one that lets the wrong role in, fails here."""

import re

import pytest

from tests.conftest import csrf_token, login

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

# A value for every URL parameter used by the routes. A new parameter must be added here.
SAMPLES = {
    "user_id": "1",
    "token_id": "1",
    "code": "HA",
    "period": "2015Q2",
    "programme_id": "ma-one-care",
    "measure_id": "assessment_90d",
    "submission_id": "1",
    "artifact_id": "1",
    "filename": "app.css",
    "ico": "HA",
    "year": "2015",
    "kind": "statewide",
    "fmt": "csv",
    "schedule_id": "quarterly_cycle",
    "delivery_id": "1",
    "edition_id": "1",
    "run_id": "1",
    "table": "overview",
    "key": "0" * 32,
    "report_id": "2015Q2.HA.fuh-7d",
    "rule_set_id": "1",
    "inquiry_id": "1",
}
ROLES = {
    "admin": "admin@example.org",
    "cms_reviewer": "cms@example.org",
    "state_reviewer": "state@example.org",
    "ico_submitter": "ha@example.org",
}


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
        if "public" in access:  # reachable signed out; a period never published is simply not there
            assert r.status_code in (200, 302) or (path.startswith("/public/") and r.status_code == 404), (
                path,
                r.status_code,
            )
        elif path.startswith("/api/"):
            assert r.status_code == 401, (path, r.status_code)
        else:
            assert r.status_code == 302 and "/login" in r.headers["Location"], (path, r.status_code)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_as_each_role(world, role):
    from reporting.access import allowed_roles

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
            assert r.status_code != 403 or path.startswith(("/icos/", "/submissions/", "/gaps/", "/artifacts/")), (
                role,
                path,
                r.status_code,
            )


def test_unknown_route_is_a_styled_404(world, client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "There is no page at this address" in r.get_data(as_text=True)
    assert "<header" in r.get_data(as_text=True)


def test_api_checks_the_role_of_the_token(world, client):
    from tests.ingest.test_upload_paths import issue_token

    token = issue_token(world, "cms@example.org")
    r = client.post("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}, data={"period": "2014Q1"})
    assert r.status_code == 403 and r.is_json


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the policy, not the database
def test_an_ico_user_reaches_nothing_of_another_ico(example):
    """The invariant of ``reporting.access``: HA's submitter, walking every page, export, download and API route
    aimed at HB (its code, its submissions, its rendered reports, its inquiries), gets a refusal or a page
    without a trace of HB; never HB's name, recipients or figures."""
    import re as re_

    from sqlalchemy import select

    from reporting import pipeline
    from reporting.storage import db
    from reporting.storage.models import Artifact, Organization, Submission
    from tests.ingest.test_upload_paths import issue_token

    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")  # editions, rendered reports, deliveries
        with db.transaction() as s:
            hb_subs = [
                str(i) for i in s.scalars(select(Submission.id).join(Organization).where(Organization.code == "HB"))
            ]
            hb_reports = [str(i) for i in s.scalars(select(Artifact.id).where(Artifact.ico == "HB"))]
    assert hb_subs and hb_reports
    traces = ("Harbor Care", "hb.example.org", ",HB,", '"HB"')
    client = example.test_client()
    login(client, "ha@example.org")
    with example.app_context():
        token = issue_token(example, "ha@example.org")
    checked = 0
    for rule in example.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        if "public" in example.view_functions[rule.endpoint].access and rule.endpoint != "dashboards.home":
            continue  # what is published is for everyone (the public by-group page names every ICO)
        values = [dict(SAMPLES, code="HB", ico="HB", period="2015Q3")]
        if "submission_id" in rule.arguments:
            values = [dict(values[0], submission_id=s) for s in hb_subs]
        if "artifact_id" in rule.arguments:
            values = [dict(values[0], artifact_id=a) for a in hb_reports]
        for sample in values:
            path = rule.rule
            for arg in rule.arguments:
                path = re_.sub(rf"<(?:[a-z]+:)?{arg}>", sample[arg], path)
            for query in ("", "?ico=HB", "?period=2015Q3&ico=HB"):
                headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
                r = client.get(path + query, headers=headers)
                checked += 1
                assert r.status_code < 500, (path + query, r.status_code)
                if r.status_code == 200 and (r.mimetype.startswith("text/") or "json" in r.mimetype):
                    body = r.get_data(as_text=True)
                    leaks = [t for t in traces if t in body]
                    assert not leaks, (path + query, leaks)
                if "artifact_id" in rule.arguments or "submission_id" in rule.arguments:
                    assert r.status_code in (403, 404), (path, r.status_code)
    assert checked > 100


def test_rules_views_declare_named_permissions_from_the_one_table(world):
    """Issue 24: permissions are named in ``reporting.access`` with one role -> permission table; the Rules views
    declare them (no role names), and the route walk above holds every role to what the table grants."""
    from reporting.access import EDIT_RULES, PERMISSIONS, READ_RULES, allowed_roles, can

    rules_views = {e: f.access for e, f in world.view_functions.items() if e.startswith("rules.")}
    assert rules_views and all(set(access) <= {EDIT_RULES, READ_RULES} for access in rules_views.values())
    assert allowed_roles((EDIT_RULES,)) == {"admin", "cms_reviewer"}
    assert allowed_roles((READ_RULES,)) == {"admin", "cms_reviewer", "state_reviewer"}
    assert [r for r in PERMISSIONS if can(type("U", (), {"role": r})(), EDIT_RULES)] == ["admin", "cms_reviewer"]
    state = world.test_client()
    login(state, ROLES["state_reviewer"])
    token = csrf_token(state, "/account")
    assert state.post("/rules/drafts", data={"csrf_token": token, "year": "2015"}).status_code == 403
    assert state.get("/rules/").status_code == 200


def test_every_view_declares_named_permissions(world):
    """Issue 24: every view declares ``@allow`` with named permissions of ``reporting.access`` (or public / any
    signed-in user); a role or group name is refused when the view is declared, so none can slip back in."""
    from reporting.access import PERMISSION_NAMES, PUBLIC, SIGNED_IN, allowed_roles

    declared = {e: f.access for e, f in world.view_functions.items() if e != "static"}
    assert len(declared) > 50
    wrong = {e: a for e, a in declared.items() if not set(a) <= PERMISSION_NAMES | {PUBLIC, SIGNED_IN}}
    assert not wrong, wrong
    for name in ("admin", "reviewer", "ico", "cms_reviewer"):
        with pytest.raises(ValueError, match="named permissions"):
            allowed_roles((name,))


ROLE_LITERAL = re.compile(r"""(['"])(admin|cms_reviewer|state_reviewer|ico_submitter)\1""")
ROLE_HOMES = {"reporting/access.py", "reporting/storage/models.py"}  # where the roles are defined and granted


def _role_literals_in_python(path):
    """String literals equal to a role name (comments and docstrings that mention one are not code); the name of
    the admin blueprint, which is a URL prefix and not a role, is the one exception."""
    import io
    import tokenize

    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    found = []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.STRING and ROLE_LITERAL.fullmatch(tok.string.lstrip("rbuRBU")):
            blueprint = i >= 2 and tokens[i - 1].string == "(" and tokens[i - 2].string == "Blueprint"
            if not blueprint:
                found.append(f"{path}:{tok.start[0]}: {tok.string}")
    return found


def test_no_role_name_is_spelled_outside_the_access_policy():
    """Issue 24: no role name is spelled in reporting/ or templates/ outside the module that defines the roles and
    the access policy; views, templates, reports and commands ask for permissions (or take the role constants)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted((root / "reporting").rglob("*.py")):
        if path.relative_to(root).as_posix() not in ROLE_HOMES and "migrations" not in path.parts:
            found += _role_literals_in_python(path)
    for path in sorted((root / "templates").rglob("*")):
        if path.is_file():
            found += [
                f"{path}:{n}: {m.group(0)}"
                for n, line in enumerate(path.read_text().splitlines(), 1)
                for m in ROLE_LITERAL.finditer(line)
            ]
    assert not found, "\n".join(found)
    assert _role_literals_in_python(Path(__file__))  # the scan finds what it looks for: this file's ROLES table


def test_templates_ask_permissions(world):
    """Templates ask ``can(PERMISSION)``: an ICO user is offered "Open an inquiry", an administrator (who may not
    open one) is not; a misspelt permission fails loudly instead of hiding a button from everyone."""
    from flask import render_template_string

    with world.test_request_context():
        with pytest.raises(ValueError, match="named permission"):
            render_template_string("{{ can('admin') }}")
    ico = world.test_client()
    login(ico, ROLES["ico_submitter"])
    assert "Open an inquiry" in ico.get("/inquiries/").get_data(as_text=True)
    admin = world.test_client()
    login(admin, ROLES["admin"])
    assert "Open an inquiry" not in admin.get("/inquiries/").get_data(as_text=True)
