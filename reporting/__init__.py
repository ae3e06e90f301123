"""The Financial Alignment Initiative quality measure reporting service (One Care, MI Health Link): ``create_app``
is the only entry point."""

from __future__ import annotations

import logging
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from flask import Flask

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and, in a git checkout, the commit."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def create_app(test_config: dict | None = None) -> Flask:
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__, instance_path=instance, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static")
    )
    os.makedirs(app.instance_path, exist_ok=True)

    from reporting.config import load_config

    load_config(app, test_config)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["LOG_LEVEL"] != "DEBUG":
        # Third-party progress chatter (WeasyPrint's steps, font subsetting, migrations, every scheduler tick)
        # buries what matters; their warnings and errors still show.
        for noisy in ("weasyprint", "fontTools", "matplotlib", "alembic", "apscheduler", "PIL", "werkzeug"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    app.config["CODE_VERSION"] = code_version()

    from reporting import programmes

    programmes.init_app(app)

    from reporting import publication
    from reporting.rendering import charts
    from reporting.storage import db
    from reporting.web import init_app as init_web

    charts.configure_cache(os.path.join(app.instance_path, "chart-cache"))
    from reporting.engine import inputs

    inputs.configure_cache(os.path.join(app.instance_path, "row-cache"))
    db.init_app(app)
    publication.init_app(app)
    init_web(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind TRUSTED_PROXIES reverse proxies (the README's TLS proxy: 1), believe exactly that many
        # X-Forwarded-For / -Proto entries: the audit trail and the per-address sign-in limit see the client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_prefix=0)

    from reporting import cli

    cli.init_app(app)
    return app
