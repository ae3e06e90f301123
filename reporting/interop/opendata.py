"""The public open-data package of a published period: ``results.csv`` (the public table, with the public
report's cell suppression applied exactly: the edition's suppressed counts from ``publication.released``, checked
with every release before it), ``results_strata.csv`` (the results by group as published, from
``strata_release.published_strata``: the caller passes that frame, so this module stays free of the database) and
``datapackage.json`` (a Frictionless Data Package: table schemas with types, descriptions and units, and the
license). In both tables a suppressed cell is empty and the row's ``suppressed`` is true.

Nothing member-level and nothing in preview: it reads a published edition (``published.published``)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from measures import SPEC_VERSION
from reporting.engine import STATEWIDE
from reporting.engine.strata import STRATIFIERS
from reporting.interop.published import Published
from reporting.publication.strata import EXPORT_COLUMNS, TITLES
from reporting.publication.suppression import SUPPRESSED, suppress

COLUMNS = [
    "programme",
    "measure_id",
    "ico",
    "period",
    "numerator",
    "denominator",
    "value",
    "status",
    "suppressed",
    "adjusted_value",
    "vs_statewide",
]
UNITS = {
    "percent": "percent (0-100)",
    "per_1000": "admissions per 1,000 member-months",
    "score": "survey score (mean of the items' scale)",
}
LICENSE = {
    "name": "ODC-PDDL-1.0",
    "path": "https://opendatacommons.org/licenses/pddl/",
    "title": "Open Data Commons Public Domain Dedication and License v1.0",
}


def rows(pub: Published) -> list[dict]:
    """One row per measure of the programme and ICO (and the programme's statewide figure), as the public report
    shows them."""
    codes = [o.code for o in pub.icos] + [STATEWIDE]
    out = []
    for m in pub.programme.measure_set.values():
        present = [pub.results[(m.id, c)] for c in codes if (m.id, c) in pub.results]
        for cell in sorted(suppress(m.id, present, pub.hidden), key=lambda c: (c.ico == STATEWIDE, c.ico)):
            hidden = [cell.numerator, cell.denominator, cell.value]  # the row's cells
            suppressed = any(v == SUPPRESSED for v in hidden)
            reported = cell.status == "reported"
            result = pub.results[(m.id, cell.ico)]
            adjusted = reported and cell.value not in (None, SUPPRESSED) and result.adjusted_value is not None
            out.append(
                {
                    "programme": pub.programme.id,
                    "measure_id": m.id,
                    "ico": cell.ico,
                    "period": pub.period.code,
                    "numerator": _shown(cell.numerator),
                    "denominator": _shown(cell.denominator),
                    "value": _shown(cell.value) if reported else "",  # an NA result shows no value
                    "status": "suppressed" if suppressed else cell.status,  # as results_strata.csv says it
                    "suppressed": "true" if suppressed else "false",
                    "adjusted_value": _shown(result.adjusted_value) if adjusted else "",
                    "vs_statewide": (result.vs_statewide or "") if adjusted else "",
                }
            )
    return out


def _shown(v) -> str:
    if v is None or v == SUPPRESSED or (isinstance(v, float) and v != v):  # NaN: nothing
        return ""
    return repr(float(v)) if isinstance(v, float) else str(v)  # a numpy float prints as Python's


def _table(columns: list[str], table: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def results_csv(pub: Published) -> bytes:
    return _table(COLUMNS, rows(pub))


STRATA_COLUMNS = [*EXPORT_COLUMNS, "status"]


def strata_rows(strata: pd.DataFrame) -> list[dict]:
    """``results_strata.csv``'s rows of the public strata (``strata_release.published_strata``): suppressed cells
    empty, ``suppressed`` true on a row with any; an NA stratum shows no value nor interval; no flag where none."""
    out = []
    for r in strata.to_dict("records"):
        reported = r.get("status") == "reported"
        out.append(
            {
                "programme": r["programme"],
                "period": r["period"],
                "ico": r["ico"],
                "measure_id": r["measure_id"],
                "stratifier": r["stratifier"],
                "stratum": r["stratum"],
                "numerator": _count(r["numerator"]),
                "denominator": _count(r["denominator"]),
                "value": _shown(r["value"]) if reported else "",
                "ci_low": _shown(r["ci_low"]) if reported else "",
                "ci_high": _shown(r["ci_high"]) if reported else "",
                "flag": r["flag"] if r["flag"] in ("better", "worse") else "",
                "suppressed": "true" if bool(r["suppressed"]) else "false",
                "status": r["status"],
            }
        )
    return out


def _count(v) -> str:
    if v is None or v == SUPPRESSED or (isinstance(v, float) and v != v):
        return ""
    return str(int(v))


def strata_csv(strata: pd.DataFrame) -> bytes:
    return _table(STRATA_COLUMNS, strata_rows(strata))


def _programme_field(prog) -> dict:
    """The ``programme`` column of every table of the package: the one programme it publishes."""
    return {
        "name": "programme",
        "type": "string",
        "title": "Programme",
        "description": f"The programme's id: {prog.id} ({prog.name}).",
        "constraints": {"required": True, "enum": [prog.id]},
    }


def descriptor(pub: Published, base: str) -> dict:
    prog = pub.programme
    measure_set = prog.measure_set
    measures = ", ".join(
        f"{m.id} ({UNITS[m.unit]}, {'higher' if m.higher_is_better else 'lower'} is better)"
        for m in measure_set.values()
    )
    return {
        "name": f"{prog.id}-quality-measures-{pub.period.code.lower()}",
        "title": f"{prog.name} quality measures, {pub.period.code} (public, edition {pub.edition.number})",
        "description": (
            f"Quality measures of the {prog.name} demonstration ({prog.state}) for each of its plans (Integrated "
            "Care Organizations, ICOs) and statewide over its plans only, as published. Counts from 1 to "
            f"{prog.disclosure_threshold - 1} are suppressed "
            "(CMS cell-size policy), with complementary suppression checked across ICOs, statewide, quarters "
            "and years over every release; suppressed cells are empty. "
            f"Measure specification version {SPEC_VERSION}."
        ),
        "homepage": f"{base.rstrip('/')}/public/{prog.id}",
        "version": f"{pub.edition.number}",
        "created": (pub.edition.published_at.isoformat() + "Z") if pub.edition.published_at else None,
        "licenses": [LICENSE],
        "resources": [
            {
                "name": "results",
                "path": "results.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": f"Results, {pub.period.code}",
                "description": "One row per measure and ICO (ico = STATEWIDE for the statewide figure).",
                "schema": {
                    "fields": [
                        _programme_field(prog),
                        {
                            "name": "measure_id",
                            "type": "string",
                            "title": "Measure",
                            "description": "The measure's id. Units and direction: " + measures,
                            "constraints": {"required": True, "enum": list(measure_set)},
                        },
                        {
                            "name": "ico",
                            "type": "string",
                            "title": "ICO",
                            "description": "The ICO's code, or STATEWIDE for all ICOs pooled.",
                            "constraints": {"required": True},
                        },
                        {
                            "name": "period",
                            "type": "string",
                            "title": "Period",
                            "description": "The reporting period: a quarter (2015Q3) or a calendar year (2015).",
                            "constraints": {"required": True, "pattern": "[0-9]{4}(Q[1-4])?"},
                        },
                        {
                            "name": "numerator",
                            "type": "integer",
                            "title": "Numerator",
                            "description": "Units counted in the numerator (admissions for facility_admissions); empty "
                            "when suppressed or when the measure has none (survey scores).",
                            "constraints": {"minimum": 0},
                        },
                        {
                            "name": "denominator",
                            "type": "integer",
                            "title": "Denominator",
                            "description": "Units in the denominator (member-months for facility_admissions, respondents "
                            "for survey scores); empty when suppressed.",
                            "constraints": {"minimum": 0},
                        },
                        {
                            "name": "value",
                            "type": "number",
                            "title": "Value",
                            "description": "The result in the measure's unit: percent 0-100; admissions per 1,000 "
                            "member-months; survey score. Empty when suppressed or NA.",
                            "unit": "see measure_id",
                        },
                        {
                            "name": "status",
                            "type": "string",
                            "title": "Status",
                            "description": "reported; NA when the denominator is below the measure's minimum; "
                            "suppressed when a cell of the row is suppressed (it then says nothing of the denominator).",
                            "constraints": {"required": True, "enum": ["reported", "NA", "suppressed"]},
                        },
                        {
                            "name": "suppressed",
                            "type": "boolean",
                            "title": "Suppressed",
                            "description": "true when any cell of this row is suppressed.",
                            "trueValues": ["true"],
                            "falseValues": ["false"],
                            "constraints": {"required": True},
                        },
                        {
                            "name": "adjusted_value",
                            "type": "number",
                            "title": "Case-mix adjusted value",
                            "description": "Survey measures only: the value adjusted for the respondents' age, education, "
                            "self-rated general and mental health, proxy answers and survey language (CMS's "
                            "CAHPS method; measures.md). Statewide: its value. Empty otherwise and where "
                            "the value is empty.",
                            "unit": "see measure_id",
                        },
                        {
                            "name": "vs_statewide",
                            "type": "string",
                            "title": "Compared with statewide",
                            "description": "Survey measures: higher or lower when the adjusted value differs from "
                            "statewide by more than 1.96 standard errors (HC1), else no_difference; empty "
                            "for statewide, other measures, and below the minimum of respondents.",
                            "constraints": {"enum": ["higher", "lower", "no_difference", ""]},
                        },
                    ],
                    "primaryKey": ["programme", "measure_id", "ico", "period"],
                },
            }
        ],
    }


def strata_resource(pub: Published) -> dict:
    """The ``results_strata`` resource of the descriptor: its table schema."""
    prog = pub.programme
    every_stratum = list(dict.fromkeys(s for values in STRATIFIERS.values() for s in values))
    stratifiers = "; ".join(f"{n} ({TITLES[n].lower()}): {', '.join(v)}" for n, v in STRATIFIERS.items())
    count = {"minimum": 0}
    return {
        "name": "results_strata",
        "path": "results_strata.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": f"Results by group, {pub.period.code}",
        "description": (
            "One row per measure, ICO (ico = STATEWIDE for the statewide figure), stratifier and stratum: the "
            "measure over the members of the group, by the measure's own rules (survey scores raw, not case-mix "
            "adjusted). The strata of one stratifier add up to the ICO's total in results.csv. Counts from 1 to "
            f"{prog.disclosure_threshold - 1} are suppressed, with complementary suppression across each ICO's "
            "strata and total, statewide and its ICOs, and each statewide stratum and its ICOs' strata; "
            "suppressed cells are empty."
        ),
        "schema": {
            "fields": [
                _programme_field(prog),
                {
                    "name": "period",
                    "type": "string",
                    "title": "Period",
                    "description": "The reporting period: a quarter (2015Q3) or a calendar year (2015).",
                    "constraints": {"required": True, "pattern": "[0-9]{4}(Q[1-4])?"},
                },
                {
                    "name": "ico",
                    "type": "string",
                    "title": "ICO",
                    "description": "The ICO's code, or STATEWIDE for all ICOs pooled.",
                    "constraints": {"required": True},
                },
                {
                    "name": "measure_id",
                    "type": "string",
                    "title": "Measure",
                    "description": "The measure's id (units and direction: see the results resource).",
                    "constraints": {"required": True, "enum": list(prog.measure_set)},
                },
                {
                    "name": "stratifier",
                    "type": "string",
                    "title": "Stratifier",
                    "description": "What the members are grouped by. " + stratifiers + ".",
                    "constraints": {"required": True, "enum": list(STRATIFIERS)},
                },
                {
                    "name": "stratum",
                    "type": "string",
                    "title": "Stratum",
                    "description": "The group: unknown where the member's value is blank or the unit has no member "
                    "(a survey response not linked to one); declined is its own group. Rating categories: "
                    "C3 = C3A and C3B, C2 = C2A and C2B. Age on the period's last day.",
                    "constraints": {"required": True, "enum": every_stratum},
                },
                {
                    "name": "numerator",
                    "type": "integer",
                    "title": "Numerator",
                    "description": "Units of the group in the numerator; empty when suppressed or when the measure "
                    "has none (survey scores).",
                    "constraints": count,
                },
                {
                    "name": "denominator",
                    "type": "integer",
                    "title": "Denominator",
                    "description": "Units of the group in the denominator; empty when suppressed.",
                    "constraints": count,
                },
                {
                    "name": "value",
                    "type": "number",
                    "title": "Value",
                    "description": "The group's result in the measure's unit; empty when suppressed or NA.",
                    "unit": "see measure_id",
                },
                {
                    "name": "ci_low",
                    "type": "number",
                    "title": "95 % interval, low",
                    "description": "Lower end of the 95 % interval (Wilson for percents); empty when suppressed, "
                    "NA or not computed.",
                    "unit": "see measure_id",
                },
                {
                    "name": "ci_high",
                    "type": "number",
                    "title": "95 % interval, high",
                    "description": "Upper end of the 95 % interval; empty as ci_low.",
                    "unit": "see measure_id",
                },
                {
                    "name": "flag",
                    "type": "string",
                    "title": "Disparity",
                    "description": "Percent measures: better or worse (by the measure's direction) when the group "
                    "differs from the rest of the same ICO (or of the state) in a two-sided two-proportion z test, "
                    "p < 0.05, both denominators at least 30; empty otherwise and when suppressed.",
                    "constraints": {"enum": ["better", "worse", ""]},
                },
                {
                    "name": "suppressed",
                    "type": "boolean",
                    "title": "Suppressed",
                    "description": "true when any cell of this row is suppressed.",
                    "trueValues": ["true"],
                    "falseValues": ["false"],
                    "constraints": {"required": True},
                },
                {
                    "name": "status",
                    "type": "string",
                    "title": "Status",
                    "description": (
                        "reported; NA when the group's denominator is below the measure's minimum; suppressed when "
                        "a cell of the row is suppressed (it then says nothing of the denominator)."
                    ),
                    "constraints": {"required": True, "enum": ["reported", "NA", "suppressed"]},
                },
            ],
            "primaryKey": ["programme", "period", "ico", "measure_id", "stratifier", "stratum"],
        },
    }


def package_files(pub: Published, base: str, strata: pd.DataFrame | None = None) -> dict[str, bytes]:
    """The package's files; ``strata``: the public strata (``strata_release.published_strata``), None for a
    package without results by group (an edition made before they were stored)."""
    meta = {k: v for k, v in descriptor(pub, base).items() if v is not None}
    files = {"results.csv": results_csv(pub)}
    if strata is not None and len(strata):
        meta["resources"].append(strata_resource(pub))
        files["results_strata.csv"] = strata_csv(strata)
    return {"datapackage.json": json.dumps(meta, indent=2).encode("utf-8")} | files


def zip_bytes(pub: Published, base: str, strata: pd.DataFrame | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in package_files(pub, base, strata).items():
            z.writestr(name, content)
    return buffer.getvalue()


def write(pub: Published, base: str, folder: str | Path, strata: pd.DataFrame | None = None) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in package_files(pub, base, strata).items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    return written
