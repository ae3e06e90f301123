"""The public results by group of every measure, signed out, over HTTP: each cell equal to the published strata
(``strata_release.published_strata``), no count from 1 to 10 shown; a measure of another programme, an unknown
one and an unpublished period answer a clear 404. The browser walk is in tests/browser/test_public_by_group.py."""

from __future__ import annotations

from reporting import programmes
from reporting.engine.strata import STRATIFIERS
from reporting.publication.strata import TITLES, stratum_label
from tests.browser.test_public_by_group import check_cell
from tests.interop.test_fhir import publish
from tests.web.test_by_group import tables_of


def test_every_measure_by_group_equals_the_published_strata(example):
    from measures import REGISTRY
    from reporting.interop.published import published
    from reporting.publication.strata_release import published_strata
    from reporting.storage import db

    publish(example)
    with example.app_context():
        pub = published(db.session, "2015Q2")
        frame = published_strata(db.session, pub)
        threshold, measures = pub.programme.disclosure_threshold, list(pub.programme.measures)
    client = example.test_client()
    checked = 0
    for mid in measures:
        m = REGISTRY[mid]
        r = client.get(f"/public/ma-one-care/2015Q2/by-group?measure={mid}")
        assert r.status_code == 200 and "max-age" in r.headers["Cache-Control"]
        tables = tables_of(r.get_data(as_text=True))
        rows = frame[frame["measure_id"] == mid].set_index(["ico", "stratifier", "stratum"])
        for name, values in STRATIFIERS.items():
            table = tables[f"by-group-{name}"]
            assert table[0] == [TITLES[name], "Health Alliance", "Harbor Care", "Statewide"]
            for line, stratum in zip(table[1:], values, strict=True):
                assert line[0] == stratum_label(stratum, programmes.get("ma-one-care"))
                for text, code in zip(line[1:], ["HA", "HB", "STATEWIDE"], strict=True):
                    check_cell(text, rows.loc[(code, name, stratum)], m, code, threshold)
                    checked += 1
    assert checked == len(frame)  # every published stratum, each once
    for path in (
        "/public/ma-one-care/2015Q2/by-group?measure=nope",
        "/public/ma-one-care/2015Q3/by-group",  # computed, never published
        "/public/mi-health-link/2015Q2/by-group",  # nothing of that programme published
        "/public/no-such-programme/2015Q2/by-group",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Traceback" not in r.get_data(as_text=True)
