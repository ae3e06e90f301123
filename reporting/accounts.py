"""Users and ICOs: the one place that creates and changes them (admin pages and CLI call this)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date
from email.errors import MessageError
from email.headerregistry import Address

from sqlalchemy import func, select

from reporting import audit
from reporting.access import ICO_SUBMITTER, STATE_REVIEWER, ico_by_code
from reporting.errors import ReportingError
from reporting.security import (
    TOKEN_DAYS,
    hash_password,
    issue_token,
    password_problem,
    revoke_tokens_of,
    verify_password,
)
from reporting.storage.models import ROLES, ApiToken, Organization, ReportRecipient, User, utcnow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
CODE = re.compile(r"^[A-Z0-9]{1,20}$")
STATE = re.compile(r"^[A-Z]{2}$")
RESERVED_CODES = {"STATEWIDE"}  # the code results use for the statewide figures
MAX_NAME = 200


class WrongPassword(ReportingError):
    """The current password given to change it is wrong (the caller records the failed attempt)."""


def check_email(email: str) -> str:
    """One plain address (``name@example.org``), read by the e-mail package's own parser: no display name, no
    second address, no control characters, nothing that could read as another header."""
    raw = (email or "").strip().lower()
    shown = plain_text(raw, "The e-mail address", limit=254)
    try:
        address = Address(addr_spec=shown)
    except (ValueError, IndexError, MessageError):  # HeaderParseError ("<script>") is no ValueError
        address = None
    if (
        address is None
        or address.addr_spec != shown
        or not EMAIL.match(shown)
        or any(c in shown for c in '<>,;"()[]\\')
    ):
        raise ReportingError(f"'{shown}' is not one e-mail address: write it as name@example.org.")
    return shown


def plain_text(value: str, what: str, limit: int = MAX_NAME) -> str:
    """A name, code or address as typed: refused when it holds a control or format character (a line break
    in an ICO's name would become a header of every message naming it) or is longer than ``limit``."""
    value = (value or "").strip()
    bad = [c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        raise ReportingError(
            f"{what} contains a line break or another control character "
            f"({', '.join(sorted({repr(c) for c in bad}))}). Type it on one line, as plain text."
        )
    if len(value) > limit:
        raise ReportingError(f"{what} is {len(value)} characters long; the limit is {limit}.")
    return value


def create_user(
    session,
    *,
    email: str,
    role: str,
    password: str,
    name: str = "",
    ico: str | None = None,
    state: str | None = None,
    actor=None,
) -> User:
    email = check_email(email)
    if role not in ROLES:
        raise ReportingError(f"Unknown role '{role}': choose one of {', '.join(ROLES)}.")
    if problem := password_problem(password):
        raise ReportingError(problem)
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise ReportingError(f"A user with the e-mail {email} already exists.")
    org = None
    if role == ICO_SUBMITTER:
        if not ico:
            raise ReportingError("An ico_submitter belongs to one ICO: give its code (--ico CODE).")
        org = organization(session, ico)
    elif ico:
        raise ReportingError(f"Only ico_submitter users belong to an ICO; a {role} does not take --ico.")
    if role == STATE_REVIEWER:
        state = (state or "").strip().upper()
        if not STATE.match(state):
            raise ReportingError("A state_reviewer reviews one state: give its two-letter code (--state MA).")
    elif state:
        raise ReportingError(f"Only state_reviewer users have a state; a {role} does not take --state.")
    name = plain_text(name, "The user's name")
    user = User(
        email=email, name=name, role=role, organization=org, state=state or None, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    audit.record("user.create", email, detail={"role": role, "ico": ico, "state": state}, actor=actor, session=session)
    return user


def sign_out(session, user: User) -> None:
    """Signing out ends the session server-side: a copy of its cookie opens nothing afterwards (every
    session of the user is signed out, as the session version is what a cookie must carry)."""
    user.session_version += 1
    audit.record("logout", user.email, actor=user, session=session)


def set_user_active(session, user: User, active: bool, actor=None) -> None:
    user.active = active
    user.session_version += 1  # signs the user out everywhere
    revoked = 0 if active else revoke_tokens_of(session, user)  # and ends their programs' access
    audit.record(
        "user.enable" if active else "user.disable",
        user.email,
        actor=actor,
        session=session,
        detail={"tokens_revoked": revoked} if revoked else None,
    )


def set_password(session, user: User, password: str, actor=None) -> None:
    _replace_password(session, user, password, "user.password", actor)


def _replace_password(session, user: User, password: str, action: str, actor) -> None:
    """A checked new password; every session of the user is signed out (the caller signs the current one in)."""
    if problem := password_problem(password):
        raise ReportingError(problem)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.session_version += 1
    revoked = revoke_tokens_of(session, user)
    audit.record(
        action, user.email, actor=actor, session=session, detail={"tokens_revoked": revoked} if revoked else None
    )


def change_own_password(session, user: User, current: str, new: str, confirm: str) -> None:
    """A signed-in user changes their password; every other session of theirs is signed out."""
    if not verify_password(user.password_hash, current or ""):
        raise WrongPassword("The current password is wrong. Type the password you signed in with.")
    if new != confirm:
        raise ReportingError("The new password and its confirmation differ. Type the same new password twice.")
    if new == current:
        raise ReportingError("The new password is the same as the current one. Choose a different one.")
    _replace_password(session, user, new, "user.password_change", user)


def issue_temporary_password(session, user: User, actor=None) -> str:
    """A random one-time password for a user who forgot theirs; shown once to the administrator, to be
    changed at the next sign-in. The user's sessions are signed out and a lockout is lifted. Not for a disabled
    user: one could not sign in with it, and would be enabled with a password someone else has seen."""
    if not user.active:
        raise ReportingError(
            f"{user.email} is disabled: a temporary password cannot be issued to a disabled user. Enable the user "
            "first (the Enable button in the list of users), then issue the temporary password.",
            409,
        )
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_version += 1
    revoked = revoke_tokens_of(session, user)
    audit.record(
        "user.password_reset",
        user.email,
        actor=actor,
        session=session,
        detail={"tokens_revoked": revoked} if revoked else None,
    )
    return password


def organization(session, code: str) -> Organization:
    org = ico_by_code(session, code)
    if org is None:
        raise ReportingError(f"There is no ICO with the code '{code}'. The ICO list shows the codes.", 404)
    return org


def programme_of_state(state: str | None):
    """The programme of an ICO added without one: DEFAULT_PROGRAMME when the state is its state (or none is given),
    else the one programme of the state; a clear error when the state has none or several."""
    from reporting import programmes

    default = programmes.default()
    if state is None or state == default.state:
        return default
    of_state = [p for p in programmes.all() if p.state == state]
    if len(of_state) == 1:
        return of_state[0]
    found = f"its programmes are {', '.join(p.id for p in of_state)}" if of_state else "no programme is in " + state
    raise ReportingError(
        f"Say which programme the ICO belongs to: {found}, and the default programme {default.id} is "
        f"{default.state}'s. Add --programme ID (flask programmes lists them; a new programme is a file, "
        "docs/programmes.md)."
    )


def add_ico(
    session,
    *,
    code: str,
    name: str,
    state: str | None = None,
    recipients: list[str] = (),
    active_from: date | None = None,
    active_to: date | None = None,
    actor=None,
    programme=None,
) -> Organization:
    """An ICO of one programme (an id or a ``Programme``), whose state it must be in. Unnamed, the programme is
    found from the state (``programme_of_state``): the installation's DEFAULT_PROGRAMME for its state (or no state
    given), else the one programme of that state; a clear error asks for the programme otherwise."""
    from reporting import programmes

    if state is not None:
        state = plain_text(state, "The state", limit=2).upper()
        if not STATE.match(state):
            raise ReportingError("The state is a two-letter code, e.g. MA.")
    chosen = programmes.get(programme) if programme is not None else programme_of_state(state)
    if state is None:
        state = chosen.state
    code = plain_text(code, "The ICO code", limit=20).upper()
    if not CODE.match(code):
        raise ReportingError("An ICO code is 1-20 capital letters or digits, e.g. CCA.")
    if code in RESERVED_CODES:
        raise ReportingError(f"{code} is reserved for the statewide figures. Choose another code for the ICO.")
    if state != chosen.state:
        raise ReportingError(
            f"{chosen.name} ({chosen.id}) is {chosen.state}'s programme; an ICO in {state} belongs to a programme of "
            f"{state}. Check the state, or choose the programme with --programme (flask programmes lists them)."
        )
    name = plain_text(name, "The ICO's name")
    if not name:
        raise ReportingError("Give the ICO's name.")
    _check_active_dates(active_from, active_to)
    if session.scalar(select(Organization).where(Organization.code == code)):
        raise ReportingError(f"An ICO with the code {code} already exists.")
    org = Organization(
        code=code,
        name=name.strip(),
        state=state,
        active_from=active_from,
        active_to=active_to,
        programme_id=chosen.id,
    )
    session.add(org)
    session.flush()
    set_recipients(session, org, recipients, actor=actor, record=False)
    audit.record(
        "ico.create",
        code,
        detail={"name": name, "state": state, "programme": chosen.id, "recipients": len(recipients)},
        actor=actor,
        session=session,
    )
    return org


def update_ico(
    session, org: Organization, *, name: str, active_from, active_to, enabled: bool, recipients: list[str], actor=None
) -> None:
    name = plain_text(name, "The ICO's name")
    if not name:
        raise ReportingError("Give the ICO's name.")
    _check_active_dates(active_from, active_to)
    org.name, org.active_from, org.active_to, org.enabled = name.strip(), active_from, active_to, enabled
    set_recipients(session, org, recipients, actor=actor, record=False)
    audit.record(
        "ico.update", org.code, detail={"enabled": enabled, "recipients": len(recipients)}, actor=actor, session=session
    )


def _check_active_dates(active_from: date | None, active_to: date | None) -> None:
    if active_from and active_to and active_to < active_from:
        raise ReportingError(
            f"'Active to' ({active_to}) is before 'active from' ({active_from}): the ICO's last day cannot come "
            "before its first. Correct one of the dates, or leave 'active to' blank."
        )


def set_recipients(session, org: Organization, emails, actor=None, record=True) -> None:
    wanted = sorted({check_email(e) for e in emails if e and e.strip()})
    org.recipients = [r for r in org.recipients if r.email in wanted]
    have = {r.email for r in org.recipients}
    org.recipients.extend(ReportRecipient(email=e) for e in wanted if e not in have)
    if record:
        audit.record("ico.recipients", org.code, detail={"recipients": len(wanted)}, actor=actor, session=session)


# --- lists for the admin pages, and API tokens ----------------------------------------------------


def users(session, active_only: bool = False) -> list[User]:
    """Every user by role (the Users page), or the active ones by address (whom a token can be issued to)."""
    if active_only:
        return list(session.scalars(select(User).where(User.active).order_by(User.email)))
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def organizations(session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.name)))


def tokens(session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


def issue_api_token(
    session, user_id: str | int | None, name: str, days: int = TOKEN_DAYS, actor=None
) -> tuple[ApiToken, str]:
    """A token for the user ``user_id`` (as a form sends it), valid for ``days``; the secret is returned once."""
    user = session.get(User, int(user_id)) if str(user_id or "").isdigit() else None
    if user is None:
        raise ReportingError("Choose a user for the token.")
    row, secret = issue_token(session, user, name.strip(), days)
    audit.record(
        "token.issue",
        user.email,
        detail={"token": row.prefix, "name": row.name, "expires": row.expires_at.date().isoformat()},
        actor=actor,
        session=session,
    )
    return row, secret


def revoke_api_token(session, token_id: int, actor=None) -> ApiToken | None:
    """Revoke a token; returns it, or None when it was revoked already (nothing changes then)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ReportingError("That token does not exist (any more).", 404)
    if row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    audit.record("token.revoke", row.user.email, detail={"token": row.prefix}, actor=actor, session=session)
    return row
