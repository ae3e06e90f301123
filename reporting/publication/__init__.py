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


def settings(programme=None):
    """The rules in force of a programme (an id or ``Programme``; None: DEFAULT_PROGRAMME) as
    ``reporting.rules.store.Rules``, cached until a rule set is adopted."""
    from flask import current_app

    from reporting import programmes
    from reporting.rules.store import current_rules, state_key
    from reporting.storage import db

    pid = programmes.get(programme).id
    cache = current_app.extensions.setdefault("rules_cache", {})
    state = state_key(db.session)
    if cache.get("state") != state:
        cache.clear()
        cache["state"] = state
    if pid not in cache:
        cache[pid] = current_rules(db.session, pid)
    return cache[pid]
