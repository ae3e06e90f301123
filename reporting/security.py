"""Passwords (Argon2), API tokens (stored as SHA-256), sign-in throttling and the access rules."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from reporting.storage.models import ApiToken, AuditEvent, Organization, User, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the account does not exist, so that timing tells nothing.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_credentials(session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    return None


def recent_failures(session, email: str, minutes: int) -> int:
    """Wrong passwords for this account (at sign-in, or when changing it) in the last ``minutes``, since
    an administrator last set its password (which lifts a lockout)."""
    email = email.strip().lower()
    since = utcnow() - timedelta(minutes=minutes)
    reset = session.scalar(select(func.max(AuditEvent.at)).where(
        AuditEvent.action.in_(("user.password", "user.password_reset")), AuditEvent.target == email))
    if reset is not None and reset > since:
        since = reset
    return session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.in_(("login", "user.password_change")), AuditEvent.outcome == "failure",
        AuditEvent.target == email, AuditEvent.at >= since)) or 0


# --- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "ocq_"


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token: the secret is returned once and only its SHA-256 is stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=_token_digest(secret))
    session.add(row)
    session.flush()
    return row, secret


def user_for_token(session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


# --- who may see what -------------------------------------------------------------------------

def visible_icos(session, user: User) -> list[Organization]:
    """The ICOs whose own figures this user may see: all (admin, CMS), one state's, or their own."""
    query = select(Organization).order_by(Organization.name)
    if user.role in ("admin", "cms_reviewer"):
        return list(session.scalars(query))
    if user.role == "state_reviewer":
        return list(session.scalars(query.where(Organization.state == user.state)))
    if user.role == "ico_submitter" and user.organization_id:
        return list(session.scalars(query.where(Organization.id == user.organization_id)))
    return []


def ico_by_code(session, code: str | None) -> Organization | None:
    """The one lookup of an ICO by its code (trimmed, upper case)."""
    return session.scalar(select(Organization).where(Organization.code == (code or "").strip().upper()))


def ico_for(session, user: User, code: str | None, what: str = "results") -> Organization:
    """The ICO with ``code`` if ``user`` may see it: 404 when there is none, 403 when it is another's."""
    from reporting.errors import Forbidden, NotFound
    org = ico_by_code(session, code)
    if org is None:
        raise NotFound("There is no such ICO.")
    if not can_see_ico(user, org):
        raise Forbidden(f"You may only see your own ICO's {what}.")
    return org


def can_see_ico(user: User, org: Organization) -> bool:
    if user.role in ("admin", "cms_reviewer"):
        return True
    if user.role == "state_reviewer":
        return org.state == user.state
    return user.role == "ico_submitter" and user.organization_id == org.id


def can_submit_for(user: User, org: Organization) -> bool:
    return user.role == "admin" or (user.role == "ico_submitter" and user.organization_id == org.id)


# Statewide minus an ICO's own figures would give the other ICO's exact figures when only two report.
STATEWIDE_MIN_ICOS = 3


def statewide_hidden_from(role: str, icos_reporting: int) -> bool:
    """ICO users (and the reports made for them) see statewide figures only when at least three ICOs report."""
    return role == "ico_submitter" and icos_reporting < STATEWIDE_MIN_ICOS


STATEWIDE_HIDDEN_NOTE = ("Statewide figures are not shown for {periods}: fewer than three ICOs reported, so the "
                         "statewide figure would reveal another ICO's results.")


def can_see_statewide(user: User, states: set[str], icos_reporting: int) -> bool:
    """Statewide figures of a run whose ICOs are in ``states``: not for another state's reviewer, nor for ICO
    users when fewer than three ICOs report."""
    if statewide_hidden_from(user.role, icos_reporting):
        return False
    return user.role != "state_reviewer" or user.state in states
