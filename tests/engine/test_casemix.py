"""Case-mix adjustment (measures.md, "Case-mix adjustment"): the worked example by its hand figures, the
method's rules one by one, and the engine against an independent NumPy least squares with its own HC1
sandwich on random data."""

import math

import numpy as np
import pandas as pd
import pytest

from measures import REGISTRY, DataInView, Period
from measures._survey import flag_score, frequency_score, rating_score
from reporting.engine import casemix
from reporting.engine.compute import STATEWIDE, compute_period

RATING = (("rating_health_plan", rating_score),)


def answers(ratings, proxies, **more):
    return pd.DataFrame({"rating_health_plan": pd.array(ratings, dtype="Float64"), "proxy": proxies, **more})


WORKED = {"A": answers([8, 10, 6], ["N", "N", "Y"]), "B": answers([9, 7, 6, 4], ["N", "N", "Y", "Y"])}


def test_worked_example_by_its_hand_figures():
    fit = casemix.fit_item(
        "rating_health_plan",
        pd.concat([rating_score(f["rating_health_plan"]) for f in WORKED.values()]),
        pd.Series(["A"] * 3 + ["B"] * 4),
        pd.concat(WORKED.values()),
    )
    assert fit.kept == ("proxy",)  # age and the others given by nobody: constant, dropped
    assert fit.coefficients == {"proxy=Y": pytest.approx(-30)}
    assert fit.raw == {"A": 80, "B": 65}
    assert fit.adjusted["A"] == pytest.approx(80 - 20 / 7) and fit.adjusted["B"] == pytest.approx(65 + 15 / 7)
    assert fit.se["A"] == pytest.approx(math.sqrt(176 / 7)) and fit.se["B"] == pytest.approx(math.sqrt(99 / 7))
    out = casemix.adjust_measure(RATING, WORKED, {"A": 3, "B": 4}, 500 / 7, min_respondents=1)
    assert out["A"].value == pytest.approx(77.142857, abs=1e-6) and out["B"].value == pytest.approx(67.142857, abs=1e-6)
    assert out["A"].difference == pytest.approx(40 / 7) and out["B"].difference == pytest.approx(-30 / 7)
    assert round(out["A"].se, 4) == 5.0143 and round(out["B"].se, 4) == 3.7607
    assert out["A"].vs_statewide == out["B"].vs_statewide == "no_difference"
    # below the measure's minimum of respondents the comparison is blank, the adjusted value is not
    below = casemix.adjust_measure(RATING, WORKED, {"A": 3, "B": 4}, 500 / 7, min_respondents=30)
    assert below["A"].vs_statewide is None and below["A"].value == out["A"].value


def _view(responses: pd.DataFrame, members: pd.DataFrame | None = None) -> DataInView:
    frames = {"survey_responses": responses}
    if members is not None:
        frames["members"] = members
    return DataInView.from_frames(frames)


def _responses(rows):
    frame = pd.DataFrame(rows, columns=["response_id", "member_id", "survey_date", "rating_health_plan", "proxy"])
    return frame.assign(
        survey_date=pd.to_datetime(frame["survey_date"]),
        rating_health_plan=frame["rating_health_plan"].astype("Float64"),
    )


def test_the_engine_gives_the_worked_example_in_the_results_and_leaves_the_raw_values():
    period = Period.parse("2015Q2")
    views = {}
    for ico, frame in WORKED.items():
        rows = [
            (f"{ico}{i}", f"U{ico}{i}", "2015-05-01", float(r), p)  # members not linked: no age
            for i, (r, p) in enumerate(zip(frame["rating_health_plan"], frame["proxy"]))
        ]
        views[ico] = _view(_responses(rows))
    results = {
        (r.measure_id, r.ico): r
        for r in compute_period(views, period, {"rating_health_plan": REGISTRY["rating_health_plan"]}).results
    }
    a, b, state = (results[("rating_health_plan", k)] for k in ("A", "B", STATEWIDE))
    assert (a.value, b.value) == (80, 65)  # raw values as before
    assert a.adjusted_value == pytest.approx(80 - 20 / 7) and b.adjusted_value == pytest.approx(65 + 15 / 7)
    assert state.adjusted_value == state.value == pytest.approx(500 / 7)
    assert a.vs_statewide is None and a.status == "NA"  # 3 respondents, minimum 30
    assert a.extras["adjusted_se"] == pytest.approx(math.sqrt(176 / 7))
    assert a.extras["adjusted_difference"] == pytest.approx(40 / 7)
    assert results[("rating_health_plan", "A")].extras["top_box"] == pytest.approx(100 / 3)


def test_age_comes_from_the_linked_member_on_the_survey_date():
    members = pd.DataFrame(
        {
            "member_id": ["M1", "M2"],
            "birth_date": pd.to_datetime(["1980-05-02", "1950-01-01"]),
            "enrollment_start": pd.to_datetime(["2014-01-01"] * 2),
        }
    )
    responses = _responses(
        [
            ("R1", "M1", "2015-05-01", 8.0, "N"),
            ("R2", "M1", "2015-05-02", 8.0, "N"),
            ("R3", "M2", "2015-05-01", 8.0, "N"),
            ("R4", "M9", "2015-05-01", 8.0, "N"),
            ("R5", None, "2015-05-01", 8.0, "N"),
        ]
    )
    units = REGISTRY["rating_health_plan"].population(_view(responses, members), Period.parse("2015Q2"))
    assert units["age"].tolist()[:3] == [34, 35, 65] and units["age"].iloc[3:].isna().all()
    assert casemix._age_band(units["age"]).tolist() == ["21-34", "35-44", "65 and over", None, None]


def test_a_missing_adjuster_takes_the_icos_mean_else_the_programmes():
    frame = pd.DataFrame({"proxy": ["Y", "N", "N", None, None, None], "education": [1, 3, None, 4, 6, None]})
    ico = pd.Series(["A", "A", "A", "A", "B", "B"])
    x, owned = casemix.indicators(frame, ico)
    assert owned["proxy"] == ["proxy=Y"] and owned["education"] == ["education=3", "education=4", "education=5-6"]
    # A's blank proxy: A's mean over those who have it (1 of 3); B has none: the programme's (1 of 3)
    assert x["proxy=Y"].tolist() == pytest.approx([1, 0, 0, 1 / 3, 1 / 3, 1 / 3])
    # A's blank education: A's means (1-2, 3, 4 once each); B's blank: B's own (5-6)
    assert x["education=3"].tolist() == pytest.approx([0, 1, 1 / 3, 0, 0, 0])
    assert x["education=5-6"].tolist() == pytest.approx([0, 0, 0, 0, 1, 1])


def test_rank_deficient_adjusters_are_dropped_from_the_last_listed():
    # survey language spanish exactly when proxy Y, and education 3 exactly when proxy Y: proxy is listed after
    # education and before language, so language goes first, and then the design is full rank
    rng = np.random.default_rng(5)
    proxy = rng.choice(["N", "Y"], 40)
    frame = pd.DataFrame(
        {
            "proxy": proxy,
            "survey_language": np.where(proxy == "Y", "spanish", "english"),
            "general_health": rng.integers(1, 3, 40).astype(float),
        }
    )
    ico = pd.Series(np.repeat(["A", "B"], 20))
    fit = casemix.fit_item("x", pd.Series(rng.normal(70, 10, 40)), ico, frame)
    assert fit.kept == ("general_health", "proxy")
    assert set(fit.coefficients) == {"general_health=2", "proxy=Y"}


def test_composite_is_the_mean_of_its_adjusted_items_and_its_error_combines_theirs():
    rng = np.random.default_rng(11)
    frames = {}
    for ico, shift in (("A", 0.8), ("B", 0.0), ("C", -0.5)):
        n = 60
        health = rng.integers(1, 6, n)
        frames[ico] = pd.DataFrame(
            {
                "gnc_specialist": pd.array(
                    np.clip(np.round(3 + shift - 0.3 * health + rng.normal(0, 0.7, n)), 1, 4), dtype="Float64"
                ),
                "gnc_care_tests": pd.array(
                    np.where(rng.random(n) < 0.2, np.nan, np.clip(np.round(2.5 + shift + rng.normal(0, 0.7, n)), 1, 4)),
                    dtype="Float64",
                ),
                "general_health": health.astype(float),
            }
        )
    items = REGISTRY["getting_needed_care"].case_mix_items
    fits = []
    for column, score in items:
        pooled = pd.concat([f.assign(_ico=k) for k, f in frames.items()], ignore_index=True)
        pooled = pooled[pooled[column].notna()]
        fits.append(casemix.fit_item(column, score(pooled[column]), pooled["_ico"], pooled))
    statewide = sum(f.statewide for f in fits) / 2
    out = casemix.adjust_measure(items, frames, dict.fromkeys(frames, 60), statewide, min_respondents=30)
    for ico in frames:
        assert out[ico].value == pytest.approx(sum(f.adjusted[ico] for f in fits) / 2)
        assert out[ico].se == pytest.approx(math.sqrt(sum(f.se[ico] ** 2 for f in fits)) / 2)
        assert out[ico].difference == pytest.approx(out[ico].value - statewide)
    assert (out["A"].vs_statewide, out["C"].vs_statewide) == ("higher", "lower")
    below = casemix.adjust_measure(items, frames, {"A": 29, "B": 60, "C": 60}, statewide, min_respondents=30)
    assert below["A"].vs_statewide is None and below["C"].vs_statewide == "lower"


def test_flu_vaccine_scores_y_as_100():
    assert flag_score(pd.Series(["Y", "N"])).tolist() == [100.0, 0.0]
    assert frequency_score(pd.Series([1, 4])).tolist() == [0.0, 100.0]


# --- the engine against an independent computation -------------------------------------------------------

CATEGORIES = {  # the method's indicator sets, written out again here: column -> (category of a value, levels)
    "age": (
        lambda a: "21-34" if a < 35 else "35-44" if a < 45 else "45-54" if a < 55 else "55-64" if a < 65 else "65+",
        ["21-34", "35-44", "45-54", "55-64", "65+"],
    ),
    "education": (lambda e: {1: "a", 2: "a", 3: "b", 4: "c", 5: "d", 6: "d"}[int(e)], ["a", "b", "c", "d"]),
    "general_health": (int, [1, 2, 3, 4, 5]),
    "mental_health": (int, [1, 2, 3, 4, 5]),
    "proxy": (lambda v: v, ["N", "Y"]),
    "survey_language": (lambda v: v, ["english", "spanish", "other"]),
}


def independent(frame: pd.DataFrame, y: np.ndarray, icos: list[str]):
    """Adjusted means and contrast standard errors by plain NumPy: indicators, mean imputation, least squares,
    HC1 = n/(n−p) (X'X)⁻¹ X' diag(e²) X (X'X)⁻¹."""
    ico = frame["ico"].to_numpy()
    columns = []
    for name, (category, levels) in CATEGORIES.items():
        values = [
            None if v is None or (isinstance(v, float) and np.isnan(v)) else category(v) for v in frame[name].tolist()
        ]
        for level in levels[1:]:
            col = np.array([np.nan if v is None else float(v == level) for v in values])
            programme = np.nanmean(col)
            filled = col.copy()
            for j in icos:
                own = ico == j
                have = own & ~np.isnan(col)
                filled[own & np.isnan(col)] = col[have].mean() if have.any() else programme
            col = filled
            columns.append(col)
    x = np.column_stack(columns)
    d = np.column_stack([(ico == j).astype(float) for j in icos])
    design = np.hstack([d, x])
    n, p = design.shape
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    e = y - design @ coef
    bread = np.linalg.inv(design.T @ design)
    cov = n / (n - p) * bread @ (design.T * e**2) @ design @ bread
    beta = coef[len(icos) :]
    w = d.mean(axis=0)
    adjusted, se = {}, {}
    for k, j in enumerate(icos):
        own = ico == j
        adjusted[j] = y[own].mean() + beta @ (x.mean(axis=0) - x[own].mean(axis=0))
        c = -w.copy()
        c[k] += 1
        se[j] = math.sqrt(c @ cov[: len(icos), : len(icos)] @ c)
    return adjusted, se


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adjusted_means_and_errors_equal_an_independent_computation(seed):
    rng = np.random.default_rng(seed)
    icos = ["A", "B", "C", "D"]
    n = 800

    def maybe(values, share=0.1):
        return np.where(rng.random(n) < share, None, values).tolist()

    frame = pd.DataFrame(
        {
            "ico": rng.choice(icos, n, p=[0.4, 0.3, 0.2, 0.1]),
            "age": np.where(rng.random(n) < 0.05, np.nan, rng.integers(21, 75, n)).astype(float),
            "education": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 7, n)).astype(float),
            "general_health": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 6, n)).astype(float),
            "mental_health": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 6, n)).astype(float),
            "proxy": maybe(rng.choice(["N", "Y"], n)),
            "survey_language": maybe(rng.choice(["english", "spanish", "other"], n, p=[0.6, 0.3, 0.1])),
        }
    )
    if seed == 3:  # none of D's respondents gives mental health
        frame.loc[frame["ico"] == "D", "mental_health"] = np.nan
    y = np.clip(rng.normal(75, 15, n) - 4 * frame["general_health"].fillna(3).to_numpy(), 0, 100)
    fit = casemix.fit_item("item", pd.Series(y), frame["ico"], frame)
    assert fit.kept == tuple(a.name for a in casemix.ADJUSTERS)  # nothing dropped
    adjusted, se = independent(frame, y, icos)
    for j in icos:
        assert abs(fit.adjusted[j] - adjusted[j]) < 1e-9, j
        assert abs(fit.se[j] - se[j]) < 1e-9, j


def test_the_same_as_statsmodels_ols_with_hc1_on_the_full_design():
    """The engine fits the model's Frisch-Waugh-Lovell form; statsmodels on the full design (one indicator per
    ICO, no intercept, cov_type="HC1") gives the same adjusted means and contrast errors."""
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(8)
    n, icos = 500, ["A", "B", "C"]
    frame = pd.DataFrame(
        {
            "ico": rng.choice(icos, n),
            "general_health": rng.integers(1, 6, n).astype(float),
            "proxy": rng.choice(["N", "Y"], n),
            "age": rng.integers(21, 70, n).astype(float),
        }
    )
    y = rng.normal(70, 12, n) + 5 * (frame["proxy"] == "Y")
    fit = casemix.fit_item("item", pd.Series(y), frame["ico"], frame)
    x, _ = casemix.indicators(frame, frame["ico"])
    x = x.loc[:, x.std() > 0]
    design = np.hstack([np.column_stack([(frame["ico"] == j).to_numpy(float) for j in icos]), x.to_numpy()])
    full = OLS(np.asarray(y), design).fit(cov_type="HC1")
    cov, w = np.asarray(full.cov_params())[:3, :3], frame["ico"].value_counts(normalize=True).reindex(icos).to_numpy()
    for k, j in enumerate(icos):
        c = -w.copy()
        c[k] += 1
        assert abs(fit.se[j] - math.sqrt(c @ cov @ c)) < 1e-9
        params = np.asarray(full.params)
        assert abs(fit.adjusted[j] - (params[k] + params[3:] @ x.to_numpy().mean(axis=0))) < 1e-9


def test_without_any_adjuster_the_adjusted_means_are_the_raw_ones():
    frames = {"A": answers([8, 10, 6], [None] * 3), "B": answers([9, 7, 6, 4], [None] * 4)}
    out = casemix.adjust_measure(RATING, frames, {"A": 3, "B": 4}, 500 / 7, min_respondents=1)
    assert out["A"].value == pytest.approx(80) and out["B"].value == pytest.approx(65)
    # SE of ȳ_A − ȳ with HC1 (n = 7, p = 2): residuals from the ICO means
    assert out["A"].se > 0 and out["A"].vs_statewide in ("higher", "no_difference")


def test_no_residual_degrees_of_freedom_gives_no_error_and_no_comparison():
    period = Period.parse("2015Q2")
    views = {
        ico: _view(_responses([(f"{ico}1", f"U{ico}", "2015-05-01", rating, "N")]))
        for ico, rating in (("A", 8.0), ("B", 6.0))
    }
    results = {
        r.ico: r for r in compute_period(views, period, {"rating_health_plan": REGISTRY["rating_health_plan"]}).results
    }
    assert results["A"].adjusted_value == 80 and results["A"].extras["adjusted_se"] is None
    assert results["A"].vs_statewide is None
