"""Passwords (Argon2), API tokens (stored as SHA-256) and sign-in throttling. Who may see what is
``reporting.access``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update

from reporting.storage.models import ApiToken, AuditEvent, User, utcnow

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
    reset = session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action.in_(("user.password", "user.password_reset")), AuditEvent.target == email
        )
    )
    if reset is not None and reset > since:
        since = reset
    return (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action.in_(("login", "user.password_change")),
                AuditEvent.outcome == "failure",
                AuditEvent.target == email,
                AuditEvent.at >= since,
            )
        )
        or 0
    )


def failures_from(session, address: str, seconds: int) -> int:
    """Failed sign-ins from ``address`` in the last ``seconds``, from the audit trail: the per-address limit as
    every web worker sees it, whether or not the rate limiter's shared store (Redis) answers."""
    since = utcnow() - timedelta(seconds=seconds)
    return (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "login",
                AuditEvent.outcome == "failure",
                AuditEvent.at >= since,
                AuditEvent.ip == (address or "")[:64],
            )
        )
        or 0
    )


# --- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "ocq_"
TOKEN_DAYS = 90  # an API token's lifetime unless the configuration (API_TOKEN_DAYS) says otherwise


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, user: User, name: str, days: int = TOKEN_DAYS) -> tuple[ApiToken, str]:
    """A new token, valid for ``days``: the secret is returned once and only its SHA-256 is stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=_token_digest(secret),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row, secret


def user_for_token(session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or row.expired or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


def revoke_tokens_of(session, user: User) -> int:
    """Revoke every live token of ``user`` (a password change, a disabled account); returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0
