"""What goes into each report: the ICO quarterly scorecard, the statewide report (exact, for
reviewers), the public report (the same with cell suppression) and the annual quality withhold
report. Each builder returns the template context; rendering turns it into HTML and PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select

from measures import DOMAIN_TITLES, DOMAINS, REGISTRY, SPEC_VERSION, Period
from reporting.access import CMS_REVIEWER, ICO_SUBMITTER, STATEWIDE_HIDDEN_NOTE, ico_by_code, statewide_hidden_from
from reporting.engine import STATEWIDE
from reporting.errors import NotFound
from reporting.participation import departed
from reporting.publication import figures, strata
from reporting.publication.benchmarks import MET, MET_GAP, NA, NOT_MET, TIERS
from reporting.publication.released import public_hidden
from reporting.publication.suppression import SUPPRESSED, suppress
from reporting.rendering.filters import programme_name
from reporting.storage.models import DEFAULT_PROGRAMME, Organization, Result, ResultRun

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"


class ReportKind(StrEnum):
    """The reports an edition has. The values are what the artifacts table, URLs and the CLI carry; what each
    kind is (template, title, audience, recipients...) is its entry in ``REPORT_KINDS``."""

    SCORECARD = "scorecard"  # one ICO, a quarter
    STATEWIDE = "statewide"  # every ICO, exact values, reviewers
    PUBLIC = "public"  # every ICO, cell suppression applied
    WITHHOLD = "withhold"  # one ICO, a calendar year

    @property
    def per_ico(self) -> bool:
        return REPORT_KINDS[self].per_ico

    @property
    def entry(self) -> KindSpec:
        """The kind's entry in the registry."""
        return REPORT_KINDS[self]


@dataclass(frozen=True)
class ReportSpec:
    """One report: its kind, period, ICO (per-ICO kinds) and the programme whose report it is."""

    kind: ReportKind
    period: str
    ico: str | None = None
    programme: str = DEFAULT_PROGRAMME

    def __post_init__(self):
        object.__setattr__(self, "kind", ReportKind(self.kind))  # a plain string from the database or the CLI

    @property
    def audience(self) -> str:
        return REPORT_KINDS[self.kind].audience

    @property
    def filename(self) -> str:
        """``one-care-scorecard-HA-2015Q3.pdf``: One Care's reports keep the name they always had, another
        programme's start with its id (``ny-fida-idd-statewide-2024Q1.pdf``)."""
        who = f"-{self.ico}" if self.ico else ""
        prefix = "one-care" if self.programme == DEFAULT_PROGRAMME else self.programme
        return f"{prefix}-{self.kind}{who}-{self.period}.pdf"

    def filename_of(self, preview: bool) -> str:
        """The file name of the report, or of its preview (``...-preview.pdf``)."""
        return self.filename.removesuffix(".pdf") + "-preview.pdf" if preview else self.filename


def _run(basis, period: str) -> ResultRun:
    run = basis.run(period)
    if run is None and basis.published:
        raise NotFound(f"{period} has not been published: a report as published needs a published edition.")
    if run is None:
        raise NotFound(
            f"There are no results for {period}: compute them first (flask --app wsgi compute --period {period})."
        )
    return run


def _org(session, code: str) -> Organization:
    org = ico_by_code(session, code)
    if org is None:
        raise NotFound(f"There is no ICO with the code {code}.")
    return org


def _measures(programme_id: str) -> dict:
    """The programme's measure set, in the specification's order (a report shows its programme's measures)."""
    from reporting import programmes

    return programmes.get(programme_id).measure_set


def _results(session, run_id: int) -> dict:
    return {(r.measure_id, r.ico): r for r in session.scalars(select(Result).where(Result.run_id == run_id))}


def _trends_up_to(session, pub, codes, period: Period, basis, role: str = ""):
    trends = figures.trends(session, pub, codes, list(_measures(basis.programme_id)), role, basis)
    for t in trends:
        keep = [i for i, p in enumerate(t.periods) if Period.parse(p).end <= period.end][-8:]
        t.periods = [t.periods[i] for i in keep]
        t.series = {c: [v[i] for i in keep] for c, v in t.series.items()}
        t.benchmarks = [t.benchmarks[i] for i in keep]
    return trends


def _change(now, before):
    """The change of the headline (``figures.headline_change``)."""
    pair = figures.headline_change(now, before)
    return None if pair is None else pair[1] - pair[0]


def common(run: ResultRun, edition=None, title: str = "", audience: str = "") -> dict:
    from reporting.publication import settings
    from reporting.publication.editions import rules_label

    return {
        "run": run,
        "edition": edition,
        "title": title,
        "spec_version": SPEC_VERSION,
        "audience": audience,
        # the programme's own domains: MI Health Link measures no community living
        "domain_titles": {
            d: t for d, t in DOMAIN_TITLES.items() if any(m.domain == d for m in _measures(run.programme_id).values())
        },
        "rules_label": rules_label(edition, Period.parse(run.period_code).year, settings(run.programme_id).versions),
    }


def scorecard(session, pub, code: str, period_code: str, basis, edition=None) -> dict:
    org = _org(session, code)
    period = Period.parse(period_code)
    run = _run(basis, period.code)
    if org.code not in (run.inputs or {}):
        raise NotFound(f"{org.name} has no results for {period.code}.")
    results = _results(session, run.id)
    if statewide_hidden_from(ICO_SUBMITTER, len(run.inputs or {})):  # the scorecard is the ICO's report
        results = {k: v for k, v in results.items() if k[1] != STATEWIDE}
    withheld = figures.withheld_from(session, ICO_SUBMITTER, basis)
    results = {k: v for k, v in results.items() if not (k[1] == STATEWIDE and (k[0], period.code) in withheld)}
    runs = basis.runs
    prev_code, year_code = _compared(run.programme_id, period)
    prev = _results(session, runs[prev_code].id) if prev_code in runs else {}
    year_ago = _results(session, runs[year_code].id) if year_code in runs else {}
    rows, summary = [], {}
    for domain in DOMAINS:
        counts = {MET: 0, NOT_MET: 0, NA: 0}
        own = [m for m in _measures(run.programme_id).values() if m.domain == domain]
        if not own:
            continue  # a domain the programme does not measure has no section
        for m in own:
            r = results.get((m.id, org.code))
            cell = figures.cell(pub, m.id, r, period.year)
            key = MET if cell.status in (MET, MET_GAP) else (NOT_MET if cell.status == NOT_MET else NA)
            counts[key] += 1
            rows.append(
                {
                    "m": m,
                    "cell": cell,
                    "statewide": results.get((m.id, STATEWIDE)),
                    "prev": prev.get((m.id, org.code)),
                    "year_ago": year_ago.get((m.id, org.code)),
                    "change_prev": _change(r, prev.get((m.id, org.code))),
                    "change_year": _change(r, year_ago.get((m.id, org.code))),
                }
            )
        summary[domain] = counts
    trends = _trends_up_to(session, pub, [org.code], period, basis, role=ICO_SUBMITTER)
    shown_periods = {p for t in trends for p in t.periods} | {period.code}
    hidden = [p for p in figures.statewide_hidden_periods(session, ICO_SUBMITTER, basis) if p in shown_periods]
    note = STATEWIDE_HIDDEN_NOTE.format(periods=", ".join(hidden)) if hidden else ""
    held = sorted(REGISTRY[m].title for m, p in withheld if p == period.code)
    if held:
        note += (" " if note else "") + (
            f"Statewide figures of {', '.join(held)} are not shown for {period.code}: with "
            f"your own figures they would reveal another ICO's."
        )
    return common(run, edition, f"{org.name}: quarterly scorecard, {period.code}", "ico") | {
        "case_mix_rules": pub.case_mix.get(period.year, False),
        "statewide_note": note,
        "org": org,
        "period": period,
        "rows": rows,
        "summary": summary,
        "trends": trends,
        "inputs": (run.inputs or {}).get(org.code, []),
        "names": {org.code: org.name},
        "prev_code": prev_code,
        "year_code": year_code,
        "equity": strata.report_equity(session, ICO_SUBMITTER, basis, period.code, [org.code]),
        **_strata_labels(run.programme_id),
    }


def _compared(programme_id: str, period: Period) -> tuple[str | None, str | None]:
    """The periods a scorecard compares with: the programme's own previous quarter and the same quarter a year
    before, each only when the programme ran then (None otherwise: MI Health Link's 2015Q3 has no 2014Q3)."""
    from reporting import programmes

    prog = programmes.get(programme_id)
    return tuple(p.code if prog.covers(p) else None for p in (period.previous(1), period.previous(4)))  # type: ignore[return-value]


def _strata_labels(programme_id: str) -> dict:
    """What the equity summary's macros name groups with (``templates/macros/equity.html``), as the programme does."""
    from reporting import programmes

    return {"stratum_label": strata.labeller(programmes.get(programme_id)), "stratifier_titles": strata.TITLES}


def _adjusted_shown(shown, result) -> bool:
    """Whether a survey result's case-mix adjusted value goes beside its raw one: an ICO's reported result whose
    value is shown (not suppressed), as the open data has it (statewide is unchanged by adjustment)."""
    return figures.adjusted_headline(result) is not None and shown is not None and shown.value not in (None, SUPPRESSED)


def statewide(session, pub, period_code: str, basis, public: bool = False, edition=None) -> dict:
    period = Period.parse(period_code)
    run = _run(basis, period.code)
    every = list(
        session.scalars(
            select(Organization).where(Organization.programme_id == run.programme_id).order_by(Organization.name)
        )
    )
    orgs = [o for o in every if o.code in (run.inputs or {})]
    codes = [o.code for o in orgs]
    results = _results(session, run.id)
    hidden = public_hidden(session, period.code, run.id, getattr(edition, "id", None)) if public else set()
    table = []
    for domain in DOMAINS:
        for m in (m for m in _measures(run.programme_id).values() if m.domain == domain):
            present = [results[(m.id, c)] for c in codes + [STATEWIDE] if (m.id, c) in results]
            shown = {p.ico: p for p in suppress(m.id, present, hidden)} if public else {r.ico: r for r in present}
            cells = {c: figures.cell(pub, m.id, results.get((m.id, c)), period.year) for c in codes + [STATEWIDE]}
            adjusted = {c: results[(m.id, c)] for c in codes if _adjusted_shown(shown.get(c), results.get((m.id, c)))}
            table.append({"m": m, "domain": domain, "shown": shown, "cells": cells, "adjusted": adjusted})
    trends = _trends_up_to(session, pub, codes, period, basis)
    withhold = figures.withhold_for_year(session, pub, [o.code for o in every], period.year, basis)
    name = programme_name(run.programme_id)
    title = f"{name} quality measures: {'public report' if public else 'statewide report'}, {period.code}"
    return common(run, edition, title, "public" if public else "reviewer") | {
        "period": period,
        "orgs": orgs,
        "codes": codes,
        "table": table,
        "any_adjusted": any(row["adjusted"] for row in table),
        "case_mix_rules": pub.case_mix.get(period.year, False),
        "trends": trends,
        "public": public,
        "withhold": withhold,
        "names": {o.code: o.name for o in every},
        "inputs": run.inputs or {},
        "departed": departed([o for o in every if o.code not in codes], period),
        "coverage": figures.withhold_coverage(every, period.year),
        # reviewers' report only: the public one would need the strata suppressed (the open data's rules)
        "equity": None if public else strata.report_equity(session, CMS_REVIEWER, basis, period.code, codes),
        **_strata_labels(run.programme_id),
    }


def withhold_report(session, pub, code: str, year: str, basis, edition=None) -> dict:
    org = _org(session, code)
    run = _run(basis, str(year))
    rows = figures.withhold_for_year(session, pub, [org.code], int(year), basis)
    if org.code not in rows:
        raise NotFound(f"{org.name} has no quality withhold result for {year}.")
    tiers = sorted(pub.tiers.get(int(year)) or TIERS)
    bands = [
        (
            f"{100 * lo:g} % or more"
            if hi is None
            else f"under {100 * hi:g} %"
            if lo == 0
            else f"{100 * lo:g} % to under {100 * hi:g} %",
            earned,
        )
        for (lo, earned), hi in zip(tiers, [t[0] for t in tiers[1:]] + [None])
    ]
    return common(run, edition, f"{org.name}: quality withhold, {year}", "ico") | {
        "org": org,
        "year": int(year),
        "w": rows[org.code],
        "inputs": (run.inputs or {}).get(org.code, []),
        "tiers": bands,
        "coverage": figures.withhold_coverage([org], int(year)).get(org.code),
    }


def context_for(session, pub, spec: ReportSpec, basis=None, edition=None) -> dict:
    """The report's context on ``basis``: an edition's reports read the editions in force when it was made
    (``figures.as_published``); without one, the newest computation (a reviewer's draft from the CLI)."""
    return REPORT_KINDS[spec.kind].build(session, pub, spec, basis or figures.live(session), edition)


# --- the registry of report kinds: a new kind is one entry here and one template -----------------------------

QUARTER, WITHHOLD_YEAR, ANY_PERIOD = "quarter", "withhold year", "any period"
ICO_RECIPIENTS, REVIEWERS, NOBODY = "ico", "reviewers", "nobody"


@dataclass(frozen=True)
class KindSpec:
    """What one kind of report is, in the style of a measure's ``MEASURE``."""

    kind: ReportKind
    template: str  # under templates/, one for screen and print
    title: str  # how e-mails and pages name it: "One Care <title>: CCA 2015Q3"
    audience: str  # who reads it: "ico", "reviewer" or "public" (the PDF says so)
    per_ico: bool  # one report per ICO in the edition, or one for all
    periods: str  # QUARTER, WITHHOLD_YEAR (a year the withhold configuration covers) or ANY_PERIOD
    recipients: str  # ICO_RECIPIENTS (its report recipients; a preview its submitters too), REVIEWERS
    # (CMS, and state reviewers of the ICOs' states) or NOBODY (the public page has it)
    in_preview: bool  # a preview edition has it too
    build: Callable[..., dict]  # (session, pub, spec, basis, edition) -> the template's context

    def made_for(self, period: Period, withhold_years) -> bool:
        if self.periods == QUARTER:
            return period.is_quarter
        if self.periods == WITHHOLD_YEAR:
            return not period.is_quarter and period.year in withhold_years
        return True


def check_registry(entries: list[KindSpec], template_dir: Path = TEMPLATE_DIR) -> dict[ReportKind, KindSpec]:
    """The registry by kind; loud (at import) on a kind without an entry, two entries for one kind, or an entry
    whose template is missing."""
    problems, out = [], {}
    for e in entries:
        if e.kind in out:
            problems.append(f"report kind {e.kind} has two entries")
        out[e.kind] = e
        if not (template_dir / e.template).is_file():
            problems.append(f"report kind {e.kind}: its template {e.template} is missing from {template_dir}")
        if e.periods not in (QUARTER, WITHHOLD_YEAR, ANY_PERIOD) or e.recipients not in (
            ICO_RECIPIENTS,
            REVIEWERS,
            NOBODY,
        ):
            problems.append(f"report kind {e.kind}: periods {e.periods!r} or recipients {e.recipients!r} unknown")
    problems += [f"report kind {k} has no entry in REPORT_KINDS" for k in ReportKind if k not in out]
    if problems:
        raise RuntimeError("The registry of report kinds is wrong: " + "; ".join(problems))
    return out


REPORT_KINDS: dict[ReportKind, KindSpec] = check_registry(
    [
        KindSpec(
            ReportKind.SCORECARD,
            "reports/scorecard.html",
            "quarterly scorecard",
            "ico",
            per_ico=True,
            periods=QUARTER,
            recipients=ICO_RECIPIENTS,
            in_preview=True,
            build=lambda s, pub, spec, basis, ed: scorecard(s, pub, spec.ico, spec.period, basis, ed),
        ),
        KindSpec(
            ReportKind.WITHHOLD,
            "reports/withhold.html",
            "annual quality withhold report",
            "ico",
            per_ico=True,
            periods=WITHHOLD_YEAR,
            recipients=ICO_RECIPIENTS,
            in_preview=True,
            build=lambda s, pub, spec, basis, ed: withhold_report(s, pub, spec.ico, spec.period, basis, ed),
        ),
        KindSpec(
            ReportKind.STATEWIDE,
            "reports/statewide.html",
            "statewide report",
            "reviewer",
            per_ico=False,
            periods=ANY_PERIOD,
            recipients=REVIEWERS,
            in_preview=True,
            build=lambda s, pub, spec, basis, ed: statewide(s, pub, spec.period, basis, False, ed),
        ),
        KindSpec(
            ReportKind.PUBLIC,
            "reports/statewide.html",
            "public report",
            "public",
            per_ico=False,
            periods=ANY_PERIOD,
            recipients=NOBODY,
            in_preview=False,
            build=lambda s, pub, spec, basis, ed: (
                statewide(s, pub, spec.period, basis, True, ed) | public_groups(s, spec.period, basis, ed)
            ),
        ),
    ]
)


def public_groups(session, period_code: str, basis, edition=None) -> dict:
    """The public report's compact equity table: the groups flagged worse than the rest of their ICO (or of the
    state) among the published strata, with the public suppression (``strata_release.published_strata``: a
    suppressed group carries no flag, so none is listed)."""
    from types import SimpleNamespace

    from reporting import programmes
    from reporting.publication.strata import TITLES, labeller
    from reporting.publication.strata_release import published_strata

    run = _run(basis, period_code)
    # published_strata reads the run, the programme and the edition of a Published; the edition being rendered
    release = SimpleNamespace(
        run=run, programme=programmes.get(run.programme_id), edition=edition or SimpleNamespace(id=None)
    )
    frame = published_strata(session, release)
    if frame.empty:
        return {"public_groups": None}
    worse = frame[frame["flag"] == "worse"]
    order = {m: i for i, m in enumerate(_measures(run.programme_id))}
    rows = sorted(
        worse.to_dict("records"), key=lambda r: (r["ico"] == STATEWIDE, r["ico"], order.get(r["measure_id"], 99))
    )
    return {
        "public_groups": {
            "rows": rows,
            "suppressed": int(frame["suppressed"].astype(bool).sum()),
            "total": len(frame),
        },
        "stratum_label": labeller(programmes.get(run.programme_id)),
        "stratifier_titles": TITLES,
    }
