"""Demo data: realistic quarterly packages for the three original One Care ICOs, 2014Q1-2015Q4, and for three
of MI Health Link's plans, 2015Q1-2015Q4.

A small simulation per ICO: members enrolled in waves (passive enrollment from January 2014,
voluntary throughout), disenrollment and deaths, assessments and care plans around day 90,
hospital stays with readmissions and mental-health follow-up, nursing-facility stays, and
experience-of-care surveys. Each quarter's package is then cut from the simulated history as
the ICO would know it at the end of that quarter. Each programme has its own enrollment history and eligibility
(``DEMO_PROGRAMMES``): One Care enrolls people aged 21 to 64 from October 2013; MI Health Link people aged 21 and
over (many of them 65 or older) from March 2015, with passive enrollment from May and July 2015. ``manifest.json`` says when each package is
"received" (a few late) and which are first sent with an error and then resubmitted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from measures import Period
from measures.dictionary import FILES, RACES

PERIODS = [f"{y}Q{q}" for y in (2014, 2015) for q in range(1, 5)]
SIM_END = date(2015, 12, 31)
# The date the demo runs on (REPORTING_TODAY, set by scripts/start.sh): its data end with 2015Q4, so in the spring
# of 2016 it reads as a live quarter does: 2015Q4 is in, its cycle and the year 2015's are due, nothing is late.
DEMO_TODAY = "2016-03-15"


@dataclass(frozen=True)
class DemoProgramme:
    """How one programme's demo members arrive: its quarters, when enrollment opened, its passive waves, ages."""

    id: str
    state: str
    periods: tuple[str, ...]
    enroll_from: str  # the first month of (voluntary) enrollment
    waves: tuple[str, ...]  # passive enrollment waves (first of a month)
    wave_weight: float
    taper_from: str  # enrollment slows from this month on
    share_65_plus: float | None  # None: ages 22-64 only (One Care's eligibility); else the share aged 65 and over


DEMO_PROGRAMMES = {
    "ma-one-care": DemoProgramme(
        "ma-one-care",
        "MA",
        tuple(PERIODS),
        "2013-10-01",
        ("2014-01-01", "2014-04-01", "2014-07-01"),
        4.0,
        "2014-10-01",
        None,
    ),
    # MI Health Link opened to opt-in enrollment in March 2015; passive enrollment followed in May (Upper
    # Peninsula, Southwest Michigan) and July 2015 (Wayne and Macomb counties).
    "mi-health-link": DemoProgramme(
        "mi-health-link",
        "MI",
        ("2015Q1", "2015Q2", "2015Q3", "2015Q4"),
        "2015-03-01",
        ("2015-05-01", "2015-07-01"),
        5.0,
        "2015-09-01",
        0.42,
    ),
}


@dataclass(frozen=True)
class IcoProfile:
    code: str
    name: str
    members_mid_2014: int  # for a later programme: its members half a year into the demonstration
    last_period: str = "2015Q4"
    assessment_skill: float = 0.70  # chance an initial assessment is completed by day 90
    followup_7: float = 0.35
    readmit: float = 0.19
    prefix: str = "M"
    programme: str = "ma-one-care"
    survey_quality: float = 0.3


ICOS = [
    IcoProfile(
        "CCA",
        "Commonwealth Care Alliance",
        9700,
        assessment_skill=0.78,
        followup_7=0.40,
        readmit=0.17,
        survey_quality=0.6,
    ),
    IcoProfile(
        "FTC",
        "Fallon Total Care",
        7500,
        last_period="2015Q3",
        assessment_skill=0.62,
        followup_7=0.30,
        readmit=0.22,
        survey_quality=0.0,
    ),
    IcoProfile("NHP", "Network Health", 1600, assessment_skill=0.70, followup_7=0.36, readmit=0.19),
    # Three of MI Health Link's plans (real names; the data are synthetic).
    IcoProfile(
        "AMC",
        "AmeriHealth Caritas Michigan",
        2600,
        assessment_skill=0.58,
        followup_7=0.31,
        readmit=0.21,
        prefix="A",
        programme="mi-health-link",
        survey_quality=0.2,
    ),
    IcoProfile(
        "MER",
        "Meridian Health Plan of Michigan",
        3400,
        assessment_skill=0.68,
        followup_7=0.37,
        readmit=0.18,
        prefix="E",
        programme="mi-health-link",
        survey_quality=0.45,
    ),
    IcoProfile(
        "UPH",
        "Upper Peninsula Health Plan",
        1400,
        assessment_skill=0.74,
        followup_7=0.42,
        readmit=0.16,
        prefix="U",
        programme="mi-health-link",
        survey_quality=0.55,
    ),
]
# The survey respondents' case mix differs between ICOs (data dictionary version 2): CCA serves the sickest
# members, with more proxy and Spanish-language answers; Fallon the healthiest. Sicker respondents and proxies
# rate lower, Spanish-language respondents higher, so the case-mix adjustment moves the ICOs' scores.
# code -> (general health 1..5 probabilities, education 1..6 probabilities, proxy share, spanish share, other share)
CASE_MIX = {
    "CCA": ((0.03, 0.09, 0.24, 0.38, 0.26), (0.10, 0.20, 0.38, 0.20, 0.08, 0.04), 0.24, 0.20, 0.06),
    "AMC": ((0.05, 0.12, 0.28, 0.34, 0.21), (0.08, 0.20, 0.38, 0.22, 0.08, 0.04), 0.18, 0.06, 0.04),
    "UPH": ((0.07, 0.17, 0.35, 0.28, 0.13), (0.04, 0.12, 0.42, 0.26, 0.11, 0.05), 0.12, 0.01, 0.02),
    "FTC": ((0.14, 0.28, 0.34, 0.17, 0.07), (0.03, 0.08, 0.30, 0.32, 0.18, 0.09), 0.06, 0.04, 0.02),
    "NHP": ((0.08, 0.18, 0.32, 0.28, 0.14), (0.06, 0.14, 0.34, 0.26, 0.13, 0.07), 0.14, 0.10, 0.04),
}
CATEGORIES = ["C1", "C2A", "C2B", "C3A", "C3B", "F1"]
CATEGORY_P = [0.42, 0.20, 0.12, 0.11, 0.08, 0.07]


def _d(x) -> date:
    return x if isinstance(x, date) else pd.Timestamp(x).date()


class Simulation:
    def __init__(self, profile: IcoProfile, seed: int):
        self.p = profile
        self.rng = np.random.default_rng(seed)
        self.people = np.random.default_rng(seed + 7)  # race, ethnicity, language: their own stream (version 3)
        self.spans, self.assess, self.plans, self.ip, self.visits, self.fac, self.survey = ([] for _ in range(7))
        self.stay_no = self.resp_no = self.fac_no = 0
        self.end = Period.parse(profile.last_period).end
        self.programme = DEMO_PROGRAMMES[profile.programme]

    # -- enrollment -------------------------------------------------------------------------
    def enroll(self) -> None:
        rng, p, prog = self.rng, self.p, self.programme
        # Passive waves (One Care: Jan, Apr and Jul 2014) on top of voluntary enrollment (One Care: from Oct 2013).
        months = pd.date_range(prog.enroll_from, "2015-12-01", freq="MS")
        weight = np.array([0.5 if m == months[0] or m.year == 2013 else 1.0 for m in months])
        for wave in prog.waves:
            weight[months.get_loc(pd.Timestamp(wave))] += prog.wave_weight
        weight[months >= pd.Timestamp(prog.taper_from)] *= 0.35
        total = int(p.members_mid_2014 * 1.55)
        starts = rng.choice(len(months), size=total, p=weight / weight.sum())
        for i, m in enumerate(starts):
            start = months[m].date()
            if start > self.end:
                continue
            member = f"{p.prefix}{i + 1:06d}"
            birth = start - timedelta(days=self.age_days())
            category = rng.choice(CATEGORIES, p=CATEGORY_P)
            months_enrolled = rng.exponential(48)
            end = start + timedelta(days=int(months_enrolled * 30.4))
            death = None
            if rng.random() < 0.06:
                death = start + timedelta(days=int(rng.integers(20, 700)))
                end = min(end, death)
                if death > self.end:
                    death = None
            end = None if end > self.end else end
            if end is not None and death is not None and death < end:
                end = death
            self.spans.append(
                dict(
                    member_id=member,
                    birth_date=birth,
                    sex=rng.choice(["F", "M", "U"], p=[0.52, 0.47, 0.01]),
                    enrollment_start=start,
                    enrollment_end=end,
                    enrollment_method="passive" if rng.random() < 0.7 else "voluntary",
                    rating_category=category,
                    death_date=death,
                    **self.demographics(),
                )
            )
            self.member_events(self.spans[-1])

    def age_days(self) -> int:
        """A new member's age on enrollment, in days: One Care's 22-64; elsewhere 22-64 or 65-94 by the share."""
        rng, share = self.rng, self.programme.share_65_plus
        if share is None or rng.random() >= share:
            return int(rng.integers(22 * 365, 64 * 365))
        return int(rng.integers(65 * 365 + 20, 94 * 365))

    def demographics(self) -> dict:
        """Race, ethnicity and preferred language (dictionary version 3), blank now and then; each ICO its own mix."""
        rng, shift = self.people, (len(self.p.code) + ord(self.p.code[0])) % 3
        race_p = np.array([0.01, 0.05, 0.16 + 0.04 * shift, 0.005, 0.55, 0.05, 0.06, 0.03])
        language = rng.choice(["english", "spanish", "other", "declined", None], p=[0.7, 0.17, 0.07, 0.02, 0.04])
        hispanic = 0.6 if language == "spanish" else 0.08
        return {
            "race": rng.choice([*RACES, None], p=np.append(race_p, 1 - race_p.sum())),
            "ethnicity": rng.choice(
                ["hispanic", "not_hispanic", "declined", None], p=[hispanic, 0.88 - hispanic, 0.04, 0.08]
            ),
            "language": language,
        }

    def alive_enrolled(self, span, d: date) -> bool:
        return (
            span["enrollment_start"] <= d
            and (span["enrollment_end"] is None or span["enrollment_end"] >= d)
            and d <= self.end
        )

    # -- events per member ------------------------------------------------------------------
    def member_events(self, s) -> None:
        rng, p, m, start = self.rng, self.p, s["member_id"], s["enrollment_start"]
        d90 = start + timedelta(days=89)
        # Passively enrolled members are harder to reach: their assessments and care plans are timely less often.
        skill = p.assessment_skill - (0.1 if s["enrollment_method"] == "passive" else 0.0)
        for kind, target in (("assessment", skill), ("plan", skill - 0.06)):
            roll = rng.random()
            rows = []
            if roll < target:
                rows.append((start + timedelta(days=int(rng.integers(5, 90))), "completed"))
            elif roll < target + 0.06:
                rows.append((start + timedelta(days=int(rng.integers(10, 89))), "refused"))
            elif roll < target + 0.16:
                for _ in range(3):
                    rows.append((start + timedelta(days=int(rng.integers(3, 89))), "unable_to_reach"))
            else:
                rows.append((d90 + timedelta(days=int(rng.integers(1, 60))), "completed"))
            for day, outcome in rows:
                if not self.alive_enrolled(s, day):
                    continue
                if kind == "assessment":
                    self.assess.append(dict(member_id=m, event_date=day, assessment_type="initial", outcome=outcome))
                else:
                    lts = "Y" if rng.random() < (0.75 if s["rating_category"] in ("F1", "C3A", "C3B") else 0.2) else "N"
                    self.plans.append(
                        dict(
                            member_id=m,
                            event_date=day,
                            outcome=outcome,
                            ltss_coordinator=lts if outcome == "completed" else None,
                        )
                    )
        # Yearly reassessments.
        day = start + timedelta(days=int(rng.integers(250, 420)))
        while self.alive_enrolled(s, day):
            if rng.random() < 0.6:
                self.assess.append(
                    dict(member_id=m, event_date=day, assessment_type="reassessment", outcome="completed")
                )
            day += timedelta(days=int(rng.integers(300, 420)))
        self.hospital(s)
        self.facility(s)
        self.surveys(s)

    def hospital(self, s) -> None:
        rng, p = self.rng, self.p
        day = s["enrollment_start"] + timedelta(days=int(rng.exponential(900)))
        while self.alive_enrolled(s, day):
            length = int(rng.integers(1, 9))
            discharge = day + timedelta(days=length)
            if discharge > self.end:
                break
            group = rng.choice(["mental_health", "self_harm", "substance_use", "other"], p=[0.18, 0.04, 0.1, 0.68])
            died = s["death_date"] is not None and discharge == s["death_date"]
            status = (
                "died"
                if died
                else rng.choice(["home", "transfer_acute", "facility", "other"], p=[0.8, 0.04, 0.1, 0.06])
            )
            self.stay_no += 1
            self.ip.append(
                dict(
                    stay_id=f"IP{self.stay_no:07d}",
                    member_id=s["member_id"],
                    admission_date=day,
                    discharge_date=discharge,
                    principal_diagnosis_group=group,
                    discharge_status=status,
                    planned="Y" if rng.random() < 0.12 else "N",
                )
            )
            if group in ("mental_health", "self_harm"):
                roll = rng.random()
                if roll < p.followup_7:
                    self.visit(s, discharge + timedelta(days=int(rng.integers(1, 8))), "mental_health")
                elif roll < p.followup_7 + 0.22:
                    self.visit(s, discharge + timedelta(days=int(rng.integers(8, 31))), "mental_health")
            if rng.random() < 0.6:
                self.visit(s, discharge + timedelta(days=int(rng.integers(1, 40))), "primary_care")
            if rng.random() < p.readmit:
                day = discharge + timedelta(days=int(rng.integers(1, 31)))
            else:
                day = discharge + timedelta(days=int(rng.exponential(500)) + 31)

    def visit(self, s, day: date, kind: str) -> None:
        if self.alive_enrolled(s, day):
            self.visits.append(dict(member_id=s["member_id"], visit_date=day, provider_type=kind))

    def facility(self, s) -> None:
        rng = self.rng
        if s["rating_category"] == "F1":
            admission = s["enrollment_start"] - timedelta(days=int(rng.integers(0, 400)))
            length = int(rng.integers(60, 900))
        elif rng.random() < 0.05:
            admission = s["enrollment_start"] + timedelta(days=int(rng.integers(30, 600)))
            length = int(rng.integers(5, 240))
        else:
            return
        if not self.alive_enrolled(s, max(admission, s["enrollment_start"])) or admission > self.end:
            return
        discharge = admission + timedelta(days=length)
        to = rng.choice(["community", "hospital", "other"], p=[0.75, 0.2, 0.05])
        if s["death_date"] is not None and discharge >= s["death_date"]:
            discharge, to = s["death_date"], "died"
        self.fac_no += 1
        self.fac.append(
            dict(
                stay_id=f"NF{self.fac_no:06d}",
                member_id=s["member_id"],
                admission_date=admission,
                discharge_date=discharge,
                discharge_to=to,
            )
        )

    def surveys(self, s) -> None:
        rng = self.rng
        quality = self.p.survey_quality
        for code in self.programme.periods:
            P = Period.parse(code)
            if rng.random() > 0.02:
                continue
            day = P.begin + timedelta(days=int(rng.integers(0, (P.end - P.begin).days + 1)))
            if not self.alive_enrolled(s, day):
                continue
            self.resp_no += 1
            mix = self.case_mix()
            effect = mix.pop("_effect")

            def item(low=1, high=4):
                if rng.random() < 0.08:
                    return None
                return int(np.clip(round(rng.normal(2.9 + quality * 0.5 + 0.35 * effect, 0.9)), low, high))  # noqa: B023 (called within this iteration)

            rating = int(np.clip(round(rng.normal(7.6 + quality + effect, 1.8)), 0, 10))
            self.survey.append(
                dict(
                    response_id=f"R{self.resp_no:07d}",
                    member_id=s["member_id"],
                    survey_date=day,
                    rating_health_plan=rating if rng.random() > 0.04 else None,
                    gnc_specialist=item(),
                    gnc_care_tests=item(),
                    gcq_urgent=item(),
                    gcq_routine=item(),
                    cc_records=item(),
                    cc_followup=item(),
                    flu_vaccine=rng.choice(["Y", "N", None], p=[0.62, 0.33, 0.05]),
                    **mix,
                )
            )

    def case_mix(self) -> dict:
        """One respondent's case-mix adjusters (each blank now and then) and how they move the answers."""
        rng = self.rng
        health_p, education_p, proxy, spanish, other = CASE_MIX.get(self.p.code, CASE_MIX["NHP"])
        general = int(rng.choice(5, p=health_p)) + 1
        mental = int(np.clip(general + rng.integers(-1, 2), 1, 5))
        helped = rng.random() < proxy + 0.04 * (general - 3)
        language = rng.choice(["english", "spanish", "other"], p=[1 - spanish - other, spanish, other])
        effect = -0.45 * (general - 3) - 0.25 * (mental - 3) - 0.7 * helped + 0.5 * (language == "spanish")

        def blank(v, share=0.05):
            return None if rng.random() < share else v

        return {
            "general_health": blank(general),
            "mental_health": blank(mental),
            "education": blank(int(rng.choice(6, p=education_p)) + 1),
            "proxy": blank("Y" if helped else "N"),
            "survey_language": blank(str(language), 0.02),
            "_effect": effect,
        }

    # -- cutting quarterly packages -----------------------------------------------------------
    def package(self, code: str) -> dict[str, pd.DataFrame]:
        P = Period.parse(code)
        b, e = P.begin, P.end
        spans = pd.DataFrame(self.spans)
        spans = spans[
            (spans.enrollment_start <= e) & (spans.enrollment_end.isna() | (spans.enrollment_end >= b))
        ].copy()
        future_end = spans.enrollment_end.notna() & (spans.enrollment_end > e)
        spans.loc[future_end, "enrollment_end"] = None
        future_death = spans.death_date.notna() & (spans.death_date > e)
        spans.loc[future_death, "death_date"] = None
        out = {"members": spans}

        def dated(rows, column):
            f = pd.DataFrame(rows, columns=FILES_COLUMNS[column[0]])
            return f[(f[column[1]] >= b) & (f[column[1]] <= e)]

        out["assessments"] = dated(self.assess, ("assessments", "event_date")).drop_duplicates()
        out["care_plans"] = dated(self.plans, ("care_plans", "event_date")).drop_duplicates(
            ["member_id", "event_date", "outcome"]
        )
        out["inpatient_stays"] = dated(self.ip, ("inpatient_stays", "discharge_date"))
        out["visits"] = dated(self.visits, ("visits", "visit_date")).drop_duplicates()
        out["survey_responses"] = dated(self.survey, ("survey_responses", "survey_date"))
        fac = pd.DataFrame(self.fac, columns=FILES_COLUMNS["facility_stays"])
        fac = fac[(fac.admission_date <= e) & (fac.discharge_date >= b)].copy()
        ongoing = fac.discharge_date > e
        fac.loc[ongoing, ["discharge_date", "discharge_to"]] = None
        out["facility_stays"] = fac
        # Events need a span of this package covering them (the dictionary's rule).
        members = out["members"]
        for name in ("assessments", "care_plans"):
            f = out[name].merge(members[["member_id", "enrollment_start", "enrollment_end"]], on="member_id")
            ok = (f.enrollment_start <= f.event_date) & (f.enrollment_end.isna() | (f.enrollment_end >= f.event_date))
            keep = f.loc[ok, FILES_COLUMNS[name]].drop_duplicates()
            out[name] = keep
        return out


FILES_COLUMNS = {name: spec.column_names for name, spec in FILES.items()}


def write_csv(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    frame = frame[columns].copy()
    for c in columns:
        if frame[c].map(lambda v: isinstance(v, date)).any():
            frame[c] = frame[c].map(lambda v: v.isoformat() if isinstance(v, date) else "")
    frame.to_csv(path, index=False, na_rep="", float_format="%.0f")


def generate(out: Path, seed: int = 2014) -> dict:
    """Write ``out/<ICO>/<PERIOD>/*.csv`` and ``out/manifest.json``; return the manifest."""
    out = Path(out)
    manifest = {"icos": [], "packages": []}
    rng = np.random.default_rng(seed + 1)
    for n, profile in enumerate(ICOS):
        sim = Simulation(profile, seed + 17 * n)
        sim.enroll()
        programme = DEMO_PROGRAMMES[profile.programme]
        manifest["icos"].append(
            {
                "code": profile.code,
                "name": profile.name,
                "state": programme.state,
                "programme": programme.id,
                "last_period": profile.last_period,
            }
        )
        for code in programme.periods:
            if Period.parse(code).end > Period.parse(profile.last_period).end:
                continue
            frames = sim.package(code)
            folder = out / profile.code / code
            folder.mkdir(parents=True, exist_ok=True)
            for name, frame in frames.items():
                write_csv(frame, folder / f"{name}.csv", FILES_COLUMNS[name])
            P = Period.parse(code)
            due = _due(P)
            late = (profile.code, code) in {("FTC", "2014Q4"), ("NHP", "2015Q2"), ("UPH", "2015Q2")}
            received = (
                due + timedelta(days=int(rng.integers(3, 20)))
                if late
                else due - timedelta(days=int(rng.integers(2, 25)))
            )
            entry = {
                "ico": profile.code,
                "programme": programme.id,
                "period": code,
                "path": f"{profile.code}/{code}",
                "received": received.isoformat(),
            }
            if (profile.code, code) in {("NHP", "2014Q3"), ("CCA", "2015Q1"), ("MER", "2015Q3")}:
                entry["first_attempt_error"] = True
            manifest["packages"].append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _due(P: Period) -> date:
    from reporting.periods import default_due_date

    return default_due_date(P, 2)


def broken_copy(folder: Path, target: Path) -> Path:
    """A copy of a package with a deliberate error (a date written the American way), as an ICO might send."""
    target.mkdir(parents=True, exist_ok=True)
    for f in folder.iterdir():
        text = f.read_text()
        if f.name == "assessments.csv" and text.count("\n") > 1:
            lines = text.splitlines()
            cells = lines[1].split(",")
            y, m, d = cells[1].split("-")
            cells[1] = f"{m}/{d}/{y}"
            lines[1] = ",".join(cells)
            text = "\n".join(lines) + "\n"
        (target / f.name).write_text(text)
    return target
