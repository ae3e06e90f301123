"""Programmes as data: each state demonstration of the Financial Alignment Initiative is one TOML file,
``config/programmes/<id>.toml`` (shipped) or ``<instance>/programmes/<id>.toml`` (an installation's own).

A ``Programme`` is a frozen value: its eligibility, first (and last) period, measure set (ids of the one
measure library in ``measures/``: a programme never defines code), submission due rule, disclosure threshold
and the files that seed version 1 of its rule sets. The files are read and checked once, in ``create_app``
(``init_app``); any problem stops the start with one message naming the file and the key. Pure code (the
engine, the measures) receives a ``Programme`` or its parts as arguments; only the edges look one up."""

from __future__ import annotations

import builtins
import calendar
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click

from measures import REGISTRY, Measure, Period
from reporting.errors import ConfigError, ReportingError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config" / "programmes"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_STATE = re.compile(r"^[A-Z]{2}$")
KEYS = {
    "id": "the programme's id, the file's name without .toml (lower-case letters, digits and '-', up to 40)",
    "name": "its name as people know it",
    "state": "the two-letter state",
    "first_period": "its first quarter, e.g. 2014Q1",
    "last_period": "(optional) its last quarter, for a programme that ended",
    "min_age": "the youngest age at enrollment it accepts",
    "max_age": "(optional) the oldest age at enrollment it accepts; none: no upper bound",
    "measures": "the ids of its measures, from measures/",
    "due_months_after": "a package is due on the last day of the Nth month after its quarter ends",
    "disclosure_threshold": "the smallest count published (11 for CMS)",
    "benchmarks": "the CSV seeding version 1 of its benchmarks (relative to the file's folder)",
    "withhold": "the CSV seeding version 1 of its withhold measures (relative to the file's folder)",
    "rating_categories": "(optional) what each rating category group (F1, C3, C2, C1) means in the programme, as "
    "its results by group name it; none: each is named neutrally, e.g. 'Rating category F1'",
}
_OPTIONAL = {"last_period", "max_age", "rating_categories"}
RATING_GROUPS = ("F1", "C3", "C2", "C1")  # the rating_category strata (reporting.engine.strata)


@dataclass(frozen=True)
class Programme:
    id: str
    name: str
    state: str
    first_period: Period
    last_period: Period | None
    min_age: int
    max_age: int | None
    measures: tuple[str, ...]
    due_months_after: int
    disclosure_threshold: int
    benchmarks_file: str
    withhold_file: str
    source: str
    rating_categories: tuple[tuple[str, str], ...] = ()  # (group, what it means in this programme)

    @property
    def measure_set(self) -> dict[str, Measure]:
        """The programme's measures from the registry, in the registry's (the specification's) order."""
        return {mid: m for mid, m in REGISTRY.items() if mid in self.measures}

    @property
    def ages(self) -> str:
        return f"{self.min_age} to {self.max_age}" if self.max_age is not None else f"{self.min_age} and over"

    @property
    def periods_label(self) -> str:
        return f"{self.first_period.code}-{self.last_period.code if self.last_period else ''}"

    def due_date(self, period: Period) -> date:
        """The last day of the ``due_months_after``-th month after the period ends."""
        index = period.end.year * 12 + period.end.month - 1 + self.due_months_after
        year, month = divmod(index, 12)
        return date(year, month + 1, calendar.monthrange(year, month + 1)[1])

    def covers(self, period: Period) -> bool:
        """Whether the period lies within the programme's first and last period."""
        return period.begin >= self.first_period.begin and (
            self.last_period is None or period.end <= self.last_period.end
        )

    def eligible(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)


# --- reading and checking the files --------------------------------------------------------------


def read(path: Path) -> Programme:
    """One programme file, checked; ``ConfigError`` naming the file and the key otherwise."""

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"Programme file {path}: {key} {why}")

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Programme file {path} is not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"Programme file {path} cannot be read: {e.strerror}") from None
    for key in KEYS:
        if key not in data and key not in _OPTIONAL:
            raise bad(key, f"is missing: {KEYS[key]}.")
    for key in data:
        if key not in KEYS:
            raise bad(key, f"is not a key of a programme file (keys: {', '.join(KEYS)}).")

    def text(key: str) -> str:
        v = data[key]
        if not isinstance(v, str) or not v.strip():
            raise bad(key, f"must be text ({KEYS[key]}), not {v!r}.")
        return v.strip()

    def whole(key: str, low: int) -> int:
        v = data[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise bad(key, f"must be a whole number of at least {low}, not {v!r}.")
        return v

    def quarter(key: str) -> Period:
        v = text(key)
        try:
            p = Period.parse(v)
        except ValueError:
            p = None
        if p is None or not p.is_quarter:
            raise bad(key, f"must be a quarter such as 2014Q1, not {v!r}.")
        return p

    pid = text("id")
    if not _ID.match(pid):
        raise bad("id", f"{pid!r} must be lower-case letters, digits and '-' (up to 40), e.g. ma-one-care.")
    if pid != path.stem:
        raise bad("id", f"is {pid!r} but the file is named {path.name}: name the file {pid}.toml.")
    state = text("state")
    if not _STATE.match(state):
        raise bad("state", f"must be two capital letters such as MA, not {state!r}.")
    first = quarter("first_period")
    last = quarter("last_period") if "last_period" in data else None
    if last is not None and last.begin < first.begin:
        raise bad("last_period", f"{last.code} is before first_period {first.code}.")
    min_age = whole("min_age", 0)
    max_age = whole("max_age", 0) if "max_age" in data else None
    if max_age is not None and max_age < min_age:
        raise bad("max_age", f"{max_age} is below min_age {min_age}.")
    ids = data["measures"]
    if not isinstance(ids, list) or not ids or not builtins.all(isinstance(m, str) for m in ids):
        raise bad("measures", 'must be a list of measure ids, e.g. ["assessment_90d", "fuh_7d"].')
    for m in ids:
        if m not in REGISTRY:
            raise bad("measures", f"names {m!r}, which is not a measure of measures/ (known: {', '.join(REGISTRY)}).")
    if len(set(ids)) != len(ids):
        raise bad("measures", f"names {sorted({m for m in ids if ids.count(m) > 1})[0]!r} twice.")
    categories = data.get("rating_categories", {})
    if not isinstance(categories, dict) or not builtins.all(
        g in RATING_GROUPS and isinstance(w, str) and w.strip() for g, w in categories.items()
    ):
        raise bad(
            "rating_categories",
            f"must be a table of rating category groups ({', '.join(RATING_GROUPS)}) and their words, e.g. "
            'F1 = "facility-based care".',
        )
    files = {}
    for key in ("benchmarks", "withhold"):
        file = (path.parent / text(key)).resolve()
        if not file.is_file():
            raise bad(key, f"names {file}, which does not exist (a path relative to {path.parent}).")
        files[key] = str(file)
    programme = Programme(
        id=pid,
        name=text("name"),
        state=state,
        first_period=first,
        last_period=last,
        min_age=min_age,
        max_age=max_age,
        measures=tuple(mid for mid in REGISTRY if mid in ids),
        due_months_after=whole("due_months_after", 0),
        disclosure_threshold=whole("disclosure_threshold", 1),
        benchmarks_file=files["benchmarks"],
        withhold_file=files["withhold"],
        source=str(path),
        rating_categories=tuple((g, categories[g].strip()) for g in RATING_GROUPS if g in categories),
    )
    _check_rules_files(programme)
    return programme


def _check_rules_files(p: Programme) -> None:
    """The seed files parse, and name only the programme's measures."""
    from reporting.publication.benchmarks import ConfigFileError, load_benchmarks, load_withhold

    for key, path, load in (
        ("benchmarks", p.benchmarks_file, load_benchmarks),
        ("withhold", p.withhold_file, load_withhold),
    ):
        try:
            rows = load(path)
        except (OSError, ConfigFileError) as e:
            raise ConfigError(f"Programme file {p.source}: {key} file {path}: {e}") from None
        named = {m for m, _ in rows} if key == "benchmarks" else {m for year in rows.values() for m in year}
        if stray := sorted(named - set(p.measures)):
            raise ConfigError(
                f"Programme file {p.source}: {key} file {path} names {stray[0]!r}, which is not in the programme's "
                f"measures: add it to measures or take it out of the file."
            )


def load(folders: list[Path]) -> dict[str, Programme]:
    """Every programme file of the folders (a missing folder holds none), by id; an id twice is refused."""
    found: dict[str, Programme] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            p = read(path)
            if p.id in found:
                raise ConfigError(
                    f"Programme file {path}: id {p.id!r} is already the programme of {found[p.id].source}; "
                    f"an id names one programme: rename one of them."
                )
            found[p.id] = p
    return found


# --- the installation's programmes ---------------------------------------------------------------

_programmes: dict[str, Programme] = {}
_default: str = "ma-one-care"


def init_app(app) -> None:
    """Read and check every programme file once; the configured default must be one of them."""
    global _programmes, _default
    found = load([SHIPPED, Path(app.instance_path) / "programmes"])
    wanted = app.config["DEFAULT_PROGRAMME"]
    if wanted not in found:
        raise ConfigError(
            f"DEFAULT_PROGRAMME is {wanted!r}, which no programme file defines (programmes: "
            f"{', '.join(found) or 'none'}; files in {SHIPPED} and {Path(app.instance_path) / 'programmes'})."
        )
    _programmes, _default = found, wanted
    app.extensions["programmes"] = found
    one = found[wanted]  # the settings these keys were (config.MOVED), for code not yet reading a programme
    app.config.update(
        PROGRAM_FIRST_PERIOD=one.first_period.code,
        DUE_DATE_MONTHS_AFTER=one.due_months_after,
        BENCHMARKS_FILE=one.benchmarks_file,
        WITHHOLD_FILE=one.withhold_file,
    )


def all() -> list[Programme]:
    """Every programme of the installation, by id."""
    return [_programmes[k] for k in sorted(_programmes)]


def get(programme: str | Programme | None = None) -> Programme:
    """A programme by id (a ``Programme`` passes through; None: the default); a clear error for an unknown id."""
    if isinstance(programme, Programme):
        return programme
    if programme is None:
        return default()
    key = str(programme).strip().lower()
    if key not in _programmes:
        raise ReportingError(
            f"There is no programme {programme!r}. Programmes: {', '.join(sorted(_programmes)) or 'none'}.", 404
        )
    return _programmes[key]


def default() -> Programme:
    """The installation's ``DEFAULT_PROGRAMME``: what a command or page without a programme means."""
    if _default not in _programmes:
        raise ReportingError("No programme is loaded: programmes are read in create_app.", 500)
    return _programmes[_default]


def ids() -> list[str]:
    return sorted(_programmes)


# --- the command line ----------------------------------------------------------------------------


class ProgrammeParam(click.ParamType):
    """``--programme ID``: the programme by id (``programmes.get``); without it, the installation's
    DEFAULT_PROGRAMME. The command receives a ``Programme``."""

    name = "programme"

    def convert(self, value, param, ctx):
        try:
            return get(value)
        except ReportingError as e:
            self.fail(e.message, param, ctx)


def _default_programme():
    return default().id


PROGRAMME_OPTION = click.option(
    "--programme",
    type=ProgrammeParam(),
    default=_default_programme,
    show_default="DEFAULT_PROGRAMME",
    help="the programme's id (flask programmes lists them)",
)
