"""The web layer: extensions, error pages, security headers and the blueprints (thin views)."""

from __future__ import annotations

import logging

from flask import g, jsonify, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from reporting import access, audit, clock
from reporting.errors import ReportingError

log = logging.getLogger(__name__)
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in first: send an API token as 'Authorization: Bearer <token>'.",
    403: "Your account is not allowed to see this page.",
    404: "There is no page at this address. Check the link, or start again from the home page.",
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than the limit of {limit} MB. Split the package by quarter, or zip the CSV files.",
    429: "Too many attempts. Wait a few minutes, then try again.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


MAX_ID = 2**31 - 1  # the largest id and page number the database's integer columns hold


def wants_json() -> bool:
    return (
        request.blueprint == "api"
        or request.path.startswith("/api/")
        or (request.accept_mimetypes.best == "application/json")
    )


def error_response(status: int, message: str, title: str | None = None, extra: dict | None = None):
    if wants_json():
        body = {"error": title or MESSAGES.get(status, "Error").split(".")[0], "message": message}
        return jsonify(body | (extra or {})), status
    return render_template("error.html", status=status, title=title or f"Error {status}", message=message), status


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings left out), counted without parsing it: one
    pass, linear in the body's length whatever it holds (a pattern over strings backtracked quadratically on an
    unterminated string of escaped quotes: 64 KB held a worker for 45 s)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def init_app(app) -> None:
    """The extensions, then the error pages, the guards at the edge, the templates' context and the blueprints.
    (The blueprints import this module: each step imports them when it runs.)"""
    _extensions(app)
    _error_handlers(app)
    _guards(app)
    _template_context(app)
    _blueprints(app)


def _extensions(app) -> None:
    """Addresses' converters, CSRF, sign-in (sessions that end on the server), the sign-in limit, the filters."""
    from reporting.publication import figures
    from reporting.rendering.filters import register_filters
    from reporting.storage import db
    from reporting.storage.models import User
    from reporting.web import params

    params.init_app(app)  # <period:...> in addresses: before the blueprints' routes
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.session_protection = "strong"
    app.config.setdefault("RATELIMIT_ENABLED", True)
    if app.config["REPORTING_ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        log.warning(
            "RATELIMIT_STORAGE_URI is memory://: each web worker counts sign-in attempts on its own; "
            "set it to redis://... to share the limit"
        )
    limiter.init_app(app)
    register_filters(app.jinja_env)
    # which value headlines a result is the read model's decision (``figures.headline``), asked, not re-made
    app.jinja_env.filters.update(headline=figures.headline, adjusted_headline=figures.adjusted_headline)

    @login_manager.user_loader
    def load_user(user_id: str):
        uid, _, version = user_id.partition(":")
        user = db.session.get(User, int(uid)) if uid.isdigit() else None
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user


def _error_handlers(app) -> None:
    """One answer per error, HTML or JSON (``error_response``): typed errors with their message, HTTP errors in
    words, anything unexpected logged with its traceback and answered 500 without it."""
    from reporting.web import params

    @app.errorhandler(CSRFError)
    def _csrf(e):
        log.info("CSRF refused: %s", e.description)
        return error_response(
            400,
            "The form had expired or was not sent by this site (missing or bad CSRF token). "
            "Reload the page and submit it again.",
            "Form expired",
        )

    @app.errorhandler(ReportingError)
    def _reporting(e):
        return error_response(e.status, e.message, e.title)

    @app.errorhandler(HTTPException)
    def _http(e):
        status = e.code or 500
        message = e.description if isinstance(e, params.UnknownPeriod) else MESSAGES.get(status, e.description or "")
        if status == 413 and (request.content_length or 0) <= app.config["MAX_CONTENT_LENGTH"]:
            message = (
                f"The upload has more parts than allowed: at most {app.config['UPLOAD_MAX_FILES']} files in one "
                f"upload. Zip the CSV files into one ZIP, or upload one quarter's seven files at a time."
            )
        elif status == 413:
            message = message.format(limit=app.config["MAX_UPLOAD_MB"])
        elif status == 429 and getattr(e, "description", None) and "per" in str(e.description):
            message = "Too many requests from your address. Wait a minute, then try again."
        return error_response(status, message)

    @app.errorhandler(Exception)
    def _unexpected(e):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, MESSAGES[500])


def _guards(app) -> None:
    """Before every request: the edge guard and the password change first; after it: the security headers.
    The audit trail learns who calls from where."""

    @app.before_request
    def _json_bounds():
        """A JSON body (the API's inquiries take a few hundred bytes) is read only up to ``API_MAX_JSON_KB`` and
        parsed only when nested at most ``API_MAX_JSON_DEPTH`` levels: a 200 MB body or 100,000 brackets get a
        clear 413/400, never minutes of parsing or a 500."""
        if not request.is_json or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        limit = app.config["API_MAX_JSON_KB"] * 1024

        def too_large():
            return error_response(
                413,
                f"The JSON body is larger than the limit of {app.config['API_MAX_JSON_KB']} "
                f"KB. Send only the fields the request takes (see the API in the README).",
                "Request too large",
            )

        if (request.content_length or 0) > limit:
            return too_large()
        request.max_content_length = limit + 1  # a body sent without its length (chunked) is read one byte past
        try:
            data = request.get_data(cache=True)
        except HTTPException as e:
            return too_large() if e.code == 413 else error_response(e.code or 400, MESSAGES.get(e.code or 400, ""))
        if len(data) > limit:
            return too_large()
        depth = json_depth(data)
        if depth > app.config["API_MAX_JSON_DEPTH"]:
            return error_response(
                400,
                f"The JSON body is nested {depth:,} levels deep; the limit is "
                f"{app.config['API_MAX_JSON_DEPTH']}. Send a flat JSON object, e.g. "
                f'{{"period": "2015Q3", "message": "..."}}.',
                "Bad request",
            )
        return None

    @app.before_request
    def _edge_guard():
        """One guard at the edge for what no view should have to think about: a NUL character (PostgreSQL
        refuses it in any string) and ids past the database's integer range answer 400/404, never 500."""
        values = [request.path, *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += list(request.form.values())
        if any("\x00" in v for v in values):
            return error_response(
                400,
                "The request contains a NUL character, which no address, field or file name "
                "may hold. Remove it and try again.",
                "Bad request",
            )
        if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in (request.view_args or {}).values()):
            return error_response(404, MESSAGES[404])
        if any(v.isdigit() and int(v) > MAX_ID for v in request.args.values() if len(v) < 200) or any(
            len(v) >= 200 and v.isdigit() for v in request.args.values()
        ):
            return error_response(
                400, "A number in the address is larger than any the service uses. Check the link.", "Bad request"
            )
        return None

    @app.before_request
    def _password_change_first():
        """A user with a temporary password from an administrator chooses their own before anything else."""
        if (
            request.endpoint in ("auth.account", "auth.logout", "static")
            or (request.endpoint or "").startswith("api.")
            or not current_user.is_authenticated
            or not current_user.must_change_password
        ):
            return None
        return redirect(url_for("auth.account"))  # the account page says why

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if current_user.is_authenticated or "Authorization" in request.headers:
            # Signed-in answers carry member data or what only this user may see: no browser or proxy keeps them,
            # so neither a shared computer's Back button after sign-out nor a cache shows them again.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        if app.config["REPORTING_ENV"] == "production":
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    audit.set_origin(_audit_origin)


def _template_context(app) -> None:
    """What every template may ask: the menu, the banners' questions, the service date, the viewer."""
    from reporting.web import page_cache

    @app.context_processor
    def _globals():
        from measures import SPEC_VERSION
        from reporting.freshness import UPDATING_NOTE

        return {
            "UPDATING_NOTE": UPDATING_NOTE,
            "nav_items": lambda: _nav_items(app),
            "admin_extra_nav": lambda: _admin_extra(app),
            "spec_version": SPEC_VERSION,
            "viewer_label": page_cache.viewer_label,
            "statewide_hidden_note": _statewide_hidden_note,
            "open_inquiries": _open_inquiries,
            "previews_in_window": _previews_in_window,
            "preview_notices": _preview_notices,
            "service_date": clock.fixed,
            "can": _can,
            **access.BY_NAME,
            "shown_programme": lambda: g.get("programme"),
            "brand": _brand,
            "programme_choices": _programme_choices,
        }


def _blueprints(app) -> None:
    """Every blueprint; the API's answer to tokens, not forms (no CSRF); every view declares its access."""
    from reporting.web import admin, api, auth, dashboards, fhir_api, guards, inquiries, public, rules, submissions

    for module in (auth, admin, submissions, dashboards, api, fhir_api, public, rules, inquiries):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    csrf.exempt(fhir_api.bp)
    guards.check_every_view_declares_access(app)


# The main menu; each entry is shown to the roles its view's @allow admits (the access policy decides).
NAV = [
    ("dashboards.overview", "Overview"),
    ("dashboards.measures_catalog", "Measures"),
    ("dashboards.withhold", "Quality withhold"),
    ("dashboards.reports", "Reports"),
    ("inquiries.index", "Inquiries"),
    ("rules.index", "Rules"),
    ("submissions.index", "Submissions"),
    ("submissions.dictionary", "Data dictionary"),
    ("admin.index", "Administration"),
]
ADMIN_EXTRA = [("admin.schedules", "Schedules and runs"), ("admin.deliveries", "Deliveries")]


def _can(permission: str) -> bool:
    """``can(SUBMIT)`` in a template: whether the signed-in user holds the permission (a name that is none fails
    loudly, so a misspelt one cannot hide a button from everyone)."""
    if permission not in access.PERMISSION_NAMES:
        raise ValueError(f"can() takes a named permission of reporting.access, not {permission!r}.")
    return current_user.is_authenticated and access.can(current_user, permission)


def _open_inquiries() -> int:
    from reporting.review.inquiries import open_count
    from reporting.storage import db

    # the programme the page shows (the Inquiries page it links to shows that one's), else every one the viewer sees
    return open_count(db.session, current_user, g.get("programme")) if current_user.is_authenticated else 0


def _brand() -> str:
    """The site's name in the header and the browser title: the programme the page shows, else the initiative's."""
    shown = g.get("programme")
    return f"{shown.name if shown is not None else 'Financial Alignment Initiative'} Quality Reporting"


def _programme_choices() -> list:
    """The programmes the viewer may choose between on a page that shows one (none for the public)."""
    from reporting import access

    return access.programmes_for(current_user) if current_user.is_authenticated else []


def _previews_in_window() -> list:
    """Editions in preview, for the banner that says a period's figures are not published yet: those of the viewer's
    programmes, and for an ICO user those of periods its ICO took part in (``access.preview_concerns``)."""
    from reporting.publication import editions
    from reporting.storage import db

    if not current_user.is_authenticated:
        return []
    return [e for e in editions.in_preview(db.session) if access.preview_concerns(current_user, e)]


def _preview_notices() -> list[tuple[str, list]]:
    """The preview notice, one line a programme: on a page that shows a programme its own previews only (not another
    programme's), elsewhere each programme's; the periods of a line quarters first, newest first ("2015Q4 and 2015")."""
    shown = g.get("programme")
    lines: dict[str, list] = {}
    for e in _previews_in_window():
        if shown is None or e.programme_id == shown.id:
            lines.setdefault(e.programme_id, []).append(e)
    return [(pid, sorted(es, key=_newest_first, reverse=True)) for pid, es in lines.items()]


def _newest_first(edition) -> tuple:
    """A period's place in the notice, read in reverse: the later year first, in a year its quarter before itself."""
    return edition.period_code[:4], "Q" in edition.period_code, edition.period_code


def _audit_origin():
    """Who is calling and from where, for the audit trail: the signed-in user (or the API token's) and the
    client address as the configured proxies report it (TRUSTED_PROXIES, ProxyFix; a header a client sends
    itself is never believed)."""
    from flask import has_request_context

    if not has_request_context():
        return None
    user = current_user if current_user and current_user.is_authenticated else None
    return user, request.remote_addr or ""


def _statewide_hidden_note(shown_periods=None) -> str:
    """The note that statewide figures are hidden from the viewer: for the periods the page shows
    (``shown_periods``; None: a page of every period, a trend), naming only those hidden."""
    from reporting.access import STATEWIDE_HIDDEN_NOTE
    from reporting.publication.figures import statewide_hidden_periods
    from reporting.storage import db

    if not current_user.is_authenticated:
        return ""
    from flask import g

    from reporting import programmes
    from reporting.publication.figures import live

    shown = g.get("programme") or programmes.default()  # the page's programme: another's quarters are not its own
    hidden = statewide_hidden_periods(db.session, current_user.role, live(db.session, shown.id))
    hidden = [p for p in hidden if shown_periods is None or p in shown_periods]
    return STATEWIDE_HIDDEN_NOTE.format(periods=", ".join(sorted(hidden))) if hidden else ""


def _nav_items(app):
    """(endpoint, label, roles that may open it) for the menu."""
    from reporting.access import allowed_roles
    from reporting.storage.models import ROLES

    return [
        (endpoint, label, allowed_roles(app.view_functions[endpoint].access) or set(ROLES))
        for endpoint, label in NAV
        if endpoint in app.view_functions
    ]


def _admin_extra(app):
    return [item for item in ADMIN_EXTRA if item[0] in app.view_functions]
