"""A year of quarterly packages for one very large ICO (typed frames, as after validation)."""
import pandas as pd

from measures.dictionary import FILES
from synth import quarter_package


def typed(frames):
    out = {}
    for name, spec in FILES.items():
        f = frames[name].copy()
        for col in spec.columns:
            if col.type == "date":
                f[col.name] = pd.to_datetime(f[col.name])
            elif col.type == "int":
                f[col.name] = pd.to_numeric(f[col.name]).astype("Float64")
            else:
                f[col.name] = f[col.name].astype(object).where(f[col.name].notna(), None)
        out[name] = f
    return out


def year_of_packages(members: int):
    return [(q, typed(quarter_package(q, members, seed=7, rows_target=members * 4)))
            for q in ("2015Q1", "2015Q2", "2015Q3", "2015Q4")]
