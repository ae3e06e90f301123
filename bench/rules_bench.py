"""Issue #13: the impact preview of a draft rule set, per request, for a year of 3 ICOs and of 40 ICOs
(a national-scale synthetic year). Results are stored rows, as the service stores them after computing; the
impact reads them and never recomputes a measure. Target: under 1 s for 40 ICOs.

    .venv/bin/python bench/rules_bench.py [--backend sqlite|postgresql]"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from common import fresh_database, make_app, section, timed


def store_year(app, icos: int, seed: int = 13) -> None:
    """Current runs for 2014 and 2015 with every measure for ``icos`` ICOs and statewide."""
    from measures import REGISTRY
    from reporting.storage import db
    from reporting.storage.models import Organization, Result, ResultRun, utcnow

    rng = random.Random(seed)
    codes = [f"I{n:02d}" for n in range(icos)]
    with app.app_context(), db.transaction() as s:
        for code in codes:
            s.add(Organization(code=code, name=f"ICO {code}", state="MA"))
        for year in ("2014", "2015"):
            run = ResultRun(
                period_code=year, status="done", is_current=True, finished_at=utcnow(), inputs={c: [] for c in codes}
            )
            s.add(run)
            s.flush()
            for code in codes + ["STATEWIDE"]:
                for mid, m in REGISTRY.items():
                    den = rng.randint(20, 400)
                    value = rng.uniform(1, 6) if m.unit == "per_1000" else rng.uniform(30, 95)
                    s.add(
                        Result(
                            run_id=run.id,
                            period_code=year,
                            measure_id=mid,
                            measure_version=m.version,
                            ico=code,
                            numerator=int(den * value / 100) if m.has_numerator else None,
                            denominator=den,
                            value=value,
                            status="reported" if den >= 30 else "NA",
                            elements={},
                        )
                    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    from reporting.access import OPERATOR
    from reporting.rules import impact, store
    from reporting.storage import db

    figures = {}
    for icos in (3, 40):
        with tempfile.TemporaryDirectory() as tmp, section(f"impact preview, {icos} ICOs ({args.backend})"):
            folder = Path(tmp)
            app = make_app(fresh_database(args.backend, folder), folder)
            store_year(app, icos)
            with app.app_context():
                draft = store.propose(db.session, 2015, "measure_id,benchmark,withhold\nfuh_7d,45,true\n", "bench")
                db.session.commit()
                draft_id = draft.id

                def request():
                    db.session.remove()  # as a request would: a fresh session each time
                    result = impact.impact(db.session, store.get(db.session, draft_id), OPERATOR)  # noqa: B023 (called within this iteration)
                    return result.summary(), len(result.rows)

                median, runs, (summary, rows) = timed(request, runs=7)
            print(f"  {rows} measure rows; {summary}")
            print(
                f"  impact computation: median {median * 1000:.0f} ms over {len(runs)} runs "
                f"({', '.join(f'{t * 1000:.0f}' for t in runs)} ms)"
            )
            figures[icos] = median
    print(f"\nTARGET rules_impact_40_icos: {figures[40] * 1000:.0f} ms (target < 1000)")
    print(f"TARGET rules_impact_3_icos: {figures[3] * 1000:.0f} ms (target < 1000)")


if __name__ == "__main__":
    main()
