"""A small per-process cache of rendered dashboard pages.

A page is kept per viewer session, path and *data version*; the data version is the newest audit
event, and every change of what the pages show (an upload, a computation, a publication, a delivery,
a user or ICO change) writes one. So a cached page is never older than the data behind it."""
from __future__ import annotations

from collections import OrderedDict
from functools import wraps
from threading import Lock

from flask import Response, current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from reporting.storage import db
from reporting.storage.models import AuditEvent

MAX_PAGES = 256
_lock = Lock()


def _pages() -> OrderedDict:
    return current_app.extensions.setdefault("page_cache", OrderedDict())


def data_version() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def cached_page(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "GET" or not current_user.is_authenticated:
            return view(*args, **kwargs)
        generate_csrf()             # the page carries this session's CSRF token: make sure it exists first
        key = (session["csrf_token"], current_user.id, current_user.session_version, request.full_path,
               data_version())
        pages = _pages()
        with _lock:
            hit = pages.get(key)
            if hit is not None:
                pages.move_to_end(key)
        if hit is not None:
            return Response(hit, mimetype="text/html")
        response = view(*args, **kwargs)
        if isinstance(response, str):
            with _lock:
                pages[key] = response
                while len(pages) > MAX_PAGES:
                    pages.popitem(last=False)
        return response
    return wrapper
