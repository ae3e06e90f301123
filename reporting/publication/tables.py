"""Results as tables: in the specification's measure order (ICOs by code, statewide last), the unrounded
records of the CLI, and the export tables (CSV and XLSX) of the pages, each with its preamble."""

from __future__ import annotations

from measures import REGISTRY, Period
from reporting.engine import STATEWIDE
from reporting.publication.figures import Cell, Overview, Provenance, Trend, cell
from reporting.publication.suppression import suppress
from reporting.rendering.filters import rounded_value

_ORDER = {m: i for i, m in enumerate(REGISTRY)}


def ordered_results(results):
    return sorted(results, key=lambda r: (_ORDER.get(r.measure_id, 99), r.ico == STATEWIDE, r.ico))


# The results as computed, unrounded: the columns of the specification's worked example (``results`` in the CLI).
RESULT_FIELDS = [
    "measure_id",
    "ico",
    "period",
    "numerator",
    "denominator",
    "value",
    "status",
    "ci_low",
    "ci_high",
    "elements",
    "adjusted_value",
    "vs_statewide",
]


def result_records(results) -> list[dict]:
    """Each result as a record of ``RESULT_FIELDS``, in reading order."""
    return [{f: getattr(r, f) for f in RESULT_FIELDS} for r in ordered_results(results)]


# --- export tables ----------------------------------------------------------------------------

RESULT_COLUMNS = [
    "measure_id",
    "measure",
    "domain",
    "unit",
    "ico",
    "period",
    "numerator",
    "denominator",
    "value",
    "value_rounded",
    "status",
    "ci_low",
    "ci_high",
    "benchmark",
    "benchmark_status",
    "elements",
    "value_computed_na",
    "adjusted_value",
    "vs_statewide",
]


def _result_row(m, code, period, cell: Cell, published=None, compared: bool = True):
    """One export row. An NA result shows no value (nor interval): the value computed below the minimum
    denominator is kept, for reviewers, in ``value_computed_na``. A survey result's adjusted value goes with a
    shown value only (not a suppressed one), its ``vs_statewide`` only where the export has the statewide figure
    it compares with (``compared``: an ICO user may not see it, access.statewide_hidden_in)."""
    r = cell.result
    if r is None:
        return [m.id, m.title, m.domain, m.unit, code, period] + [None] * 13
    src = published or r
    na = r.status != "reported"
    value = None if na else src.value
    rounded = rounded_value(m, value) if isinstance(value, (int, float)) else value  # as pages and PDFs show it
    shown = value if isinstance(value, (int, float)) else None  # not NA, not suppressed
    return [
        m.id,
        m.title,
        m.domain,
        m.unit,
        code,
        period,
        src.numerator,
        src.denominator,
        value,
        rounded,
        r.status,
        None if na else src.ci_low,
        None if na else src.ci_high,
        cell.benchmark,
        cell.status,
        src.elements,
        r.value if na and published is None else None,
        None if shown is None else r.adjusted_value,
        None if shown is None or not compared else r.vs_statewide,
    ]  # survey measures, case-mix


def export_preamble(
    kind: str, period: str, prov: Provenance | None, audience: str, programme=None
) -> list[tuple[str, str]]:
    """The provenance lines above an export's rows, naming the programme (a ``Programme``) its figures are of."""
    of = programme.name if programme is not None else "Financial Alignment Initiative"
    rows = [("Export", f"{of} quality measures: {kind}"), ("Period", period)]
    if prov:
        rows += [
            ("Computed", f"{prov.computed_at:%Y-%m-%d %H:%M} UTC (run {prov.run_id})"),
            ("Data versions", prov.describe()),
            ("Specification", f"measures v{prov.spec_version}"),
            *([("Status", "new data accepted, results updating")] if prov.updating else []),
            *(
                [("Publication", "unpublished: the newest computation, not a published edition")]
                if prov.unpublished
                else []
            ),
            ("Service", prov.code_version),
        ]
    rows.append(("Audience", audience))
    return rows


def overview_table(ov: Overview, public: bool = False, hidden: set | None = None, programme=None):
    """``public``: with the counts ``hidden`` suppressed (``publication.released.public_hidden``); ``programme``: the
    one named in the preamble."""
    rows = []
    for _, measures in ov.domains:
        for m, cells in measures:
            published = {}
            if public:
                present = [c.result for c in cells.values() if c.result is not None]
                published = {p.ico: p for p in suppress(m.id, present, hidden)}
            compared = STATEWIDE in cells and cells[STATEWIDE].result is not None
            for code, _ in ov.columns:
                rows.append(_result_row(m, code, ov.period, cells[code], published.get(code), compared))
    audience = (
        "Public: counts from 1 to 10 are suppressed (CMS cell-size policy)"
        if public
        else "Reviewers and ICOs: exact values, not for publication"
    )
    return RESULT_COLUMNS, rows, export_preamble("Overview", ov.period, ov.provenance, audience, programme)


def trend_table(trends_: list[Trend], codes: list[str], pub):
    """Every quarter of ``trends_`` for ``codes``, each judged as its page judges it (``figures.cell``: its own
    year's benchmark, on the case-mix adjusted value where that year's rules say so)."""
    rows = []
    for t in trends_:
        statewide = t.series.get(STATEWIDE, [None] * len(t.periods)) if STATEWIDE in codes else [None] * len(t.periods)
        for code in codes:
            for period, r, sw in zip(t.periods, t.series.get(code, []), statewide):
                if r is not None:
                    judged = cell(pub, t.measure.id, r, Period.parse(period).year)
                    rows.append(_result_row(t.measure, code, period, judged, compared=sw is not None))
    return RESULT_COLUMNS, rows


def withhold_table(rows: dict, year: int):
    columns = [
        "ico",
        "year",
        "measure_id",
        "value",
        "benchmark",
        "status",
        "counts",
        "measures_eligible",
        "measures_met",
        "share_met",
        "withhold_earned_back_percent",
    ]
    out = []
    for code, w in rows.items():
        for r in w.rows:
            out.append(
                [
                    code,
                    year,
                    r.measure_id,
                    r.value,
                    r.benchmark,
                    r.status,
                    r.counts,
                    w.eligible,
                    w.met,
                    w.share,
                    w.earned_back,
                ]
            )
    return columns, out
