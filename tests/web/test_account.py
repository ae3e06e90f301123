"""A user's own account page (password change) and an administrator's temporary password, with the
lockout and audit rules around them."""

import re

from sqlalchemy import select

from reporting.storage.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, login

NEW = "a brand new passphrase 42"


def change(client, current, new, confirm=None):
    return client.post(
        "/account",
        data={
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/account"),
        },
    )


def outcomes(dbs, action, target):
    dbs.expire_all()
    return [
        e.outcome
        for e in dbs.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.target == target))
    ]


def test_user_changes_own_password_and_other_sessions_are_signed_out(world, dbs):
    here, elsewhere = world.test_client(), world.test_client()
    assert login(here, "ha@example.org").status_code == 302 and login(elsewhere, "ha@example.org").status_code == 302
    page = here.get("/account").get_data(as_text=True)
    assert "ha@example.org" in page and "Health Alliance (HA)" in page and 'autocomplete="new-password"' in page
    for current, new, confirm, message in [
        ("not my password!", NEW, NEW, "The current password is wrong"),
        (PASSWORD, NEW, NEW + "x", "differ"),
        (PASSWORD, "short", "short", "at least 12 characters"),
        (PASSWORD, PASSWORD, PASSWORD, "same as the current one"),
    ]:
        r = change(here, current, new, confirm)
        assert r.status_code == 400 and message in r.get_data(as_text=True), message
    assert outcomes(dbs, "user.password_change", "ha@example.org") == ["failure"]
    r = change(here, PASSWORD, NEW)
    assert r.status_code == 302 and r.headers["Location"].endswith("/account")
    assert "Your password is changed" in here.get("/account").get_data(as_text=True)
    assert here.get("/measures").status_code == 200  # this session stays
    assert elsewhere.get("/measures").status_code == 302  # the other one is signed out
    assert outcomes(dbs, "user.password_change", "ha@example.org") == ["failure", "ok"]
    assert login(world.test_client(), "ha@example.org").status_code == 401
    assert login(world.test_client(), "ha@example.org", NEW).status_code == 302


def test_wrong_current_passwords_count_towards_the_lockout(world):
    client = world.test_client()
    login(client, "cms@example.org")
    for _ in range(5):
        assert change(client, "guessing wrong!!", NEW).status_code == 400
    assert change(client, PASSWORD, NEW).status_code == 429
    assert login(world.test_client(), "cms@example.org").status_code == 429


def test_admin_temporary_password_is_shown_once_and_must_be_changed(world, dbs):
    user_id = dbs.scalar(select(User.id).where(User.email == "hb@example.org"))
    victim_session = world.test_client()
    login(victim_session, "hb@example.org")
    locked = world.test_client()
    for _ in range(5):
        login(locked, "hb@example.org", "wrong password!!")
    assert login(locked, "hb@example.org").status_code == 429  # locked out: forgot the password

    admin = world.test_client()
    login(admin, "admin@example.org")
    assert "Temporary password" in admin.get("/admin/users").get_data(as_text=True)
    r = admin.post(f"/admin/users/{user_id}/password", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'id="temporary-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert len(temporary) >= 12
    dbs.expire_all()
    assert dbs.get(User, user_id).must_change_password and temporary not in dbs.get(User, user_id).password_hash
    assert outcomes(dbs, "user.password_reset", "hb@example.org") == ["ok"]
    assert victim_session.get("/measures").status_code == 302  # signed out

    client = world.test_client()
    assert login(client, "hb@example.org", temporary).status_code == 302  # the lockout is lifted
    for path in ("/measures", "/submissions/upload", "/icos/HB"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/account"), path
    assert "Choose your own password" in client.get("/account").get_data(as_text=True)
    assert change(client, temporary, NEW).status_code == 302
    assert client.get("/measures").status_code == 200
    dbs.expire_all()
    assert not dbs.get(User, user_id).must_change_password


def test_admin_cannot_reset_own_password_here_and_others_cannot_reset_at_all(world, dbs):
    admin_id = dbs.scalar(select(User.id).where(User.email == "admin@example.org"))
    admin = world.test_client()
    login(admin, "admin@example.org")
    r = admin.post(f"/admin/users/{admin_id}/password", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert r.status_code == 400 and "account page" in r.get_data(as_text=True)
    reviewer = world.test_client()
    login(reviewer, "cms@example.org")
    r = reviewer.post(f"/admin/users/{admin_id}/password", data={"csrf_token": csrf_token(reviewer, "/account")})
    assert r.status_code == 403
    assert admin.post(f"/admin/users/{admin_id}/password", data={}).status_code == 400  # no CSRF token
