"""Every view declares who may reach it; the factory refuses to start if one does not.

``@allow("public")`` anyone; ``@allow("signed_in")`` any active user; otherwise a list of roles.
Reviewers = cms_reviewer and state_reviewer. Admins pass every role check."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

GROUPS = {
    "reviewer": {"cms_reviewer", "state_reviewer"},
    "ico": {"ico_submitter"},
    "admin": set(),
}


def allowed_roles(who: tuple[str, ...]) -> set[str] | None:
    """None means anyone signed in (or anyone at all, for public)."""
    if "public" in who or "signed_in" in who:
        return None
    roles = {"admin"}
    for w in who:
        roles |= GROUPS.get(w, {w})
    return roles


def allow(*who: str):
    def decorate(view):
        roles = allowed_roles(who)

        @wraps(view)
        def wrapper(*args, **kwargs):
            if "public" not in who:
                if not current_user.is_authenticated:
                    if request.blueprint == "api":
                        abort(401)
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                if roles is not None and current_user.role not in roles:
                    abort(403)
            return view(*args, **kwargs)

        wrapper.access = who
        return wrapper
    return decorate


def check_every_view_declares_access(app) -> None:
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "access")]
    if missing:
        raise RuntimeError("These views declare no access rule (@allow): " + ", ".join(sorted(missing)))
