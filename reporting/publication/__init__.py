"""Publication: what people are shown (``figures``, the read model, live or as published), export tables,
benchmarks and the quality withhold, suppression, editions and the calendar of cycles, what each report holds
(``reports``), who receives it (``audience``) and its rendering (``render``).

The benchmarks and withhold rules come from the rule sets in force (``reporting.rules``); ``settings()``
returns them, read again whenever a rule set is adopted."""

from __future__ import annotations


def init_app(app) -> None:
    """Each programme's benchmark and withhold files only seed version 1 of a year (``init-db``); they are
    checked at start-up with the programme files (``programmes.read``)."""
    app.extensions["rules_cache"] = {}


def settings():
    """The rules in force (``reporting.rules.store.Rules``), cached until a rule set is adopted."""
    from flask import current_app

    from reporting.rules.store import current_rules, state_key
    from reporting.storage import db

    cache = current_app.extensions.setdefault("rules_cache", {})
    key = state_key(db.session)
    if key not in cache:
        cache.clear()
        cache[key] = current_rules(db.session)
    return cache[key]
