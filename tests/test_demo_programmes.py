"""The demo loads two programmes: One Care's three ICOs and three of MI Health Link's plans, with a Michigan state
reviewer and the MI plans' submitters among the sign-ins. MI Health Link's members are 21 and over with no upper
bound, so its packages hold members of 65 and more that One Care refuses; they pass MI Health Link's validation."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from reporting import demo, demo_setup


def test_the_demo_has_both_programmes_and_michigan_sign_ins():
    by_programme = {}
    for ico in demo.ICOS:
        by_programme.setdefault(ico.programme, []).append(ico.code)
        assert demo_setup.RECIPIENTS[ico.code], ico.code
    assert by_programme == {"ma-one-care": ["CCA", "FTC", "NHP"], "mi-health-link": ["AMC", "MER", "UPH"]}
    users = {email: (role, ico, state) for email, role, ico, state, _ in demo_setup.USERS}
    assert users["mi.reviewer@demo.example.org"] == ("state_reviewer", None, "MI")
    assert users["submitter@meridian-mi.example.org"] == ("ico_submitter", "MER", None)
    assert demo_setup.CYCLES["mi-health-link"] == ["2015Q1", "2015Q2", "2015Q3"]
    assert demo.DEMO_PROGRAMMES["mi-health-link"].periods == ("2015Q1", "2015Q2", "2015Q3", "2015Q4")


def _mi_package(tmp: Path, period: str) -> tuple[Path, pd.DataFrame]:
    profile = demo.IcoProfile("UPH", "Upper Peninsula Health Plan", 300, prefix="U", programme="mi-health-link")
    sim = demo.Simulation(profile, 5)
    sim.enroll()
    frames = sim.package(period)
    for name, frame in frames.items():
        demo.write_csv(frame, tmp / f"{name}.csv", demo.FILES_COLUMNS[name])
    return tmp, frames["members"]


def test_mi_health_link_members_are_21_and_over_and_pass_its_validation_not_one_cares(world):
    from reporting import accounts, pipeline
    from reporting.cli_files import files_from_paths
    from reporting.storage import db

    with world.app_context():
        with db.transaction() as s:
            accounts.add_ico(s, code="UPH", name="Upper Peninsula Health Plan", programme="mi-health-link")
        with tempfile.TemporaryDirectory() as tmp:
            folder, members = _mi_package(Path(tmp), "2015Q3")
            start = pd.to_datetime(members["enrollment_start"])
            age = (start - pd.to_datetime(members["birth_date"])).dt.days / 365.25
            assert age.min() >= 21 and (age >= 65).mean() > 0.25 and start.min().date() >= date(2015, 3, 1)
            mi = pipeline.accept_package("UPH", "2015Q3", files_from_paths([folder]), uploader="test", via="cli")
            assert mi.accepted, mi.report["by_rule"][:3]
            ma = pipeline.accept_package("HA", "2015Q3", files_from_paths([folder]), uploader="test", via="cli")
            assert not ma.accepted
            assert "age_eligibility" in {r["rule"] for r in ma.report["by_rule"]}
