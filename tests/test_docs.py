"""The repository's own account of its contract (docs/) stays in step with the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from measures import REGISTRY
from measures.dictionary import FILES
from reporting.ingest.report import RULES

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = (ROOT / "docs" / "data-dictionary.md").read_text()
MEASURES = (ROOT / "docs" / "measures.md").read_text()


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    ends = [e for e in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if e > 0]
    return text[start : min(ends) if ends else None]


def test_every_file_and_column_of_the_dictionary_is_documented():
    for spec in FILES.values():
        section = _section(DICTIONARY, f"### {spec.filename}")
        documented = set(re.findall(r"^\| ([a-z_0-9]+) \|", section, flags=re.M)) - {"column"}
        assert set(spec.column_names) == documented, spec.filename


def test_every_validation_rule_is_documented_with_its_severity():
    table = dict(re.findall(r"^\| `([a-z_0-9]+)` \| ([a-z /]+) \|", DICTIONARY, flags=re.M))
    assert set(RULES) == set(table), set(RULES) ^ set(table)
    for rule, (severity, _) in RULES.items():
        assert severity in table[rule], rule


def test_every_measure_of_the_registry_is_specified():
    headings = " ".join(re.findall(r"^### (.+)$", MEASURES, flags=re.M))
    for measure_id in REGISTRY:
        assert re.search(rf"\b{measure_id}\b", headings), measure_id


# The three spellings of a path outside the repository, written in pieces so that this file does not match itself
OUTSIDE = re.compile(r"\.\./" + 'shared|parent / "' + 'shared"|' + "SHARED" + "_DIR")


def test_nothing_reads_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = [
        f
        for f in tracked
        if f.endswith((".py", ".sh", ".ini", ".cfg", ".toml")) or f.startswith(".ci/")
        if OUTSIDE.search((ROOT / f).read_text(errors="ignore"))
    ]
    assert offenders == []


def test_the_in_app_dictionary_lists_every_rule(world):
    from tests.conftest import login

    client = world.test_client()
    login(client, "ha@example.org")
    page = client.get("/submissions/dictionary").get_data(as_text=True)
    assert "<title>Data dictionary · Massachusetts One Care Quality Reporting</title>" in page
    for rule in RULES:
        assert f"<code>{rule}</code>" in page, rule
    for spec in FILES.values():
        assert f'id="{spec.name}"' in page


def test_the_pipeline_stays_the_order_of_the_stages():
    """The brief's rule: ``reporting/pipeline.py`` is the readable data flow, at most 250 lines (what a stage does
    lives in its package; what it answers in ``reporting/outcomes.py``), and README's "What is where" names both."""
    from reporting import outcomes, pipeline

    lines = (ROOT / "reporting" / "pipeline.py").read_text().splitlines()
    assert len(lines) <= 250, f"reporting/pipeline.py has {len(lines)} lines: move what is not the order of stages"
    assert pipeline.CycleOutcome is outcomes.CycleOutcome and pipeline.SubmissionOutcome is outcomes.SubmissionOutcome
    where = (ROOT / "README.md").read_text().split("## What is where", 1)[1].split("## ", 1)[0]
    assert "pipeline.py" in where and "outcomes.py" in where


def test_the_readme_names_the_service_not_one_programme():
    """README's title read "One Care quality measure reporting" after MI Health Link joined: the title names the
    service, and its opening paragraph every programme that ships, One Care first."""
    from reporting import programmes

    title, rest = (ROOT / "README.md").read_text().split("\n", 1)
    assert title == "# Financial Alignment Initiative quality measure reporting"
    opening = " ".join(rest.strip().split("\n\n", 1)[0].split())
    shipped = programmes.load([ROOT / "config" / "programmes"]).values()
    shipped = sorted(shipped, key=lambda p: opening.find(p.name))
    assert all(p.name in opening for p in shipped), [p.name for p in shipped if p.name not in opening]
    assert [p.id for p in shipped][:2] == ["ma-one-care", "mi-health-link"]
