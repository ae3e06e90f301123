"""Programme files: read and checked when the service starts, one clear message naming the file and the key on
any error; ``flask programmes`` lists them; ``flask ico add --programme`` puts an ICO in one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reporting import create_app, programmes
from reporting.errors import ConfigError
from tests.programmes.files import MEASURES, write_programme


def _start(tmp_path: Path, **config):
    return create_app(
        {"REPORTING_ENV": "test", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "instance"), **config}
    )


def test_the_shipped_programme_is_today_s_one_care(tmp_path):
    _start(tmp_path)
    one = programmes.get("ma-one-care")
    assert programmes.default() == one
    assert (one.name, one.state, one.first_period.code, one.last_period) == (
        "Massachusetts One Care",
        "MA",
        "2014Q1",
        None,
    )
    assert (one.min_age, one.max_age, one.due_months_after, one.disclosure_threshold) == (21, 64, 2, 11)
    assert len(one.measures) == 15 and one.measure_set.keys() == set(one.measures)
    assert Path(one.benchmarks_file).name == "benchmarks.csv" and Path(one.withhold_file).name == "withhold.csv"
    from measures import Period

    assert str(one.due_date(Period.parse("2014Q3"))) == "2014-11-30"  # last day of the 2nd month after


def test_an_instance_programme_is_one_file_and_its_rules_files(tmp_path):
    write_programme(tmp_path / "instance", "zz-test", max_age=None)
    _start(tmp_path)
    zz = programmes.get("ZZ-Test")  # ids are read in any case
    assert [p.id for p in programmes.all()] == ["ma-one-care", "mi-health-link", "zz-test"]
    assert zz.measures == tuple(m for m in programmes.get("ma-one-care").measures if m in MEASURES)
    assert zz.max_age is None and zz.eligible(70) and not programmes.get("ma-one-care").eligible(70)
    with pytest.raises(Exception, match="There is no programme 'ny-fida'"):
        programmes.get("ny-fida")


@pytest.mark.parametrize(
    "keys, file_name, key, words",
    [
        ({"measures": ["fuh_7d", "hba1c_testing"]}, None, "measures", "'hba1c_testing', which is not a measure"),
        ({"first_period": "2014Q5"}, None, "first_period", "must be a quarter such as 2014Q1"),
        ({"first_period": "2014"}, None, "first_period", "must be a quarter"),
        ({"last_period": "2013Q4"}, None, "last_period", "is before first_period 2014Q2"),
        ({}, "other-name.toml", "id", "name the file zz-test.toml"),
        ({"name": None}, None, "name", "is missing"),
        ({"state": "Michigan"}, None, "state", "must be two capital letters"),
        ({"min_age": "21"}, None, "min_age", "must be a whole number"),
        ({"max_age": 18}, None, "max_age", "is below min_age 21"),
        ({"benchmarks": "nowhere.csv"}, None, "benchmarks", "does not exist"),
        ({"colour": "blue"}, None, "colour", "is not a key of a programme file"),
        ({"measures": ["fuh_7d"]}, None, "benchmarks file", "names 'assessment_90d', which is not in the programme"),
    ],
)
def test_a_bad_programme_file_stops_the_start_naming_file_and_key(tmp_path, keys, file_name, key, words):
    path = write_programme(tmp_path / "instance", "zz-test", file_name=file_name, **keys)
    with pytest.raises(ConfigError) as e:
        _start(tmp_path)
    assert str(path) in e.value.message and key in e.value.message and words in e.value.message


def test_an_id_twice_and_an_unknown_default_are_refused(tmp_path):
    write_programme(tmp_path / "instance", "ma-one-care", name="A second One Care")
    with pytest.raises(ConfigError, match="id 'ma-one-care' is already the programme of .*ma-one-care.toml"):
        _start(tmp_path)
    (tmp_path / "instance" / "programmes" / "ma-one-care.toml").unlink()
    with pytest.raises(ConfigError, match="DEFAULT_PROGRAMME is 'nope', which no programme file defines"):
        _start(tmp_path, DEFAULT_PROGRAMME="nope")


@pytest.mark.parametrize("command", [["init-db"], ["programmes"]])
def test_flask_with_a_broken_programme_file_prints_the_message_only(tmp_path, command):
    """What an operator sees: the command stops with the message naming the file and the key, no traceback."""
    path = write_programme(tmp_path / "instance", "zz-test", measures=["fuh_7d", "hba1c_testing"])
    env = {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "SECRET_KEY": "k",
    }
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    said = out.stdout + out.stderr
    assert f"Programme file {path}: measures names 'hba1c_testing', which is not a measure of measures/" in said
    assert "Traceback" not in said and 'File "' not in said
    assert len(said.strip().splitlines()) == 1, said


def test_a_setting_moved_to_the_programme_file_is_refused_with_where_it_went(tmp_path):
    with pytest.raises(ConfigError, match="PROGRAM_FIRST_PERIOD is no longer a setting: it is first_period"):
        _start(tmp_path, PROGRAM_FIRST_PERIOD="2015Q1")


def test_cli_programmes_and_ico_add_with_a_programme(app, tmp_path):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["ico", "add", "--code", "CCA", "--name", "Commonwealth Care Alliance", "--state", "MA"])
    assert out.exit_code == 0 and "Added ICO CCA to ma-one-care." in out.output
    out = runner.invoke(
        args=["ico", "add", "--code", "X1", "--name", "X", "--state", "MI", "--programme", "ma-one-care"]
    )
    assert out.exit_code != 0 and "Massachusetts One Care (ma-one-care) is MA's programme" in out.output
    out = runner.invoke(args=["ico", "add", "--code", "X2", "--name", "X", "--programme", "ny-fida"])
    assert out.exit_code != 0 and "There is no programme 'ny-fida'" in out.output
    # without --programme: the default programme in its own state, else the one programme of the state given
    out = runner.invoke(args=["ico", "add", "--code", "UPH", "--name", "Upper Peninsula Health Plan", "--state", "MI"])
    assert out.exit_code == 0 and "Added ICO UPH to mi-health-link." in out.output
    out = runner.invoke(args=["ico", "add", "--code", "RI1", "--name", "Ocean State Care", "--state", "RI"])
    assert out.exit_code != 0 and "Traceback" not in out.output
    assert "Say which programme the ICO belongs to: no programme is in RI" in out.output and "--programme" in out.output
    out = runner.invoke(args=["programmes"])
    assert out.exit_code == 0
    line = next(row for row in out.output.splitlines() if row.startswith("ma-one-care"))
    assert "Massachusetts One Care" in line and " MA " in line and "2014Q1-" in line
    assert line.split()[-17] == "1"  # one ICO, then "15:" and the fifteen ids
    assert "15: assessment_90d, care_plan_90d" in line
