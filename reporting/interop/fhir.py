"""HL7 FHIR R4 forms of the measures and their published results, built and validated with the
``fhir.resources`` R4B models (never hand-written JSON).

- ``Measure`` per programme and measure: canonical ``url`` ``{BASE_URL}/api/v1/fhir/Measure/{programme}-{id}`` (where
  it is served; the programme's id names whose measure it is), scoring, improvement notation, the populations it counts.
- ``MeasureReport`` (``summary``) per measure, ICO (or statewide) and period, from the period's published
  edition: population counts, the score (a percent as a proportion 0-1, a rate per 1,000 member-months,
  a survey score), and these extensions (documented in ``docs/fhir.md``):
  ``result-status`` (valueCode ``reported``/``NA``), ``confidence-interval`` (valueRange, 95 % Wilson),
  ``edition`` (sub-extensions ``number`` valueInteger and ``status`` valueCode); for the survey measures
  ``case-mix-adjusted-score`` (valueQuantity) and ``vs-statewide`` (valueCode ``higher``/``lower``/``no_difference``).
  Results by group as ``group.stratifier`` (one per stratifier, ``engine.strata.STRATIFIERS``): each stratum's
  ``denominator`` and ``numerator`` populations (``measure-population`` for survey scores), which add up to the
  group's, its ``measureScore``, and the extensions ``result-status``, ``confidence-interval`` and ``disparity``
  (valueCode ``better``/``worse``). The strata are what the caller passes (``publication.strata.seen_by`` for a
  signed-in viewer); a cell given as ``suppressed`` (the public strata) has no count or score but the standard
  ``data-absent-reason`` extension, valueCode ``masked``.
- ``MeasureReport`` (``subject-list``) for an ICO's own use: the members behind the gap, as a contained
  ``List`` of member identifiers. Never offered to anyone but the ICO (and admins).

A FHIR id allows no underscore: a measure's FHIR id is its programme's id and its id with ``-``
(``ma-one-care-fuh-7d``); a summary report's id is ``{period}.{ico}.{measure}`` (``2015Q2.HA.ma-one-care-fuh-7d``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measure import Measure
from fhir.resources.R4B.measurereport import MeasureReport
from fhir.resources.R4B.operationoutcome import OperationOutcome

from measures import REGISTRY, SPEC_VERSION
from reporting import programmes
from reporting.engine import STATEWIDE
from reporting.engine.strata import STRATIFIERS
from reporting.interop.published import Published
from reporting.publication.strata import TITLES, stratum_label
from reporting.publication.suppression import SUPPRESSED

POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
SCORING = "http://terminology.hl7.org/CodeSystem/measure-scoring"
IMPROVEMENT = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
UCUM = "http://unitsofmeasure.org"
SCORING_OF_UNIT = {"percent": "proportion", "per_1000": "ratio", "score": "continuous-variable"}
MEDIA_TYPE = "application/fhir+json"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def fhir_id(measure_id: str, programme=None) -> str:
    """A programme's measure as a FHIR id: ``ma-one-care-fuh-7d`` (None: the default programme)."""
    return f"{programmes.get(programme).id}-{measure_id.replace('_', '-')}"


def measure_id_of(fhir_measure_id: str) -> tuple[str, str] | None:
    """(programme id, measure id) of a Measure's FHIR id, if the programme has that measure; a bare measure id
    (``fuh-7d``, from before programmes) is the default programme's."""
    raw = (fhir_measure_id or "").strip()
    for pid in sorted(programmes.ids(), key=len, reverse=True):
        if raw.startswith(pid + "-"):
            candidate = raw[len(pid) + 1 :].replace("-", "_")
            return (pid, candidate) if candidate in programmes.get(pid).measures else None
    candidate = raw.replace("-", "_")
    default = programmes.default()
    return (default.id, candidate) if candidate in default.measures else None


def canonical(base: str, measure_id: str, programme=None) -> str:
    return f"{base.rstrip('/')}/api/v1/fhir/Measure/{fhir_id(measure_id, programme)}"


def _ext(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/fhir/StructureDefinition/{name}"


def identifier_system(base: str, what: str) -> str:
    return f"{base.rstrip('/')}/fhir/NamingSystem/{what}"


def _code(system: str, code: str, display: str | None = None) -> dict:
    return {"coding": [{"system": system, "code": code} | ({"display": display} if display else {})]}


def _populations(m) -> list[tuple[str, str]]:
    """(code, description) of the populations a measure counts."""
    if m.unit == "score":
        return [
            ("initial-population", "Completed survey responses in the period"),
            ("measure-population", "Responses that answered the items of this score"),
        ]
    pops = [("initial-population", f"Every {m.unit_kind} considered"), ("denominator", "The denominator")]
    if "excluded" in m.elements:
        pops.append(("denominator-exclusion", "Excluded from the denominator"))
    pops.append(("numerator", "The numerator"))
    return pops


def measure(m, base: str, programme=None) -> Measure:
    prog = programmes.get(programme)
    return Measure.model_validate(
        {
            "resourceType": "Measure",
            "id": fhir_id(m.id, prog),
            "url": canonical(base, m.id, prog),
            "identifier": [
                {"system": identifier_system(base, "measure-id"), "value": m.id},
                {"system": identifier_system(base, "programme-id"), "value": prog.id},
            ],
            "version": m.version,
            "name": "".join(p.title() for p in m.id.split("_")),
            "title": m.title,
            "status": "active",
            "experimental": False,
            "publisher": f"{prog.name} quality reporting",
            "jurisdiction": [_code("urn:iso:std:iso:3166:-2", f"US-{prog.state}")],
            "description": m.definition,
            "purpose": f"{m.reference}. Specification version {SPEC_VERSION}.",
            "scoring": _code(SCORING, SCORING_OF_UNIT[m.unit]),
            "improvementNotation": _code(IMPROVEMENT, "increase" if m.higher_is_better else "decrease"),
            "group": [
                {
                    "population": [
                        {
                            "code": _code(POPULATION, code),
                            "description": text,
                            "criteria": {
                                "language": "text/cql-identifier",
                                "expression": code.replace("-", " ").title().replace(" ", ""),
                            },
                        }
                        for code, text in _populations(m)
                    ]
                }
            ],
        }
    )


def _quantity(m, value: float | None) -> dict | None:
    if value is None:
        return None
    if m.unit == "percent":
        return {"value": round(value / 100.0, 10), "unit": "proportion", "system": UCUM, "code": "1"}
    if m.unit == "per_1000":
        return {"value": value, "unit": "per 1,000 member-months", "system": UCUM, "code": "/1000{member-months}"}
    return {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}


def _counts(m, r) -> list[tuple[str, int]]:
    if m.unit == "score":
        return [("initial-population", r.denominator), ("measure-population", r.denominator)]
    excluded = int((r.elements or {}).get("excluded") or 0)
    out = [("initial-population", r.denominator + excluded), ("denominator", r.denominator)]
    if "excluded" in m.elements:
        out.append(("denominator-exclusion", excluded))
    if r.numerator is not None:
        out.append(("numerator", r.numerator))
    return out


def _organization(pub: Published, ico: str, base: str, states: set[str]) -> dict:
    if ico == STATEWIDE:
        state = pub.programme.state
        return {
            "resourceType": "Organization",
            "id": "org",
            "name": f"Statewide ({pub.programme.name}, {state})",
            "identifier": [
                {"system": identifier_system(base, "ico-code"), "value": STATEWIDE},
                {"system": "https://www.usps.com/state", "value": state},
            ],
            "address": [{"state": state}],
        }
    org = next((o for o in pub.icos if o.code == ico), None)
    return {
        "resourceType": "Organization",
        "id": "org",
        "name": org.name if org else ico,
        "active": True,
        "identifier": [{"system": identifier_system(base, "ico-code"), "value": ico}],
        "address": [{"state": org.state}] if org else [],
    }


def report_id(period: str, ico: str, measure_id: str, programme=None) -> str:
    return f"{period}.{ico}.{fhir_id(measure_id, programme)}"


def parse_report_id(report: str) -> tuple[str, str, str, str] | None:
    """(period, ICO, measure id, programme id) of a summary report's id."""
    parts = (report or "").split(".")
    if len(parts) != 3 or (found := measure_id_of(parts[2])) is None:
        return None
    return parts[0].upper(), parts[1].upper(), found[1], found[0]


def _common(pub: Published, m, ico: str, base: str, states: set[str], kind: str) -> dict:
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": kind,
        "contained": [_organization(pub, ico, base, states)],
        "measure": f"{canonical(base, m.id, pub.programme)}|{m.version}",
        "date": (pub.edition.published_at or pub.run.finished_at or datetime.now(UTC)).replace(tzinfo=UTC).isoformat(),
        "reporter": {"reference": "#org"},
        "period": {"start": pub.period.begin.isoformat(), "end": pub.period.end.isoformat()},
        "improvementNotation": _code(IMPROVEMENT, "increase" if m.higher_is_better else "decrease"),
    }


def strata_by_report(frame) -> dict[tuple[str, str], list[dict]]:
    """The rows of a strata frame (``publication.strata.COLUMNS`` or the public ``EXPORT_COLUMNS``) by (measure,
    ICO), for ``summary``."""
    out: dict[tuple[str, str], list[dict]] = {}
    if frame is None or frame.empty:
        return out
    for row in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}  # NaN: none
        out.setdefault((row["measure_id"], row["ico"]), []).append(row)
    return out


def _masked() -> dict:
    return {"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}


def _stratum_population(code: str, count) -> dict:
    """One population of a stratum: its count, or none and ``data-absent-reason`` ``masked`` when suppressed."""
    if count == SUPPRESSED:
        return {"code": _code(POPULATION, code), "_count": _masked()}
    return {"code": _code(POPULATION, code), "count": int(count)}


def _stratum(m, row: dict, base: str, programme) -> dict:
    name, value = row["stratifier"], row["stratum"]
    if m.unit == "score":
        populations = [_stratum_population("measure-population", row["denominator"])]
    else:
        populations = [_stratum_population("denominator", row["denominator"])]
        if row["numerator"] is not None:
            populations.append(_stratum_population("numerator", row["numerator"]))
    reported = row["status"] == "reported"
    extensions = [{"url": _ext(base, "result-status"), "valueCode": "reported" if reported else "NA"}]
    out = {
        "value": {"coding": [{"system": identifier_system(base, f"stratum/{name}"), "code": value}]}
        | {"text": stratum_label(value, programme)},
        "population": populations,
    }
    if row["value"] == SUPPRESSED:
        out["measureScore"] = _masked()
    elif reported and (q := _quantity(m, row["value"])):
        out["measureScore"] = q
        if row["ci_low"] not in (None, SUPPRESSED) and row["ci_high"] not in (None, SUPPRESSED):
            extensions.append(
                {
                    "url": _ext(base, "confidence-interval"),
                    "valueRange": {"low": _quantity(m, row["ci_low"]), "high": _quantity(m, row["ci_high"])},
                }
            )
    if row.get("flag"):
        extensions.append({"url": _ext(base, "disparity"), "valueCode": row["flag"]})
    return {"extension": extensions} | out


def stratifiers(m, rows: list[dict], base: str, programme=None) -> list[dict]:
    """``group.stratifier`` of one measure and ICO: one per stratifier present in ``rows``, in
    ``STRATIFIERS`` order, each stratum in its order and named as ``programme`` names it."""
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["stratifier"], []).append(row)
    out = []
    for name, values in STRATIFIERS.items():
        if name not in by_name:
            continue
        order = {v: i for i, v in enumerate(values)}
        strata = sorted(by_name[name], key=lambda r: order.get(r["stratum"], len(order)))
        out.append(
            {
                "code": [
                    {"coding": [{"system": identifier_system(base, "stratifier"), "code": name}]}
                    | {"text": TITLES[name]}
                ],
                "stratum": [_stratum(m, r, base, programme) for r in strata],
            }
        )
    return out


def summary(
    pub: Published, measure_id: str, ico: str, base: str, states: set[str], strata: list[dict] | None = None
) -> MeasureReport | None:
    """The summary report of one measure and ICO; ``strata``: its rows of results by group (none: no stratifier)."""
    m, r = REGISTRY[measure_id], pub.results.get((measure_id, ico))
    if r is None:
        return None
    reported = r.status == "reported"
    group = {"population": [{"code": _code(POPULATION, code), "count": int(n)} for code, n in _counts(m, r)]}
    if reported and (q := _quantity(m, r.value)):
        group["measureScore"] = q
    if strata:
        group["stratifier"] = stratifiers(m, strata, base, pub.programme)
    extensions = [
        {"url": _ext(base, "result-status"), "valueCode": "reported" if reported else "NA"},
        {
            "url": _ext(base, "edition"),
            "extension": [
                {"url": "number", "valueInteger": pub.edition.number},
                {"url": "status", "valueCode": pub.edition.status},
            ],
        },
    ]
    if reported and r.ci_low is not None and r.ci_high is not None:
        extensions.append(
            {
                "url": _ext(base, "confidence-interval"),
                "valueRange": {"low": _quantity(m, r.ci_low), "high": _quantity(m, r.ci_high)},
            }
        )
    if reported and r.adjusted_value is not None:  # survey measures, case-mix adjusted (measures.md)
        extensions.append(
            {"url": _ext(base, "case-mix-adjusted-score"), "valueQuantity": _quantity(m, r.adjusted_value)}
        )
        if r.vs_statewide and (measure_id, STATEWIDE) in pub.results:  # only beside a statewide figure shown
            extensions.append({"url": _ext(base, "vs-statewide"), "valueCode": r.vs_statewide})
    return MeasureReport.model_validate(
        _common(pub, m, ico, base, states, "summary")
        | {"id": report_id(pub.period.code, ico, measure_id, pub.programme), "extension": extensions, "group": [group]}
    )


def subject_list(pub: Published, measure_id: str, ico: str, base: str, member_ids: list[str]) -> MeasureReport:
    """The members behind the gap of one measure, as a contained List of member identifiers."""
    m = REGISTRY[measure_id]
    code = "numerator" if not m.higher_is_better else "denominator"
    listed = {
        "resourceType": "List",
        "id": "gap",
        "status": "current",
        "mode": "snapshot",
        "title": f"{ico} {pub.period.code} {m.title}: members behind the gap",
        "entry": [
            {"item": {"identifier": {"system": identifier_system(base, f"member-id/{ico}"), "value": str(mid)}}}
            for mid in member_ids
        ],
    }
    report = _common(pub, m, ico, base, set(), "subject-list")
    report["contained"].append(listed)
    return MeasureReport.model_validate(
        report
        | {
            "id": report_id(pub.period.code, ico, measure_id, pub.programme) + ".gap",
            "group": [
                {
                    "population": [
                        {
                            "code": _code(POPULATION, code),
                            "count": len(member_ids),
                            "subjectResults": {"reference": "#gap"},
                        }
                    ]
                }
            ],
        }
    )


def bundle(resources, kind: str, base: str) -> Bundle:
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": kind,
            "timestamp": datetime.now(UTC).isoformat(),
            "total": len(resources) if kind == "searchset" else None,
            "entry": [
                {
                    "fullUrl": f"{base.rstrip('/')}/api/v1/fhir/{r.get_resource_type()}/{r.id}",
                    "resource": r,
                    **({"search": {"mode": "match"}} if kind == "searchset" else {}),
                }
                for r in resources
            ],
        }
    )


def outcome(message: str, code: str = "invalid") -> OperationOutcome:
    return OperationOutcome.model_validate(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": message}]}
    )


def measures(base: str, programme_list) -> list[Measure]:
    """The Measures of the programmes given, each programme's own set."""
    return [measure(m, base, p) for p in programme_list for m in p.measure_set.values()]


def summaries(
    pub: Published, base: str, icos: list[str], states: set[str], measure_ids=None, strata=None
) -> list[MeasureReport]:
    """The summary reports of ``icos`` (STATEWIDE included when given); ``strata``: a frame of results by group
    (``publication.strata``) whose rows become each report's stratifiers."""
    by_report = strata_by_report(strata)
    out = []
    for mid in measure_ids or pub.programme.measures:
        for ico in icos:
            if (report := summary(pub, mid, ico, base, states, by_report.get((mid, ico)))) is not None:
                out.append(report)
    return out
