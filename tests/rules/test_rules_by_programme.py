"""The Rules pages show one programme's rule sets: a reviewer chooses among the programmes they may see, a state
reviewer never reaches another state's rules or a draft's impact on its plans."""

from reporting import programmes
from reporting.rules import store
from reporting.storage import db
from tests.conftest import csrf_token, login


def _seed_michigan():
    with db.transaction() as s:
        store.seed_programme(s, programmes.get("mi-health-link"))
        draft = store.create_draft(s, 2015, "test", programme_id="mi-health-link")
        return draft.id


def test_each_programme_has_its_own_rules_page(world, make_user):
    with world.app_context():
        draft_id = _seed_michigan()
    make_user("mi@example.org", "state_reviewer", state="MI")
    cms = world.test_client()
    login(cms, "cms@example.org")
    mi = cms.get("/rules/?programme=mi-health-link&year=2015").get_data(as_text=True)
    assert "MI Health Link" in mi and "community_residence" not in mi  # a measure One Care has and MI does not (its id)
    ma = cms.get("/rules/?year=2015&programme=ma-one-care").get_data(as_text=True)
    assert "Massachusetts One Care" in ma and "community_residence" in ma

    # a new draft made on Michigan's page is Michigan's
    r = cms.post(
        "/rules/drafts?programme=mi-health-link",
        data={"year": "2015", "csrf_token": csrf_token(cms, "/rules/?programme=mi-health-link")},
    )
    assert r.status_code == 302
    with world.app_context():
        newest = store.history(db.session, 2015, "mi-health-link")
        assert any(rs.status == "draft" and rs.id != draft_id for rs in newest)
        assert all(rs.status != "draft" for rs in store.history(db.session, 2015, "ma-one-care"))

    # the Massachusetts reviewer reaches neither Michigan's rules nor its draft's impact
    ma_reviewer = world.test_client()
    login(ma_reviewer, "state@example.org")
    assert ma_reviewer.get("/rules/?programme=mi-health-link").status_code == 403
    assert ma_reviewer.get(f"/rules/{draft_id}/impact").status_code == 403
    assert ma_reviewer.get(f"/rules/{draft_id}/impact.csv").status_code == 403
    # and the Michigan reviewer sees Michigan's by default
    mi_reviewer = world.test_client()
    login(mi_reviewer, "mi@example.org")
    page = mi_reviewer.get("/rules/").get_data(as_text=True)
    assert "MI Health Link" in page and "community_residence" not in page
    impact = mi_reviewer.get(f"/rules/{draft_id}/impact")  # reached: there are no results of 2015 to weigh yet
    said = impact.get_data(as_text=True)
    assert impact.status_code == 404 and "no results of MI Health Link for 2015" in said
    assert "flask" not in said and "impact cannot be shown" in said  # words for a web user, not a command line
