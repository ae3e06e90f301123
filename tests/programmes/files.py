"""A test programme written into an instance folder, as an installation adds its own: one TOML file and its two
rules files (``docs/programmes.md``)."""

from __future__ import annotations

from pathlib import Path

# nine of the library's measures, ages 21 and over (no upper bound), from 2014Q2, in "ZZ" (no state's code)
MEASURES = (
    "assessment_90d",
    "care_plan_90d",
    "fuh_7d",
    "fuh_30d",
    "readmission_30d",
    "flu_vaccine",
    "getting_care_quickly",
    "getting_needed_care",
    "rating_health_plan",
)
BENCHMARKS = """measure,year,value,source
assessment_90d,2014,60,illustrative (a test programme)
care_plan_90d,2014,55,illustrative
fuh_7d,2014,40,illustrative
readmission_30d,2014,20,illustrative
assessment_90d,2015,62,illustrative
"""
WITHHOLD = """year,measure,gap_closure
2014,assessment_90d,off
2014,care_plan_90d,on
2014,fuh_7d,off
2015,assessment_90d,off
"""


def toml(pid: str, **keys) -> str:
    values = {
        "id": pid,
        "name": f"Test programme {pid}",
        "state": "ZZ",
        "first_period": "2014Q2",
        "min_age": 21,
        "measures": list(MEASURES),
        "due_months_after": 3,
        "disclosure_threshold": 11,
        "benchmarks": f"{pid}-benchmarks.csv",
        "withhold": f"{pid}-withhold.csv",
    }
    values.update(keys)
    lines = []
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, str):
            lines.append(f'{k} = "{v}"')
        elif isinstance(v, list | tuple):
            lines.append(f"{k} = [" + ", ".join(f'"{m}"' for m in v) + "]")
        else:
            lines.append(f"{k} = {v}")
    return "\n".join(lines) + "\n"


def write_programme(instance: Path, pid: str = "zz-test", file_name: str | None = None, **keys) -> Path:
    folder = Path(instance) / "programmes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pid}-benchmarks.csv").write_text(BENCHMARKS)
    (folder / f"{pid}-withhold.csv").write_text(WITHHOLD)
    path = folder / (file_name or f"{pid}.toml")
    path.write_text(toml(pid, **keys))
    return path
