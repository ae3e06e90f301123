"""A year of quarterly packages for one very large ICO (typed frames, as after validation)."""

from synth import quarter_package

from measures.dictionary import FILES, typed


def year_of_packages(members: int):
    return [
        (
            q,
            {
                name: typed(f, FILES[name])
                for name, f in quarter_package(q, members, seed=7, rows_target=members * 4).items()
            },
        )
        for q in ("2015Q1", "2015Q2", "2015Q3", "2015Q4")
    ]
