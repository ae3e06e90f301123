"""A per-process cache of rendered dashboard pages, shared by every viewer with the same access.

What a dashboard page shows depends only on what its viewer may see (role, ICO, state), its URL and
the *data version* (``storage/changes.py``: one row per committed transaction that wrote anything, from
the session events, so no writer can forget it). So a page is kept under that key and is never older
than the data behind it. The two parts of a page that belong to one
session, the viewer's name in the header and the CSRF token of the sign-out form, are stored as
markers and filled in for each request; a request with a pending flash message is not cached."""

from __future__ import annotations

from collections import OrderedDict
from functools import wraps
from threading import Lock

from flask import Response, current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from reporting.storage import changes, db

MAX_PAGES = 512
VIEWER = "\x00viewer\x00"
TOKEN = "\x00csrf\x00"
_lock = Lock()


def _pages() -> OrderedDict:
    return current_app.extensions.setdefault("page_cache", OrderedDict())


def data_version() -> int:
    return changes.data_version(db.session)


def viewer_label() -> Markup:
    """The header's "who is signed in" text (a marker while a page is rendered for the cache)."""
    if g.get("rendering_for_cache"):
        return Markup(VIEWER)
    u = current_user
    parts = [u.email, u.role.replace("_", " ")] + [p for p in (u.ico_code, u.state) if p]
    return escape(" · ".join(parts))


def _personal(page: str) -> str:
    return page.replace(VIEWER, str(viewer_label())).replace(TOKEN, generate_csrf())


def cached_page(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "GET" or not current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        u = current_user
        # the programme a reviewer chose is kept in their session and decides a page without ?programme=
        key = (u.role, u.organization_id, u.state, session.get("programme"), request.full_path, data_version())
        pages = _pages()
        with _lock:
            hit = pages.get(key)
            if hit is not None:
                pages.move_to_end(key)
        if hit is not None:
            return Response(_personal(hit), mimetype="text/html")
        g.rendering_for_cache = True
        try:
            response = view(*args, **kwargs)
        finally:
            g.rendering_for_cache = False
        if not isinstance(response, str):  # not a plain page (a redirect, a status): not cached
            response = make_response(response)
            if response.mimetype == "text/html" and not response.is_streamed:
                response.set_data(_personal(response.get_data(as_text=True)))
            return response
        token = generate_csrf()
        shared = response.replace(token, TOKEN)
        with _lock:
            pages[key] = shared
            while len(pages) > MAX_PAGES:
                pages.popitem(last=False)
        return _personal(shared)

    return wrapper
