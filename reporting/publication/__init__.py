"""Publication: tables of results for people, benchmarks, the quality withhold, suppression, editions."""
from __future__ import annotations

from dataclasses import dataclass

from reporting.errors import ConfigError


@dataclass(frozen=True)
class PublicationSettings:
    benchmarks: dict          # (measure id, year) -> Benchmark
    withhold: dict            # year -> {measure id: gap closure}


def init_app(app) -> None:
    from reporting.publication.benchmarks import ConfigFileError, load_benchmarks, load_withhold
    try:
        app.extensions["publication"] = PublicationSettings(load_benchmarks(app.config["BENCHMARKS_FILE"]),
                                                            load_withhold(app.config["WITHHOLD_FILE"]))
    except (OSError, ConfigFileError) as e:
        raise ConfigError(f"Benchmark or withhold configuration: {e}") from None


def settings() -> PublicationSettings:
    from flask import current_app
    return current_app.extensions["publication"]
