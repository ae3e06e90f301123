"""Administrators' forms refuse what cannot be meant, with a message saying what to correct: an ICO whose
'active to' is before its 'active from', and a temporary password for a disabled user."""

from sqlalchemy import select

from reporting.storage.models import AuditEvent, Organization, User
from tests.conftest import csrf_token, login


def _admin(world):
    client = world.test_client()
    login(client, "admin@example.org")
    return client


def test_an_ico_cannot_end_before_it_starts_on_creation_or_edit(world, dbs):
    """active_to earlier than active_from was accepted when an ICO was created (and the edit answered with a
    flash far from the field). Both forms show the error at 'Active to' and change nothing."""
    admin = _admin(world)
    form = {"code": "BACK", "name": "Backwards Care", "programme": "ma-one-care", "state": ""}
    dates = {"active_from": "2015-04-01", "active_to": "2015-03-31"}
    r = admin.post("/admin/icos", data=form | dates | {"csrf_token": csrf_token(admin, "/admin/icos")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "ICO BACK created" not in page
    assert "&#39;Active to&#39; (2015-03-31) is before &#39;active from&#39; (2015-04-01)" in page, page[-3000:]
    assert "Correct one of the dates" in page and 'class="field-error"' in page
    assert dbs.scalar(select(Organization).where(Organization.code == "BACK")) is None

    before = dbs.scalar(select(Organization).where(Organization.code == "HA"))
    kept = (before.active_from, before.active_to)
    edit = {"name": before.name, "enabled": "y", "recipients": ""} | dates
    r = admin.post("/admin/icos/HA", data=edit | {"csrf_token": csrf_token(admin, "/admin/icos/HA")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "ICO HA saved" not in page
    assert "is before &#39;active from&#39; (2015-04-01)" in page and 'class="field-error"' in page
    dbs.expire_all()
    after = dbs.scalar(select(Organization).where(Organization.code == "HA"))
    assert (after.active_from, after.active_to) == kept


def test_an_ico_dated_the_right_way_round_is_saved(world, dbs):
    admin = _admin(world)
    form = {"code": "ROUND", "name": "Round Care", "programme": "ma-one-care", "state": ""}
    dates = {"active_from": "2015-04-01", "active_to": "2015-04-01"}  # one day is a period of activity
    r = admin.post(
        "/admin/icos", data=form | dates | {"csrf_token": csrf_token(admin, "/admin/icos")}, follow_redirects=True
    )
    assert "ICO ROUND created." in r.get_data(as_text=True)


def test_a_disabled_user_gets_no_temporary_password(world, dbs):
    """The button is hidden for a disabled user, but the request was honoured: a password was issued (and seen by
    the administrator) for an account that cannot sign in. It is refused, saying to enable the user first; nothing
    about the user changes."""
    admin = _admin(world)
    user = dbs.scalar(select(User).where(User.email == "hb@example.org"))
    user_id, token = user.id, csrf_token(admin, "/admin/users")
    assert admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token}).status_code == 302
    dbs.expire_all()
    disabled = dbs.get(User, user_id)
    assert not disabled.active
    hash_before, version_before = disabled.password_hash, disabled.session_version
    r = admin.post(f"/admin/users/{user_id}/password", data={"csrf_token": token}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="temporary-password"' not in page
    assert "hb@example.org is disabled: a temporary password cannot be issued to a disabled user." in page
    assert "Enable the user first" in page
    dbs.expire_all()
    after = dbs.get(User, user_id)
    assert (after.password_hash, after.session_version, after.must_change_password) == (
        hash_before,
        version_before,
        False,
    )
    resets = select(AuditEvent).where(AuditEvent.action == "user.password_reset")
    assert dbs.scalars(resets).all() == []
    # enabled again, the temporary password is issued
    assert admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token}).status_code == 302
    r = admin.post(f"/admin/users/{user_id}/password", data={"csrf_token": token})
    assert r.status_code == 200 and 'id="temporary-password"' in r.get_data(as_text=True)


def test_a_recipient_the_mail_parser_cannot_read_is_refused_by_name_not_a_500(world, dbs):
    """A report recipient such as ``<script>`` made the e-mail package's parser raise HeaderParseError, which is no
    ValueError: adding or editing the ICO answered 500. It is refused like any other address that is not one."""
    from reporting import accounts
    from reporting.errors import ReportingError

    for typed in ("<script>", "(x)@example.org", '"a b"@example.org', "@"):
        try:
            accounts.check_email(typed)
        except ReportingError as e:
            assert "is not one e-mail address" in e.message
        else:
            raise AssertionError(f"{typed!r} was taken for an address")
    admin = _admin(world)
    form = {"code": "PARSE", "name": "Parser Care", "programme": "ma-one-care", "state": "", "enabled": "y"}
    r = admin.post(
        "/admin/icos",
        data=form | {"recipients": "<script>", "csrf_token": csrf_token(admin, "/admin/icos")},
        follow_redirects=True,
    )
    assert r.status_code < 500 and "is not one e-mail address" in r.get_data(as_text=True)
    assert dbs.scalar(select(Organization).where(Organization.code == "PARSE")) is None
    before = dbs.scalar(select(Organization).where(Organization.code == "HA"))
    edit = {"name": before.name, "enabled": "y", "recipients": "ok@example.org\n<script>"}
    r = admin.post(
        "/admin/icos/HA", data=edit | {"csrf_token": csrf_token(admin, "/admin/icos/HA")}, follow_redirects=True
    )
    assert r.status_code < 500 and "is not one e-mail address" in r.get_data(as_text=True)
