"""Publication: what people are shown (``figures``, the read model, live or as published), export tables,
benchmarks and the quality withhold, suppression, editions and the calendar of cycles, what each report holds
(``reports``), who receives it (``audience``) and its rendering (``render``).

The benchmarks and withhold rules come from the rule sets in force (``reporting.rules``); ``settings()``
returns them, read again whenever a rule set is adopted."""

from __future__ import annotations

from reporting.errors import ConfigError


def init_app(app) -> None:
    """The configuration files only seed version 1 of a year (``init-db``); they are checked at start-up."""
    from reporting.publication.benchmarks import ConfigFileError, load_benchmarks, load_withhold

    try:
        load_benchmarks(app.config["BENCHMARKS_FILE"])
        load_withhold(app.config["WITHHOLD_FILE"])
    except (OSError, ConfigFileError) as e:
        raise ConfigError(f"Benchmark or withhold configuration: {e}") from None
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
