"""An administrator adds an ICO to a programme on the page: the state follows the programme, and an ICO of another
state never joins a programme (so never its statewide figures) by default."""

from sqlalchemy import select

from reporting.storage import db
from reporting.storage.models import Organization
from tests.conftest import csrf_token, login


def test_an_ico_added_on_the_page_joins_the_programme_chosen(world):
    client = world.test_client()
    login(client, "admin@example.org")
    page = client.get("/admin/icos").get_data(as_text=True)
    assert "Massachusetts One Care (MA)" in page and "MI Health Link (MI)" in page
    form = {"code": "NEWMI", "name": "Lakes Care", "programme": "mi-health-link", "state": ""}
    r = client.post("/admin/icos", data=form | {"csrf_token": csrf_token(client, "/admin/icos")}, follow_redirects=True)
    assert "ICO NEWMI created." in r.get_data(as_text=True)
    # a New York ICO in One Care is refused, with what to do
    form = {"code": "NY1", "name": "Empire Care", "programme": "ma-one-care", "state": "NY"}
    r = client.post("/admin/icos", data=form | {"csrf_token": csrf_token(client, "/admin/icos")}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "an ICO in NY belongs to a programme of NY" in text
    with world.app_context():
        orgs = {o.code: o for o in db.session.scalars(select(Organization))}
        assert orgs["NEWMI"].programme_id == "mi-health-link" and orgs["NEWMI"].state == "MI"
        assert "NY1" not in orgs
