"""Issue 26, "Where it shows": the equity summary in the scorecard (the ICO's own strata only; statewide strata
under the rules that hide statewide figures from ICO users) and in the statewide report (every ICO's, with the
statewide gap for reviewers): the groups flagged worse and by how much, and the passive-versus-voluntary gap of
every measure, read back from the PDF's text (pdftotext) against the stored strata of the worked example. Pages
are kept as PNGs in test-artifacts/ for a look."""

import subprocess

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.publication.strata import STRATUM_LABELS, TITLES
from reporting.rendering.filters import fmt_count, fmt_points, fmt_signed, fmt_value
from reporting.storage.models import ResultRun, ResultStratum
from tests.conftest import artifact_path
from tests.rendering.test_pdf import rendered

pytestmark = pytest.mark.slow  # renders PDFs with WeasyPrint and reads them back


def strata(dbs, period="2015Q3"):
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == period, ResultRun.is_current))
    return {
        (s.ico, s.measure_id, s.stratifier, s.stratum): s
        for s in dbs.scalars(select(ResultStratum).where(ResultStratum.run_id == run.id))
    }


def layout(name: str) -> str:
    """The PDF kept under ``name`` as pdftotext lays it out (a table row on one line)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(artifact_path(f"{name}.pdf")), "-"], capture_output=True, text=True, check=True
    ).stdout


def section(text: str, start: str, end: str) -> str:
    assert start in text, start
    return text.split(start, 1)[1].split(end, 1)[0]


def worse_rows(stored, ico):
    return [s for (code, *_), s in stored.items() if code == ico and s.flag == "worse"]


def gap(stored, ico, measure_id):
    passive = stored[(ico, measure_id, "enrollment_method", "passive")].value
    voluntary = stored[(ico, measure_id, "enrollment_method", "voluntary")].value
    return passive, voluntary, (None if passive is None or voluntary is None else passive - voluntary)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_scorecard_has_the_icos_own_equity_summary(example, dbs, tmp_path):
    stored = strata(dbs)
    _, text = rendered(
        example, tmp_path, "equity-scorecard-HA-2015Q3", "scorecard", "--ico", "HA", "--period", "2015Q3"
    )
    lines = layout("equity-scorecard-HA-2015Q3")
    part = section(lines, "Equity summary, 2015Q3", "Trends")
    # the groups flagged worse: by what, which group, the measure, its value and by how much
    worse = worse_rows(stored, "HA")
    assert worse, "the worked example has HA's men flagged worse in living in the community"
    flat = " ".join(part.split())
    for s in worse:
        row = next(
            line for line in part.splitlines() if f"worse by {fmt_points(s.difference, 'percent')} points" in line
        )
        assert TITLES[s.stratifier] in row and STRATUM_LABELS.get(s.stratum, s.stratum) in row, row
        assert f"{fmt_value(s.value, 'percent')}%" in row and fmt_count(s.denominator) in row, row
        assert REGISTRY[s.measure_id].title in flat
    # the passive-versus-voluntary gap for every measure, as the stored strata give it
    table = section(part, "Passive against voluntary enrollment, 2015Q3", "\f\f")
    checked = 0
    for m in REGISTRY.values():
        passive, voluntary, difference = gap(stored, "HA", m.id)
        row = next(line for line in table.splitlines() if line.strip().startswith(m.title[:30]))
        cells = row[len(m.title) :].split() if m.title in row else row.split()
        if difference is not None:
            assert fmt_value(passive, m.unit) in cells and fmt_value(voluntary, m.unit) in cells, (m.id, row)
            assert fmt_signed(difference, m.unit) in cells, (m.id, row)
            checked += 1
        else:
            assert "—" in cells, (m.id, row)
    assert checked >= 8
    # the ICO's report: no other ICO, and no statewide strata while fewer than three ICOs report
    assert "Harbor Care" not in text and "HB" not in text and "Statewide gap" not in text


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_statewide_report_has_every_icos_equity_summary(example, dbs, tmp_path):
    stored = strata(dbs)
    _, text = rendered(
        example, tmp_path, "equity-statewide-2015Q3", "report", "--kind", "statewide", "--period", "2015Q3"
    )
    lines = layout("equity-statewide-2015Q3")
    part = section(lines, "Equity summary, 2015Q3", "Trends")
    assert "Health Alliance (HA)" in part and "Harbor Care (HB)" in part
    for ico in ("HA", "HB"):
        worse = worse_rows(stored, ico)
        for s in worse:
            assert any(
                f"worse by {fmt_points(s.difference, 'percent')} points" in line
                and f"{fmt_value(s.value, 'percent')}%" in line
                for line in part.splitlines()
            ), (ico, s.measure_id, s.stratum)
        if not worse:
            assert f"No group is flagged worse than the rest of {ico}'s members." in " ".join(part.split())
    # the gap of every measure, every ICO and statewide (reviewers see statewide), in the order of the columns
    table = section(part, "Passive against voluntary enrollment, 2015Q3", "\f\f")
    header = next(line for line in table.splitlines() if "Health Alliance" in line)  # ICOs by name, statewide last
    assert header.split()[-1] == "Statewide" and header.index("Harbor Care") < header.index("Health Alliance")
    checked = 0
    for m in REGISTRY.values():
        row = next(line for line in table.splitlines() if line.strip().startswith(m.title[:30]))
        expected = []
        for ico in ("HB", "HA", "STATEWIDE"):
            _, _, difference = gap(stored, ico, m.id)
            expected.append("—" if difference is None else fmt_signed(difference, m.unit))
        found = [cell for cell in row.split() if cell == "—" or cell[:1] in "+−±"]
        assert found == expected, (m.id, row, expected)
        checked += sum(e != "—" for e in expected)
    assert checked >= 20


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_with_three_icos_the_scorecard_has_the_statewide_gaps_an_ico_may_see(example, dbs, tmp_path):
    """Four ICOs report (two more with HA's packages), so statewide figures are shown to ICO users: the scorecard
    gives the statewide gap beside HA's, but only where the statewide enrollment-method strata less HA's own leave
    no count from 1 to 10 of the other ICOs together (numerator, denominator or their difference) and the
    measure's statewide figure is not withheld from ICO users (the scorecard's note names those) and the public
    outputs show those statewide strata (the public plan holds against each ICO's users); elsewhere "—"."""
    from reporting import accounts, pipeline, programmes
    from reporting.cli_files import files_from_paths
    from reporting.storage import db
    from tests.conftest import EXAMPLES

    with example.app_context():
        with db.transaction() as s:
            for code in ("X1", "X2"):
                accounts.add_ico(s, code=code, name=f"Extra Care Organization {code}", state="MA", actor="test")
        for code in ("X1", "X2"):
            folder = EXAMPLES / "packages" / "HA" / "2015Q3"
            files = files_from_paths([folder])
            assert pipeline.accept_package(code, "2015Q3", files, uploader="test", via="cli").accepted
        pipeline.compute("2015Q3", trigger="test")
        threshold = programmes.get(None).disclosure_threshold
        # ICO users see the statewide strata the public outputs show, once the period is published
        from reporting.engine.store import current_run
        from reporting.publication import editions
        from reporting.publication.strata_release import NAMES, hidden_strata

        with db.transaction() as s:
            run_id = current_run(s, "2015Q3").id
            editions.create(s, "2015Q3", run_id, publish=True, actor="test")
        public_hidden = hidden_strata(db.session, "ma-one-care", run_id)
    stored = strata(dbs)
    _, text = rendered(
        example, tmp_path, "equity-scorecard-HA-4-icos", "scorecard", "--ico", "HA", "--period", "2015Q3"
    )
    # the measures whose statewide figure the scorecard says it leaves out (it would reveal another ICO's)
    flat = " ".join(text.split())
    note = (
        flat.split("Statewide figures of ", 1)[1].split(" are not shown for 2015Q3", 1)[0]
        if "Statewide figures of " in flat
        else ""
    )
    withheld = {m.id for m in REGISTRY.values() if m.title in note}
    table = section(
        section(layout("equity-scorecard-HA-4-icos"), "Equity summary, 2015Q3", "Trends"),
        "Passive against voluntary enrollment, 2015Q3",
        "\f\f",
    )
    header = next(line for line in table.splitlines() if "Voluntary" in line)
    assert header.split()[-2:] == ["Statewide", "Flag"], header  # "Statewide gap", over two lines
    shown = hidden = 0
    for m in REGISTRY.values():
        row = next(line for line in table.splitlines() if line.strip().startswith(m.title[:30]))
        signed = [cell for cell in row.split() if cell == "—" or cell[:1] in "+−±"]
        _, _, own = gap(stored, "HA", m.id)
        _, _, state = gap(stored, "STATEWIDE", m.id)
        if own is None:
            continue
        assert signed[0] == fmt_signed(own, m.unit), (m.id, row)
        others = []
        for stratum in ("voluntary", "passive", "unknown"):
            sw, ha = (stored[(c, m.id, "enrollment_method", stratum)] for c in ("STATEWIDE", "HA"))
            den = sw.denominator - ha.denominator
            num = (sw.numerator or 0) - (ha.numerator or 0)
            others += [den, num, den - num]
        published = not any(
            (m.id, "2015Q3", "STATEWIDE", n, "enrollment_method", stratum) in public_hidden
            for n in NAMES
            for stratum in ("voluntary", "passive")
        )
        safe = all(n == 0 or n >= threshold for n in others) and m.id not in withheld and published
        if signed[1] != "—":
            assert safe and state is not None and signed[1] == fmt_signed(state, m.unit), (m.id, row, others)
            shown += 1
        else:
            hidden += 1
            assert not safe or state is None, (m.id, row, others)
    assert shown >= 3 and hidden >= 1, (shown, hidden)
