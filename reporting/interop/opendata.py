"""The public open-data package of a published period: ``results.csv`` (the public table, with the public
report's cell suppression applied exactly: the edition's suppressed counts from ``publication.released``, checked
with every release before it) and ``datapackage.json``
(a Frictionless Data Package: table schema with types, descriptions and units, and the license).

Nothing member-level and nothing in preview: it reads a published edition (``published.published``)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from measures import SPEC_VERSION
from reporting.engine import STATEWIDE
from reporting.interop.published import Published
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
                    "status": cell.status,
                    "suppressed": "true" if any(v == SUPPRESSED for v in hidden) else "false",
                    "adjusted_value": _shown(result.adjusted_value) if adjusted else "",
                    "vs_statewide": (result.vs_statewide or "") if adjusted else "",
                }
            )
    return out


def _shown(v) -> str:
    if v is None or v == SUPPRESSED:
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def results_csv(pub: Published) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(pub))
    return out.getvalue().encode("utf-8")


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
                        {
                            "name": "programme",
                            "type": "string",
                            "title": "Programme",
                            "description": f"The programme's id: {prog.id} ({prog.name}).",
                            "constraints": {"required": True, "enum": [prog.id]},
                        },
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
                            "description": "reported, or NA when the denominator is below the measure's minimum.",
                            "constraints": {"required": True, "enum": ["reported", "NA"]},
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


def package_files(pub: Published, base: str) -> dict[str, bytes]:
    meta = {k: v for k, v in descriptor(pub, base).items() if v is not None}
    return {"datapackage.json": json.dumps(meta, indent=2).encode("utf-8"), "results.csv": results_csv(pub)}


def zip_bytes(pub: Published, base: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in package_files(pub, base).items():
            z.writestr(name, content)
    return buffer.getvalue()


def write(pub: Published, base: str, folder: str | Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in package_files(pub, base).items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    return written
