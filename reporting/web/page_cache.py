"""A per-process cache of rendered dashboard pages, shared by every viewer with the same access.

What a dashboard page shows depends only on what its viewer may see (role, ICO, state), its URL and
the *data version* (``storage/changes.py``: one row per committed transaction that wrote anything, from
the session events, so no writer can forget it). So a page is kept under that key and is never older
than the data behind it. The two parts of a page that belong to one
session, the viewer's name in the header and the CSRF token of the sign-out form, are stored as
markers and filled in for each request; a request with a pending flash message is not cached.

Two tiers: each process keeps the pages it served in memory (``MAX_PAGES``), and every process of the
installation shares the pages rendered for the current data version as files (``<instance>/page-cache/<version>/``,
written atomically, readable by the service's own user only), so that gunicorn's workers render a page once
between them instead of once each (at national size a reviewer's ICO page costs half a second to render, and four
workers each rendering some 150 pages kept the cache cold for a minute). The version is the newest data change's
id *and* time, so a database restored to an earlier version never meets pages rendered from data written after it;
the directories of earlier versions are removed when a page of a newer one is written. The code's version and the
settings that shape a page are part of the folder's name (``_code``: pages rendered before a deploy or a settings
change are not served after it), and the service's date part of the key (a page names the deadlines ahead)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections import OrderedDict
from functools import wraps
from pathlib import Path
from threading import Lock

from flask import Response, current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from reporting import clock
from reporting.storage import db
from reporting.storage.models import DataChange
from reporting.web.params import programme_arg

# Bounds, in pages and in bytes, so that a signed-in user asking for endless ?x=1, ?x=2... (each a page of its own)
# can neither fill a worker's memory nor the disk: the process's pages (least recently served dropped first) and
# the files of one data version (none written past the bound: the page is then kept in the process only)
MAX_PAGES = 512
MAX_BYTES = 64 * 2**20
MAX_SHARED = 2048
MAX_SHARED_BYTES = 256 * 2**20
VIEWER = "\x00viewer\x00"
TOKEN = "\x00csrf\x00"
_lock = Lock()


class _Pages(OrderedDict):
    """A process's pages, least recently served first, with their size in characters."""

    size = 0


def _pages() -> _Pages:
    return current_app.extensions.setdefault("page_cache", _Pages())


def data_version() -> str:
    """The newest data change as ``<id>-<time>`` (``0`` before any)."""
    from sqlalchemy import select

    row = db.session.execute(select(DataChange.id, DataChange.at).order_by(DataChange.id.desc()).limit(1)).first()
    return f"{row.id}-{row.at:%Y%m%d%H%M%S%f}" if row else "0"


def _code() -> str:
    """The code and the settings that render the pages, as part of a folder's name: the shared files outlive the
    processes that wrote them, and after a deploy with no data written since, the new workers served the pages the
    old code had rendered until the data next changed. ``CODE_VERSION`` (the package and its commit) and a digest
    of what else a page depends on that a restart may change: the programme files read (names, measure sets,
    calendars...), ``PUBLISH_MODE``, ``DEFAULT_PROGRAMME`` and ``REPORTING_TODAY``."""
    app = current_app
    found = app.extensions.get("page_cache_code")
    if found is None:
        from reporting import programmes

        shaping = repr(
            (
                programmes.all(),
                app.config.get("PUBLISH_MODE"),
                app.config.get("DEFAULT_PROGRAMME"),
                app.config.get("REPORTING_TODAY"),
            )
        )
        code = re.sub(r"[^A-Za-z0-9.+_-]", "_", str(app.config.get("CODE_VERSION", "")))
        found = app.extensions["page_cache_code"] = f"{code}-{hashlib.sha256(shaping.encode()).hexdigest()[:12]}"
    return found


def _folder() -> Path:
    return Path(current_app.instance_path) / "page-cache"


def _file(version: str, key: tuple) -> Path:
    return _folder() / version / (hashlib.sha256(repr(key).encode()).hexdigest() + ".html")


def _read_shared(version: str, key: tuple) -> str | None:
    try:
        return _file(version, key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_shared(version: str, key: tuple, page: str) -> None:
    """Best effort: a page that cannot be shared (a full disk, a folder removed by a newer version) is only kept
    in this process."""
    target = _file(version, key)
    try:
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            for old in _folder().iterdir():  # earlier versions' pages can never be asked for again
                if old.name != version:
                    shutil.rmtree(old, ignore_errors=True)
        else:
            files = [e.stat().st_size for e in os.scandir(target.parent)]
            if len(files) >= MAX_SHARED or sum(files) + len(page) > MAX_SHARED_BYTES:
                return
        fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page)
        os.replace(temporary, target)
    except OSError:
        current_app.logger.warning("page cache: a page could not be shared with the other workers")


def viewer_label() -> Markup:
    """The header's "who is signed in" text (a marker while a page is rendered for the cache)."""
    if g.get("rendering_for_cache"):
        return Markup(VIEWER)
    u = current_user
    parts = [u.email, u.role.replace("_", " ")] + [p for p in (u.ico_code, u.state) if p]
    return escape(" · ".join(parts))


def _personal(page: str) -> str:
    return page.replace(VIEWER, str(viewer_label())).replace(TOKEN, generate_csrf())


def cached_page(view=None, *, fixed_programme: bool = False):
    """Cache a dashboard view's page (``fixed_programme``: the page shows its subject's programme, whatever the
    viewer chose)."""
    if view is None:
        return lambda v: cached_page(v, fixed_programme=fixed_programme)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "GET" or not current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        u = current_user
        # the programme a page shows is its ?programme=, else the one the reviewer chose before (kept in their
        # session); a page whose programme is its subject's (an ICO's) depends on neither. It is resolved here as
        # the view resolves it, so that a choice made on a page served from the cache is kept in the session too
        # (the view, which records it, does not run then: the reviewer's next pages showed the programme before)
        chosen = None
        if not fixed_programme:
            shown = programme_arg(u)
            chosen = shown.id if shown is not None else None
        version = f"{data_version()}-{_code()}"  # the data and the code that renders them
        key = (u.role, u.organization_id, u.state, chosen, request.full_path, clock.today().isoformat(), version)
        pages = _pages()
        with _lock:
            hit = pages.get(key)
            if hit is not None:
                pages.move_to_end(key)
        if hit is None and (hit := _read_shared(version, key)) is not None:
            _keep(pages, key, hit)
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
        _keep(pages, key, shared)
        _write_shared(version, key, shared)
        return _personal(shared)

    return wrapper


def _keep(pages: _Pages, key: tuple, page: str) -> None:
    with _lock:
        if key in pages:
            pages.size -= len(pages[key])
        pages[key] = page
        pages.move_to_end(key)
        pages.size += len(page)
        while len(pages) > 1 and (len(pages) > MAX_PAGES or pages.size > MAX_BYTES):
            pages.size -= len(pages.popitem(last=False)[1])
