"""Member-level data is never kept by browsers or proxies, and signing out ends the session server-side."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login

# Every route that carries member ids (or what only the signed-in user may see), for the ICO user HA.
MEMBER_ROUTES = [
    "/gaps/assessment_90d/HA/2015Q2",
    "/gaps/assessment_90d/HA/2015Q2/export.csv",
    "/gaps/assessment_90d/HA/2015Q2/export.xlsx",
    "/units/assessment_90d/HA/2015Q2/export.csv",
    "/units/assessment_90d/HA/2015Q2/export.xlsx",
    "/icos/HA/export.csv",
    "/icos/HA",
    "/submissions/",
    "/submissions/history/HA/2015Q2",
]


def _first_submission(dbs, code="HA"):
    from sqlalchemy import select

    from reporting.storage.models import Organization, Submission

    return dbs.scalar(
        select(Submission.id)
        .join(Organization, Submission.organization_id == Organization.id)
        .where(Organization.code == code)
        .order_by(Submission.id)
    )


def test_every_member_data_route_is_sent_no_store(example, dbs):
    client = example.test_client()
    assert login(client, "ha@example.org").status_code == 302
    sid = _first_submission(dbs)
    routes = MEMBER_ROUTES + [f"/submissions/{sid}", f"/submissions/{sid}/failures.csv", f"/submissions/{sid}/original"]
    for path in routes:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers["Cache-Control"] == "no-store", path
        assert r.headers["Pragma"] == "no-cache", path


def test_signed_out_pages_may_be_cached_but_the_sign_in_page_is_not_personal(example):
    client = example.test_client()
    r = client.get("/login")
    assert "no-store" not in r.headers.get("Cache-Control", "")


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(example):
    client = example.test_client()
    assert login(client, "ha@example.org").status_code == 302
    assert client.get("/gaps/assessment_90d/HA/2015Q2").status_code == 200
    cookie = client.get_cookie("session")
    copy = example.test_client()
    copy.set_cookie(cookie.key, cookie.value)
    assert copy.get("/gaps/assessment_90d/HA/2015Q2").status_code == 200  # the copy works while signed in

    r = client.post("/logout", data={"csrf_token": csrf_token(client, "/overview")})
    assert r.status_code == 302
    after = copy.get("/gaps/assessment_90d/HA/2015Q2")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    assert client.get("/gaps/assessment_90d/HA/2015Q2").status_code == 302


@pytest.mark.parametrize("action", ["password_change", "disable"])
def test_a_copied_cookie_dies_with_a_password_change_or_disabling(example, action, dbs):
    from sqlalchemy import select

    from reporting import accounts
    from reporting.storage import db
    from reporting.storage.models import User

    client = example.test_client()
    assert login(client, "ha@example.org").status_code == 302
    with example.app_context(), db.transaction() as s:
        user = s.scalar(select(User).where(User.email == "ha@example.org"))
        if action == "disable":
            accounts.set_user_active(s, user, False, actor="test")
        else:
            accounts.set_password(s, user, "another long passphrase 42", actor="test")
    r = client.get("/gaps/assessment_90d/HA/2015Q2")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
