"""Large synthetic packages for the benchmarks, generated with numpy (valid against the dictionary)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from measures import Period
from measures.dictionary import FILES


def _dates(rng, start: str, end: str, n: int) -> np.ndarray:
    a, b = np.datetime64(start), np.datetime64(end)
    return a + rng.integers(0, int((b - a).astype(int)) + 1, n).astype("timedelta64[D]")


def quarter_package(
    period: str, members: int, seed: int = 1, rows_target: int | None = None, prefix: str = "M"
) -> dict[str, pd.DataFrame]:
    """One quarter for ``members`` members (one open span each) and events in proportion."""
    rng = np.random.default_rng(seed)
    P = Period.parse(period)
    b, e = P.begin.isoformat(), P.end.isoformat()
    ids = np.char.add(prefix, np.char.zfill(np.arange(members).astype(str), 7))
    start = _dates(rng, "2013-10-01", e, members)
    spans = pd.DataFrame(
        {
            "member_id": ids,
            "birth_date": start - rng.integers(23 * 366, 63 * 365, members).astype("timedelta64[D]"),
            "sex": rng.choice(["F", "M", "U"], members),
            "enrollment_start": start,
            "enrollment_end": None,
            "enrollment_method": rng.choice(["voluntary", "passive"], members),
            "rating_category": rng.choice(["F1", "C3B", "C3A", "C2B", "C2A", "C1"], members),
            "death_date": None,
        }
    )
    people = np.random.default_rng(seed + 10_007)  # dictionary version 3, on its own stream: the rest is unchanged
    spans["race"] = people.choice(["white", "black", "asian", "multiple", "other", "declined", ""], members)
    spans["ethnicity"] = people.choice(["hispanic", "not_hispanic", "declined", ""], members, p=[0.2, 0.7, 0.05, 0.05])
    spans["language"] = people.choice(
        ["english", "spanish", "other", "declined", ""], members, p=[0.7, 0.15, 0.1, 0.03, 0.02]
    )
    scale = (rows_target or members * 10) / members / 10

    def pick(n):
        i = rng.integers(0, members, n)
        return ids[i], start[i]

    def events_after(n, lo=b):
        who, first = pick(n)
        day = np.maximum(_dates(rng, b, e, n), first)
        return who, day

    n = lambda k: int(members * k * scale)
    who, day = events_after(n(2.0))
    assessments = pd.DataFrame(
        {
            "member_id": who,
            "event_date": day,
            "assessment_type": rng.choice(["initial", "reassessment"], len(who)),
            "outcome": rng.choice(["completed", "refused", "unable_to_reach"], len(who), p=[0.7, 0.1, 0.2]),
        }
    ).drop_duplicates()
    who, day = events_after(n(1.5))
    outcome = rng.choice(["completed", "refused", "unable_to_reach"], len(who), p=[0.7, 0.1, 0.2])
    care_plans = pd.DataFrame(
        {
            "member_id": who,
            "event_date": day,
            "outcome": outcome,
            "ltss_coordinator": np.where(outcome == "completed", rng.choice(["Y", "N"], len(who)), None),
        }
    ).drop_duplicates(["member_id", "event_date", "outcome"])
    who, first = pick(n(0.5))
    dis = np.maximum(_dates(rng, b, e, len(who)), first)
    inpatient = pd.DataFrame(
        {
            "stay_id": [f"IP{period}{i:08d}" for i in range(len(who))],
            "member_id": who,
            "admission_date": np.maximum(dis - rng.integers(0, 10, len(who)).astype("timedelta64[D]"), first),
            "discharge_date": dis,
            "principal_diagnosis_group": rng.choice(["mental_health", "self_harm", "substance_use", "other"], len(who)),
            "discharge_status": rng.choice(["home", "transfer_acute", "facility", "other"], len(who)),
            "planned": rng.choice(["Y", "N"], len(who), p=[0.15, 0.85]),
        }
    )
    who = ids[rng.integers(0, members, n(4.0))]
    visits = pd.DataFrame(
        {
            "member_id": who,
            "visit_date": _dates(rng, b, e, len(who)),
            "provider_type": rng.choice(["mental_health", "primary_care", "other"], len(who)),
        }
    ).drop_duplicates()
    who, first = pick(n(0.2))
    adm = np.maximum(_dates(rng, "2014-01-01", e, len(who)), first)
    dis = adm + rng.integers(1, 300, len(who)).astype("timedelta64[D]")
    ongoing = dis > np.datetime64(e)
    dis = np.where(dis < np.datetime64(b), np.datetime64(b), dis)
    facility = pd.DataFrame(
        {
            "stay_id": [f"NF{period}{i:08d}" for i in range(len(who))],
            "member_id": who,
            "admission_date": adm,
            "discharge_date": np.where(ongoing, None, dis),
            "discharge_to": np.where(ongoing, None, rng.choice(["community", "hospital", "other"], len(who))),
        }
    )
    # A CAHPS-like sample: about 3 % of the members answer each quarter (some 1,200 a year for 10,000 members),
    # with the case-mix adjusters of dictionary version 2, each blank now and then.
    who = ids[rng.integers(0, members, max(1, int(members * 0.03)))]
    item = lambda: np.where(rng.random(len(who)) < 0.1, None, rng.integers(1, 5, len(who)))
    adjuster = lambda values: np.where(rng.random(len(who)) < 0.05, None, rng.choice(values, len(who)))
    survey = pd.DataFrame(
        {
            "response_id": [f"R{period}{i:08d}" for i in range(len(who))],
            "member_id": who,
            "survey_date": _dates(rng, b, e, len(who)),
            "rating_health_plan": rng.integers(0, 11, len(who)),
            "gnc_specialist": item(),
            "gnc_care_tests": item(),
            "gcq_urgent": item(),
            "gcq_routine": item(),
            "cc_records": item(),
            "cc_followup": item(),
            "flu_vaccine": rng.choice(["Y", "N"], len(who)),
            "general_health": adjuster([1, 2, 3, 4, 5]),
            "mental_health": adjuster([1, 2, 3, 4, 5]),
            "education": adjuster([1, 2, 3, 4, 5, 6]),
            "proxy": adjuster(["Y", "N"]),
            "survey_language": adjuster(["english", "spanish", "other"]),
        }
    )
    return {
        "members": spans,
        "assessments": assessments,
        "care_plans": care_plans,
        "inpatient_stays": inpatient,
        "visits": visits,
        "facility_stays": facility,
        "survey_responses": survey,
    }


def write(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, spec in FILES.items():
        frame = frames[name][spec.column_names].copy()
        for col in spec.columns:
            if col.type == "date":
                s = pd.to_datetime(frame[col.name])
                frame[col.name] = s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
        path = folder / spec.filename
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths
