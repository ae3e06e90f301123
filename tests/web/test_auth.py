"""Sign-in, sign-out, CSRF, lockout and rate limiting, password hashing, the audit trail."""

from sqlalchemy import select

from reporting.storage.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, login


def events(dbs, action):
    dbs.expire_all()
    return dbs.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_sign_in_and_out(world, client, dbs):
    r = login(client, "ha@example.org")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/", follow_redirects=True).status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert r.status_code == 302
    assert client.get("/").headers["Location"].endswith("/login")
    assert [e.outcome for e in events(dbs, "login")] == ["success"]
    assert events(dbs, "logout")[0].actor == "ha@example.org"


def test_password_is_stored_as_argon2(world, dbs):
    user = dbs.scalar(select(User).where(User.email == "ha@example.org"))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_wrong_password_is_refused_and_audited(world, client, dbs):
    r = login(client, "ha@example.org", "not the password")
    assert r.status_code == 401 and "e-mail or password is wrong" in r.get_data(as_text=True)
    r = login(client, "nobody@example.org", "whatever it is")
    assert r.status_code == 401
    failures = events(dbs, "login")
    assert [(e.target, e.outcome) for e in failures] == [
        ("ha@example.org", "failure"),
        ("nobody@example.org", "failure"),
    ]
    assert all("not the password" not in str(e.detail) for e in failures)


def test_account_locks_after_five_failures(world, client):
    for _ in range(5):
        assert login(client, "hb@example.org", "wrong password!").status_code == 401
    r = login(client, "hb@example.org")  # even the right password
    assert r.status_code == 429
    assert "locked for 15 minutes" in r.get_data(as_text=True)
    assert login(client, "ha@example.org").status_code == 302  # other accounts are unaffected


def test_address_rate_limit(app, world):
    app.config["LOGIN_RATE_PER_ADDRESS"] = "3 per minute"
    client = app.test_client()
    codes = [login(client, f"x{i}@example.org", "wrong password!").status_code for i in range(4)]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_missing_csrf_token_is_a_clear_400(world, client):
    r = client.post("/login", data={"email": "ha@example.org", "password": PASSWORD})
    assert r.status_code == 400
    assert "CSRF" in r.get_data(as_text=True) and "Traceback" not in r.get_data(as_text=True)


def test_disabled_user_is_signed_out_and_cannot_sign_in(world, client, dbs):
    assert login(client, "hb@example.org").status_code == 302
    from reporting import accounts

    user = dbs.scalar(select(User).where(User.email == "hb@example.org"))
    accounts.set_user_active(dbs, user, False, actor="test")
    dbs.commit()
    assert client.get("/").status_code == 302
    assert login(client, "hb@example.org").status_code == 401


def test_open_redirect_is_refused(world, client):
    token = csrf_token(client)
    r = client.post(
        "/login?next=https://evil.example.com/",
        data={"email": "ha@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert r.headers["Location"] == "/"


def test_security_headers(world, client):
    r = client.get("/login")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
