"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``.

A configuration problem (a setting, a programme file) stops the start with its one message, naming the file and
the key, and no traceback: it is the operator's to fix, not a fault of the code."""

import sys

from reporting import create_app
from reporting.errors import ConfigError

try:
    app = create_app()
except ConfigError as e:
    print(f"Error: the service cannot start. {e}", file=sys.stderr)
    raise SystemExit(4) from None  # 4: gunicorn's "App failed to load", so it stops rather than restart workers
