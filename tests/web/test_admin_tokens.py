"""An administrator issues an API token (shown once), revokes it (once, recorded), and the API refuses it after."""

import re

from sqlalchemy import select

from reporting.storage.models import ApiToken, AuditEvent, User
from tests.conftest import csrf_token, login


def test_issue_then_revoke_a_token(world, dbs):
    client = world.test_client()
    login(client, "admin@example.org")
    user_id = dbs.scalar(select(User.id).where(User.email == "ha@example.org"))
    page = client.post(
        "/admin/tokens",
        data={"csrf_token": csrf_token(client, "/admin/tokens"), "user": str(user_id), "name": "nightly upload"},
    ).get_data(as_text=True)
    secret = re.search(r"(ocq_[A-Za-z0-9_-]{20,})", page).group(1)
    assert client.get("/api/v1/submissions/1", headers={"Authorization": f"Bearer {secret}"}).status_code != 401
    token_id = dbs.scalar(select(ApiToken.id).where(ApiToken.name == "nightly upload"))
    token = csrf_token(client, "/admin/tokens")
    first = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "revoked" in first.get_data(as_text=True)
    again = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200 and "revoked." not in again.get_data(as_text=True)
    assert len(dbs.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()) == 1
    assert client.get("/api/v1/submissions/1", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.post("/admin/tokens/999999/revoke", data={"csrf_token": token}).status_code == 404


def test_a_user_not_on_the_list_gets_a_form_error_and_no_token(world, dbs):
    """The user list was not checked (``validate_choice=False``): a disabled user's id got a token, and any other
    value answered 200 with nothing issued and nothing said. Only the active users listed are accepted; anything
    else is refused beside the field, and no token is issued."""
    from reporting import accounts
    from reporting.storage import db

    client = world.test_client()
    login(client, "admin@example.org")
    with world.app_context(), db.transaction() as s:
        accounts.set_user_active(s, s.scalar(select(User).where(User.email == "hb@example.org")), False)
    disabled = dbs.scalar(select(User.id).where(User.email == "hb@example.org"))
    form = client.get("/admin/tokens").get_data(as_text=True)
    assert f'<option value="{disabled}">' not in form  # not offered
    for value in (str(disabled), "999999", "abc", ""):
        r = client.post(
            "/admin/tokens",
            data={"csrf_token": csrf_token(client, "/admin/tokens"), "user": value, "name": "nightly upload"},
        )
        page = r.get_data(as_text=True)
        assert r.status_code == 400, value
        assert (
            '<p class="field-error" role="alert">Choose one of the active users listed: the user sent is not one of '
            "them.</p>" in page
        ), value
        assert "Copy this token now" not in page and not re.search(r"ocq_[A-Za-z0-9_-]{20,}", page), value
    assert dbs.scalars(select(ApiToken)).all() == []


def test_a_new_users_ico_must_be_one_listed(world, dbs):
    """The user form's ICO was not checked either (``validate_choice=False``): an unknown code reached the accounts
    layer. Now anything but the ICOs listed (or none) is refused beside the field and no user is made."""
    client = world.test_client()
    login(client, "admin@example.org")
    for value in ("NOPE", "<script>", "HA "):
        r = client.post(
            "/admin/users",
            data={
                "csrf_token": csrf_token(client, "/admin/users"),
                "email": "new.submitter@example.org",
                "role": "ico_submitter",
                "ico": value,
                "password": "a long enough password 1",
            },
        )
        page = r.get_data(as_text=True)
        assert r.status_code == 200 and "Choose one of the ICOs listed (or none)" in page, value
    assert dbs.scalar(select(User).where(User.email == "new.submitter@example.org")) is None
    r = client.post(  # and one listed is taken (the form needs email-validator, which was not installed: a 500)
        "/admin/users",
        data={
            "csrf_token": csrf_token(client, "/admin/users"),
            "email": "new.submitter@example.org",
            "role": "ico_submitter",
            "ico": "HA",
            "password": "a long enough password 1",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200 and "User new.submitter@example.org created." in r.get_data(as_text=True)
