"""Configuration flows one way: config/defaults.py → instance/config.py → environment → test override.

Checked once, in the factory, with one clear message per missing or wrong key."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

from reporting import clock
from reporting.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

# Environment variables read, with their types.
ENV_VARS = {
    "REPORTING_ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MAX_UPLOAD_MB": int,
    "ZIP_MAX_UNCOMPRESSED_MB": int,
    "UPLOAD_MAX_FILES": int,
    "UPLOAD_MAX_LINE_BYTES": int,
    "UPLOAD_MAX_COLUMNS": int,
    "UPLOAD_MAX_CELLS": int,
    "UPLOAD_MAX_CSV_MB": int,
    "UPLOAD_MAX_XLSX_CELLS": int,
    "UPLOAD_MAX_XLSX_MB": int,
    "API_MAX_JSON_KB": int,
    "API_MAX_JSON_DEPTH": int,
    "DEFAULT_PROGRAMME": str,
    "TRUSTED_PROXIES": int,
    "MAIL_REPLY_TO": str,
    "ZIP_MAX_RATIO": int,
    "ZIP_MAX_ENTRIES": int,
    "LOGIN_MAX_FAILURES": int,
    "LOGIN_LOCKOUT_MINUTES": int,
    "LOGIN_RATE_PER_ADDRESS": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "API_TOKEN_DAYS": int,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_SECURITY": str,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_TIMEOUT": int,
    "MAIL_FROM": str,
    "OUTBOX_DIR": str,
    "DELIVERY_MAX_ATTEMPTS": int,
    "DELIVERY_RETRY_SECONDS": int,
    "DELIVERY_WAIT_SECONDS": int,
    "DELIVERY_STALE_SECONDS": int,
    "PUBLISH_MODE": str,
    "PREVIEW_DAYS": int,
    "INQUIRIES_PER_HOUR": int,
    "CYCLE_DELAY_DAYS": int,
    "CYCLE_FIRST_PERIOD": str,
    "SCHEDULER_POLL_SECONDS": int,
    "BASE_URL": str,
    "LOG_LEVEL": str,
    "REPORTING_TODAY": str,
}
ENVIRONMENTS = ("development", "production", "test")
# Settings of the one programme there was, now keys of each programme's file; set by programmes.init_app from the
# default programme for code that still reads them.
MOVED = {
    "PROGRAM_FIRST_PERIOD": "first_period",
    "DUE_DATE_MONTHS_AFTER": "due_months_after",
    "BENCHMARKS_FILE": "benchmarks",
    "WITHHOLD_FILE": "withhold",
}


def load_config(app, test_config: dict | None) -> None:
    app.config.from_pyfile(str(ROOT / "config" / "defaults.py"))
    app.config.from_pyfile(os.path.join(app.instance_path, "config.py"), silent=True)
    problems = []
    for name, kind in ENV_VARS.items():
        raw = os.environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            app.config[name] = kind(raw)
        except ValueError:
            problems.append(f"{name}={raw!r} is not a whole number")
    if test_config:
        app.config.update(test_config)
    _derive(app, problems)
    if problems:
        raise ConfigError("Configuration problems:\n  - " + "\n  - ".join(problems))


def _derive(app, problems: list[str]) -> None:
    c = app.config
    env = c["REPORTING_ENV"]
    if env not in ENVIRONMENTS:
        problems.append(f"REPORTING_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if not c.get("SECRET_KEY"):
        if env == "production":
            problems.append(
                "SECRET_KEY is required in production: set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        else:
            c["SECRET_KEY"] = _instance_secret(app)
    if not c.get("DATABASE_URL"):
        c["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "reporting.sqlite3")
    if c["SMTP_SECURITY"] not in ("starttls", "tls", "none"):
        problems.append("SMTP_SECURITY must be starttls, tls or none")
    if c["PUBLISH_MODE"] not in ("preview", "auto", "approval"):
        problems.append("PUBLISH_MODE must be preview, auto or approval")
    if not 1 <= c["API_TOKEN_DAYS"] <= 3660:
        problems.append("API_TOKEN_DAYS must be a number of days from 1 to 3660")
    if c["PREVIEW_DAYS"] < 0:
        problems.append("PREVIEW_DAYS must be 0 or more")
    for name in (
        "MAX_UPLOAD_MB",
        "ZIP_MAX_UNCOMPRESSED_MB",
        "UPLOAD_MAX_FILES",
        "UPLOAD_MAX_LINE_BYTES",
        "UPLOAD_MAX_COLUMNS",
        "UPLOAD_MAX_CELLS",
        "UPLOAD_MAX_CSV_MB",
        "UPLOAD_MAX_XLSX_CELLS",
        "UPLOAD_MAX_XLSX_MB",
        "API_MAX_JSON_KB",
        "API_MAX_JSON_DEPTH",
    ):
        if c[name] <= 0:
            problems.append(f"{name} must be positive")
    if c["TRUSTED_PROXIES"] < 0:
        problems.append("TRUSTED_PROXIES must be 0 or more")
    for name, key in MOVED.items():
        if c.get(name) is not None:
            problems.append(
                f"{name} is no longer a setting: it is {key} in the programme's file (config/programmes/<id>.toml or "
                f"instance/programmes/<id>.toml, docs/programmes.md)"
            )
    try:
        c["REPORTING_TODAY"] = clock.read_setting(c.get("REPORTING_TODAY"))
    except ValueError as e:
        problems.append(str(e))
    c["RATELIMIT_KEY_PREFIX"] = c.get("RATELIMIT_KEY_PREFIX") or installation_prefix(app.instance_path)
    c["OUTBOX_DIR"] = c.get("OUTBOX_DIR") or os.path.join(app.instance_path, "outbox")
    c["MAX_CONTENT_LENGTH"] = c["MAX_UPLOAD_MB"] * 1024 * 1024
    c["MAX_FORM_MEMORY_SIZE"] = 1024 * 1024
    c["MAX_FORM_PARTS"] = c["UPLOAD_MAX_FILES"] + 10
    c["TESTING"] = c.get("TESTING", env == "test")
    c["SESSION_COOKIE_HTTPONLY"] = True
    c["SESSION_COOKIE_SAMESITE"] = "Lax"
    c["SESSION_COOKIE_SECURE"] = env == "production"
    c["REMEMBER_COOKIE_SECURE"] = env == "production"
    c["REMEMBER_COOKIE_HTTPONLY"] = True
    c["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
    c["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
    c["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis unreachable: count in this process (Flask-Limiter logs the fallback), never answer 500.
    c["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    c["RATELIMIT_SWALLOW_ERRORS"] = True


def installation_prefix(instance_path: str) -> str:
    """The sign-in limit's key prefix of one installation: two checkouts on one machine share the Redis server
    but never each other's counts (the same instance folder keeps its prefix across restarts)."""
    return "reporting-" + hashlib.sha256(os.path.realpath(instance_path).encode()).hexdigest()[:12]


def _instance_secret(app) -> str:
    """Development and tests: a random key kept in the instance folder, so sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
