import pytest

"""Two programmes in one installation: each gives exactly what it gives alone, and statewide figures pool one
programme's ICOs, never another's. One Care (ma-one-care) alone is the worked example (its 135 expected results);
the instance's own zz-test is computed alone first, then again with One Care's ICOs in the installation.

The zz-test ICOs ZA and ZB submit the very packages HA and HB do, so a figure pooled across programmes would show
at once (twice the denominators)."""

import csv
import io

from measures import REGISTRY
from tests.conftest import EXAMPLES
from tests.engine.test_worked_example import PERIODS, compare
from tests.programmes.files import MEASURES


def _submit(runner, code, source, *options):
    out = runner.invoke(args=["ico", "add", "--code", code, "--name", f"ICO {code}", *options])
    assert out.exit_code == 0, out.output
    for folder in sorted((EXAMPLES / "packages" / source).iterdir()):
        out = runner.invoke(args=["submit", "--ico", code, "--period", folder.name, str(folder)])
        assert out.exit_code == 0, out.output


def _results(runner, period, programme, compute=True):
    if compute:
        out = runner.invoke(args=["compute", "--period", period, "--programme", programme])
        assert out.exit_code == 0, out.output
    out = runner.invoke(args=["results", "--period", period, "--format", "csv", "--programme", programme])
    assert out.exit_code == 0, out.output
    return list(csv.DictReader(io.StringIO(out.output)))


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # the rule, not the database: one backend keeps the suite short
def test_two_programmes_together_give_exactly_what_each_gives_alone(zz_app):
    runner = zz_app.test_cli_runner()
    _submit(runner, "ZA", "HA", "--programme", "zz-test")
    _submit(runner, "ZB", "HB", "--programme", "zz-test")
    alone = {p: _results(runner, p, "zz-test") for p in PERIODS}

    _submit(runner, "HA", "HA", "--state", "MA")  # today's command, unchanged: One Care's
    _submit(runner, "HB", "HB", "--state", "MA")
    one_care = [row for p in PERIODS for row in _results(runner, p, "ma-one-care")]
    expected = list(csv.DictReader(open(EXAMPLES / "expected-results.csv", newline="")))
    assert compare(expected, one_care) == []  # One Care beside zz-test: the worked example's 135 results
    assert len(one_care) == len(expected) == 135

    together = {p: _results(runner, p, "zz-test") for p in PERIODS}  # recomputed with One Care's ICOs present
    for p in PERIODS:
        assert together[p] == alone[p], p  # every field of every result, as text
        assert {(r["measure_id"], r["ico"]) for r in together[p]} == {
            (m, u) for m in MEASURES for u in ("ZA", "ZB", "STATEWIDE")
        }  # its own measure set and its own ICOs, statewide pooled over them only
    # the same packages under both programmes: each programme's statewide figure is its own two ICOs'
    ma = {(r["measure_id"], r["ico"].replace("H", "Z"), r["period"]): r for r in one_care}
    for p in PERIODS:
        for r in together[p]:
            twin = ma[(r["measure_id"], r["ico"], p)]
            assert (r["numerator"], r["denominator"], r["value"]) == (
                twin["numerator"],
                twin["denominator"],
                twin["value"],
            )
    assert set(MEASURES) < set(REGISTRY)


def test_a_package_is_validated_by_its_programme(zz_app, tmp_path):
    """A member 70 at enrollment: refused in One Care (21 to 64), accepted in zz-test (21 and over); a quarter
    before a programme's first is refused naming the programme and its first quarter."""
    import shutil

    runner = zz_app.test_cli_runner()
    for code, options in (("HA", ["--state", "MA"]), ("ZA", ["--programme", "zz-test"])):
        out = runner.invoke(args=["ico", "add", "--code", code, "--name", code, *options])
        assert out.exit_code == 0, out.output
    package = tmp_path / "2014Q1"
    shutil.copytree(EXAMPLES / "packages" / "HA" / "2014Q1", package)
    members = (package / "members.csv").read_text().splitlines()
    first = members[1].split(",")
    first[1] = "1943-01-15"  # 70 on an enrollment start in 2013 or 2014
    members[1] = ",".join(first)
    (package / "members.csv").write_text("\n".join(members) + "\n")

    out = runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q1", str(package)])
    assert out.exit_code == 1 and "enrolls people aged 21 to 64" in out.output
    assert "Massachusetts One Care enrolls" in out.output
    out = runner.invoke(args=["submit", "--ico", "ZA", "--period", "2014Q1", str(package)])
    assert out.exit_code == 0 and "ACCEPTED" in out.output and "age_eligibility" not in out.output

    out = runner.invoke(args=["submit", "--ico", "ZA", "--period", "2013Q4", str(package)])
    assert out.exit_code != 0
    assert "2013Q4 is before the programme's first quarter of Test programme zz-test (zz-test), 2014Q1" in out.output
    out = runner.invoke(args=["submit", "--ico", "HA", "--period", "2013Q4", str(package)])
    assert "before the programme's first quarter of Massachusetts One Care (ma-one-care), 2014Q1" in out.output
