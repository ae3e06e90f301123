"""Links to the service's own pages in e-mails and notices, built from the routes themselves (the app's URL
map) and ``BASE_URL``, outside any request: a moved route moves its links, none is spelled by hand."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, _external=True, **values)`` for the configured ``BASE_URL``, e.g.
    ``external_url("inquiries.thread", inquiry_id=3)`` -> ``https://reports.example.org/inquiries/3``."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)
