"""Issue 28 item 7, each attack performed: bad audit filters, a list as measure_id, an inquiry by an ICO that left,
API tokens that expire and die with a password change or a disabled user, and the per-address sign-in limit
counted in the database while Redis is down (two gunicorn workers)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from reporting.storage.models import ApiToken, Organization, User
from tests.conftest import PASSWORD, ROOT, csrf_token, free_port, login


def test_bad_audit_filters_get_a_clear_message(world):
    client = world.test_client()
    login(client, "admin@example.org")
    cases = {
        "until=9999-12-31": "outside the dates the trail covers",
        "since=0001-01-01": "outside the dates",
        "since=2026-13-01": "is not a date",
        "until=%D9%A2%D9%A0%D9%A1%D9%A5-01-01": "is not a date",
        "since=2026-02-01&until=2026-01-01": "is after",
        "action=" + "a" * 300: "at most 254 characters",
    }
    for query, message in cases.items():
        r = client.get(f"/admin/audit?{query}")
        body = r.get_data(as_text=True)
        assert r.status_code == 400 and message in body, (query, r.status_code)
        assert 'name="until"' in body  # the filter form is there to correct it
        assert client.get(f"/admin/audit.csv?{query}").status_code == 400
    assert client.get("/admin/audit?page=99999999").status_code == 200
    assert client.get("/admin/audit?since=2000-01-01&until=2999-12-31").status_code == 200


def _token(app, email, days=90):
    from reporting.security import issue_token
    from reporting.storage import db

    with app.app_context():
        with db.transaction() as s:
            return issue_token(s, s.scalar(select(User).where(User.email == email)), "test", days)[1]


def test_inquiry_fields_of_the_wrong_type_are_a_400_and_an_ico_that_left_opens_none(example, dbs):
    from reporting import pipeline

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 10})
    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")  # 2015Q3 in preview, open to inquiries
    ha, hb = _token(example, "ha@example.org"), _token(example, "hb@example.org")
    client = example.test_client()

    def post(token, body):
        return client.post("/api/v1/inquiries", json=body, headers={"Authorization": f"Bearer {token}"})

    for bad in (["fuh_7d"], {"id": "fuh_7d"}, 7, True):
        r = post(ha, {"period": "2015Q3", "measure_id": bad, "message": "Looks low."})
        assert r.status_code == 400 and "measure_id" in r.get_json()["message"], (bad, r.status_code)
    for field in ("period", "message"):
        r = post(ha, {"period": "2015Q3", "measure_id": "fuh_7d", "message": "Looks low.", field: ["x"]})
        assert r.status_code == 400 and f"'{field}' must be text" in r.get_json()["message"]
    # Harbor Care left the demonstration at the end of June 2015: nothing of 2015Q3 is its to question
    dbs.execute(update(Organization).where(Organization.code == "HB").values(active_to=date(2015, 6, 30)))
    dbs.commit()
    r = post(hb, {"period": "2015Q3", "measure_id": "fuh_7d", "message": "Looks low."})
    assert r.status_code == 422 and "left the demonstration after 2015Q2" in r.get_json()["message"]
    r = post(ha, {"period": "2015Q3", "measure_id": "fuh_7d", "message": "Looks low."})
    assert r.status_code == 201, r.get_json()
    web = example.test_client()
    login(web, "hb@example.org")
    r = web.post(
        "/inquiries/new",
        data={
            "csrf_token": csrf_token(web, "/account"),
            "period": "2015Q3",
            "measure_id": "fuh_7d",
            "message": "Looks low.",
        },
        follow_redirects=True,
    )
    assert "left the demonstration after 2015Q2" in r.get_data(as_text=True)


def test_api_tokens_expire_and_die_with_a_password_change_or_a_disabled_user(world, dbs):
    admin = world.test_client()
    login(admin, "admin@example.org")
    ha_id = dbs.scalar(select(User.id).where(User.email == "ha@example.org"))
    page = admin.post(
        "/admin/tokens",
        data={"csrf_token": csrf_token(admin, "/admin/tokens"), "user": str(ha_id), "name": "nightly upload"},
    ).get_data(as_text=True)
    secret = re.search(r"(ocq_[A-Za-z0-9_-]{20,})", page).group(1)
    expires = datetime.strptime(
        re.search(r'id="token-expires">It expires (\S+ \S+) UTC', page).group(1), "%Y-%m-%d %H:%M"
    )
    assert timedelta(days=89) < expires - datetime.utcnow() <= timedelta(days=90)
    api = world.test_client()

    def works(token) -> bool:
        return api.get("/api/v1/inquiries", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert works(secret)
    # an expired token is refused, and the admin page says so
    dbs.execute(
        update(ApiToken)
        .where(ApiToken.name == "nightly upload")
        .values(expires_at=datetime.utcnow() - timedelta(minutes=1))
    )
    dbs.commit()
    assert not works(secret)
    assert "expired" in admin.get("/admin/tokens").get_data(as_text=True)
    # the user changes their password: every token of theirs is revoked
    tokens = [_token(world, "ha@example.org") for _ in range(2)]
    other = _token(world, "hb@example.org")
    assert all(works(t) for t in tokens + [other])
    ha = world.test_client()
    login(ha, "ha@example.org")
    r = ha.post(
        "/account",
        data={
            "csrf_token": csrf_token(ha, "/account"),
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert r.status_code == 302
    assert not any(works(t) for t in tokens) and works(other)
    # an administrator's temporary password, and disabling the user, do the same
    fresh = _token(world, "hb@example.org")
    hb_id = dbs.scalar(select(User.id).where(User.email == "hb@example.org"))
    admin.post(f"/admin/users/{hb_id}/active", data={"csrf_token": csrf_token(admin, "/admin/users")})
    dbs.expire_all()
    assert not works(other) and not works(fresh)
    admin.post(f"/admin/users/{hb_id}/active", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert not works(fresh)  # enabling again does not bring tokens back
    hb_token = _token(world, "hb@example.org")
    assert works(hb_token)
    admin.post(f"/admin/users/{hb_id}/password", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert not works(hb_token)
    # the lifetime is configurable
    short = _token(world, "cms@example.org", days=1)
    with world.app_context():
        from reporting.storage import db

        row = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        assert timedelta(hours=23) < row.expires_at - datetime.utcnow() <= timedelta(days=1)
        db.session.remove()
    assert works(short)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sign_in_limit_holds_across_workers_while_redis_is_down(database_url, world, tmp_path):
    """Two gunicorn workers, the rate limiter's Redis unreachable: each worker alone would allow the limit, so
    40 bad sign-ins from one address would get no 429; counted in the database, the limit holds."""
    import requests

    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="test-secret-key",
        REPORTING_ENV="test",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",
        LOGIN_RATE_PER_ADDRESS="10 per minute",
        LOGIN_MAX_FAILURES="1000",
    )
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(base + "/login", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        codes = []
        for i in range(40):
            with requests.Session() as s:  # a new connection each time: both workers answer
                page = s.get(base + "/login", timeout=10).text
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
                codes.append(
                    s.post(
                        base + "/login",
                        data={"csrf_token": token, "email": f"x{i}@example.org", "password": "wrong password!"},
                        timeout=10,
                    ).status_code
                )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        log.close()
    assert 500 not in codes, (tmp_path / "gunicorn.log").read_text()[-3000:]
    assert codes.count(401) <= 10 and codes.count(429) >= 30, codes
