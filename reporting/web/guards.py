"""The guard of every view: each declares who may reach it, and the factory refuses to start if one does not.

``@allow(PUBLIC)`` anyone; ``@allow(SIGNED_IN)`` any active user; otherwise the named permissions of
``reporting.access`` (``@allow(EDIT_RULES)``; any one of several suffices), which its one role -> permission table
grants. What a view then shows (which ICOs, which reports) it asks ``reporting.access`` too."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from reporting.access import PUBLIC, allowed_roles


def allow(*who: str):
    def decorate(view):
        roles = allowed_roles(who)

        @wraps(view)
        def wrapper(*args, **kwargs):
            if PUBLIC not in who:
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
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "access")
    ]
    if missing:
        raise RuntimeError("These views declare no access rule (@allow): " + ", ".join(sorted(missing)))
