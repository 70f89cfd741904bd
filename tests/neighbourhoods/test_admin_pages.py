"""The neighbourhoods admin pages (issue 18, point 1) over HTTP: who may open which page, adding a
neighbourhood through the form, refusals that keep the input and store nothing, settings.

Every name, e-mail address and link here is fictional test data.
"""

from __future__ import annotations

import json
import re

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, Group, Neighbourhood, Role

HOORNES_CODES = ("BU05370103", "BU05370104")


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _hood(slug: str) -> Neighbourhood | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug))


def _checked(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]*value="(BU\d+)"[^>]*\bchecked\b', html))


def _add(client, **fields):
    data = {"name": "Hoornes", "groups": "per-buurt", "buurten": list(HOORNES_CODES)}
    data.update(fields)
    return client.post("/beheer/buurten/nieuw", data=data, content_type="multipart/form-data")


@pytest.fixture
def gemeente(make_user, login):
    """A gemeente-wide coordinator (no neighbourhood), logged in."""
    user = make_user(Role.COORDINATOR)
    login(user)
    return user


# --- who may open what -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_non_coordinators_get_403(client, make_user, login, groups):
    assert client.get("/beheer/buurten/").status_code == 302
    assert client.get("/beheer/buurten/nieuw").status_code == 302
    for role, member_of in ((Role.BEHEERDER, groups[:1]), (Role.WIJKAGENT, ())):
        client.post("/uitloggen")
        login(make_user(role, groups=member_of))
        for path in ("/beheer/buurten/", "/beheer/buurten/nieuw", "/beheer/buurten/rijnsoever"):
            assert client.get(path).status_code == 403, (role, path)


def test_coordinator_of_rijnsoever_sees_only_rijnsoever(client, make_user, login, rijnsoever, hoornes):
    login(make_user(Role.COORDINATOR, neighbourhood=rijnsoever))
    html = client.get("/beheer/buurten/").get_data(as_text=True)
    assert "Rijnsoever" in html
    assert "BuurtAlarm Rijnsoever-West" in html
    assert "Hoornes" not in html
    assert "/beheer/buurten/nieuw" not in html  # no "Buurt toevoegen" for a scoped coordinator
    assert client.get("/beheer/buurten/hoornes").status_code == 403
    assert client.post("/beheer/buurten/hoornes", data={"name": "Overgenomen"}).status_code == 403
    assert client.get("/beheer/buurten/nieuw").status_code == 403
    assert _add(client, name="Stiekem", slug="stiekem").status_code == 403
    assert _hood("stiekem") is None
    assert _hood("hoornes").name == "Hoornes"
    assert client.get("/beheer/buurten/rijnsoever").status_code == 200
    assert client.get("/beheer/buurten/nergens").status_code == 404


def test_gemeente_coordinator_and_admin_see_every_neighbourhood(client, make_user, login, hoornes):
    for user in (make_user(Role.COORDINATOR), make_user(Role.ADMIN)):
        client.post("/uitloggen")
        login(user)
        html = client.get("/beheer/buurten/").get_data(as_text=True)
        # each neighbourhood under its own heading: its groups (names repeat across neighbourhoods) below it
        assert html.index(">Rijnsoever<") < html.index("BuurtAlarm Rijnsoever-West") < html.index(">Hoornes<")
        assert html.index(">Hoornes<") < html.index("BuurtAlarm Hoornes-West")
        assert 'href="/beheer/buurten/nieuw"' in html
        assert 'href="/hoornes/"' in html
        assert 'href="/beheer/gebieden?buurt=hoornes"' in html
        group = hoornes.groups[0]
        assert f'href="/beheer/groep/{group.id}/instellingen"' in html
        assert client.get("/beheer/buurten/hoornes").status_code == 200
        assert client.get("/beheer/buurten/nieuw").status_code == 200


def test_index_shows_counts_and_invite_link_state(client, gemeente, hoornes, make_user):
    west, _oost = hoornes.groups
    west.invite_link = "https://chat.whatsapp.com/ABCDEFGHIJ1234"
    west.capacity = 100
    make_user(Role.BEHEERDER, groups=[west])
    db.session.commit()
    html = client.get("/beheer/buurten/").get_data(as_text=True)
    row = html[html.index("BuurtAlarm Hoornes-West") :]
    row = row[: row.index("</tr>")]
    assert "0 / 100" in row
    assert "ingesteld" in row
    assert ">1 " in row
    assert "ABCDEFGHIJ1234" not in html  # the page says whether a link is set, never the link
    row = html[html.index("BuurtAlarm Hoornes-Oost") :]
    assert "ontbreekt" in row[: row.index("</tr>")]
    assert "2615" in html  # Hoornes' CBS households


# --- adding ---------------------------------------------------------------------------------------------


def test_new_form_lists_cbs_buurten_by_wijk_with_taken_ones_disabled(client, gemeente, hoornes):
    html = client.get("/beheer/buurten/nieuw").get_data(as_text=True)
    assert html.count('type="checkbox" name="buurten"') == 42
    hoornes_west = re.search(r'<input[^>]*value="BU05370103"[^>]*>', html).group(0)
    assert "disabled" in hoornes_west
    assert "hoort bij Hoornes" in html
    assert "hoort bij Rijnsoever" in html
    dorp = re.search(r'<input[^>]*value="BU05370301"[^>]*>', html).group(0)
    assert "disabled" not in dorp
    assert html.index("<legend>Katwijk Noord</legend>") < html.index("BU05370103")
    assert "CBS / Kadaster" in html


def test_gemeente_coordinator_adds_hoornes_through_the_form(client, gemeente):
    before = _count(Group)
    response = _add(client, contact_email="hoornes@example.org", capacity="200")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("/beheer/buurten/hoornes")
    hood = _hood("hoornes")
    assert hood is not None
    assert hood.name == "Hoornes"
    assert hood.contact_email == "hoornes@example.org"
    assert sorted(hood.buurtcodes) == list(HOORNES_CODES)
    assert len(hood.groups) == 2
    assert _count(Group) == before + 2
    assert {g.capacity for g in hood.groups} == {200}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is toegevoegd, met 2 groepen" in page
    assert "Hoornes-West" in page
    assert "Hoornes-Oost" in page
    assert "1670" in page
    assert "945" in page
    assert client.get("/hoornes/").status_code == 200  # its public page exists
    # the form now shows both buurten as taken
    html = client.get("/beheer/buurten/nieuw").get_data(as_text=True)
    assert "disabled" in re.search(r'<input[^>]*value="BU05370104"[^>]*>', html).group(0)


def test_one_group_or_n_groups(client, gemeente):
    assert _add(client, name="Eén groep", slug="een-groep", groups="one").status_code == 302
    assert len(_hood("een-groep").groups) == 1
    response = _add(client, name="Drie", slug="drie", groups="n", group_count="3", buurten=["BU05370301", "BU05370303"])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert len(_hood("drie").groups) == 3


def test_routing_only_neighbourhood(client, gemeente):
    response = _add(client, routing_only="y", signup_url="https://hoornes.example.org/aanmelden")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    hood = _hood("hoornes")
    assert hood.routing_only
    assert hood.signup_url == "https://hoornes.example.org/aanmelden"


#: (what the form gets beside a valid Hoornes, the Dutch message the page must show)
FORM_REFUSALS = [
    ({"buurten": []}, "Vink een of meer CBS-buurten aan"),
    ({"name": ""}, "Geef de buurt een naam."),
    ({"slug": "Hoornes Zee!"}, "kleine letters, cijfers en streepjes"),
    ({"routing_only": "y", "contact_email": ""}, "eigen aanmeldlink (of een contactadres) nodig"),
    ({"routing_only": "y", "signup_url": "javascript:alert(1)"}, "begint met https://"),
    ({"signup_url": "ftp://example.org/x"}, "begint met https://"),
    ({"groups": "n"}, "Vul in hoeveel groepen"),
    ({"groups": "n", "group_count": "999"}, "Kies 2 tot en met 50 groepen."),
    ({"capacity": "2000"}, "1 tot en met 1024"),
    ({"contact_email": "geen-adres"}, "geen geldig e-mailadres"),
    ({"buurten": ["BU99999999"]}, "Kies buurten uit de lijst."),
]


def test_form_refusals_keep_input_and_store_nothing(client, gemeente):
    """One login for every case (a login costs a deliberately slow password hash)."""
    before = (_count(Neighbourhood), _count(Group))
    for fields, message in FORM_REFUSALS:
        response = _add(client, **{"contact_email": "hoornes@example.org", **fields})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, fields
        assert 'class="error-summary"' in html, fields
        assert message in html, fields
        assert (_count(Neighbourhood), _count(Group)) == before, fields
        if "name" not in fields:
            assert 'value="Hoornes"' in html, fields
        if "buurten" not in fields:
            assert _checked(html) == set(HOORNES_CODES), fields
        if "contact_email" not in fields:
            assert 'value="hoornes@example.org"' in html, fields


def test_taken_buurt_is_refused_naming_its_neighbourhood(client, gemeente, hoornes):
    before = (_count(Neighbourhood), _count(Group))
    response = _add(client, name="Tweede Hoornes", slug="tweede")
    assert response.status_code == 422
    assert "BU05370103 (Hoornes)" in response.get_data(as_text=True)
    assert (_count(Neighbourhood), _count(Group)) == before


def test_service_refusal_shows_its_dutch_reason_keeps_input_and_stores_nothing(client, gemeente):
    before = (_count(Neighbourhood), _count(Group), _count(AuditEntry))
    for slug in ("beheer", "welke-groep", "rijnsoever"):
        response = _add(client, slug=slug, contact_email="hoornes@example.org")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, slug
        summary = html[html.index('class="error-summary"') :]
        summary = summary[: summary.index("</div>")]
        assert slug in summary, summary  # the service's reason names the address that cannot be used
        assert 'value="Hoornes"' in html
        assert f'value="{slug}"' in html
        assert 'value="hoornes@example.org"' in html
        assert _checked(html) == set(HOORNES_CODES)
        assert (_count(Neighbourhood), _count(Group), _count(AuditEntry)) == before


def test_script_in_the_name_is_escaped(client, gemeente):
    name = '<script>alert("buurt")</script> Zee'
    response = _add(client, name=name, slug="zee", buurten=["BU05370301"], groups="one")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _hood("zee").name == name
    for path in ("/beheer/buurten/", "/beheer/buurten/zee"):
        html = client.get(path).get_data(as_text=True)
        assert '<script>alert("buurt")' not in html
        assert "&lt;script&gt;alert(" in html


def _feature_collection(code: str) -> dict:
    from buurt.areas.services import gemeente_buurten

    feature = next(f for f in gemeente_buurten() if f["properties"]["buurtcode"] == code)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"naam": "Dorp (testbestand)"}, "geometry": feature["geometry"]}
        ],
    }


def test_boundary_file_adds_a_neighbourhood(client, gemeente):
    import io

    data = json.dumps(_feature_collection("BU05370301")).encode()
    response = _add(
        client, name="Dorp", slug="dorp", buurten=[], groups="one", boundary=(io.BytesIO(data), "dorp.geojson")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    hood = _hood("dorp")
    assert hood is not None
    assert len(hood.groups) == 1
    assert not hood.buurtcodes


def test_huge_upload_is_refused_with_a_dutch_message(client, gemeente, app):
    import io

    # small limits: the test client spools larger bodies to files (the mechanism is the same)
    app.config["AREA_UPLOAD_MAX_BYTES"] = limit = 3000
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    before = _count(Neighbourhood)
    padded = b'{"type": "FeatureCollection", "features": [], "x": "' + b"a" * limit + b'"}'
    response = _add(client, name="Groot", slug="groot", buurten=[], boundary=(io.BytesIO(padded), "groot.geojson"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Het bestand is groter dan 3 kB." in html
    assert 'value="Groot"' in html
    # beyond the request limit the site's own Dutch 413 page answers before the view
    response = _add(client, name="Groter", slug="groter", buurten=[], boundary=(io.BytesIO(padded * 8), "x.geojson"))
    assert response.status_code == 413
    assert "Het bestand is te groot" in response.get_data(as_text=True)
    assert _count(Neighbourhood) == before


def test_both_buurten_and_a_file_is_refused(client, gemeente):
    import io

    data = json.dumps(_feature_collection("BU05370301")).encode()
    response = _add(client, boundary=(io.BytesIO(data), "dorp.geojson"))
    assert response.status_code == 422
    assert "niet allebei" in response.get_data(as_text=True)


def test_a_post_without_csrf_token_stores_nothing(client, gemeente, app):
    app.config["WTF_CSRF_ENABLED"] = True
    before = _count(Neighbourhood)
    response = _add(client)
    assert response.status_code == 400
    assert "Het formulier was verlopen" in response.get_data(as_text=True)
    assert _count(Neighbourhood) == before


# --- one neighbourhood's settings -------------------------------------------------------------------------


def test_coordinator_of_hoornes_changes_its_settings(client, make_user, login, hoornes):
    login(make_user(Role.COORDINATOR, neighbourhood=hoornes))
    html = client.get("/beheer/buurten/hoornes").get_data(as_text=True)
    assert 'name="sort_order"' not in html  # the gemeente page's order is the gemeente's
    for group in hoornes.groups:
        assert f'href="/beheer/groep/{group.id}/instellingen"' in html
    response = client.post(
        "/beheer/buurten/hoornes",
        data={
            "name": "Hoornes (Katwijk)",
            "contact_email": "nieuw@example.org",
            "routing_only": "y",
            "signup_url": "https://hoornes.example.org/aanmelden",
        },
    )
    assert response.status_code == 302
    hood = _hood("hoornes")
    assert (hood.name, hood.contact_email, hood.routing_only, hood.signup_url) == (
        "Hoornes (Katwijk)",
        "nieuw@example.org",
        True,
        "https://hoornes.example.org/aanmelden",
    )
    assert "zijn opgeslagen" in client.get("/beheer/buurten/hoornes").get_data(as_text=True)


def test_invalid_settings_keep_input_and_change_nothing(client, gemeente, hoornes):
    response = client.post(
        "/beheer/buurten/hoornes",
        data={"name": "Andere naam", "contact_email": "x@example.org", "routing_only": "y", "signup_url": "data:x"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "begint met https://" in html
    assert 'value="Andere naam"' in html
    assert 'value="data:x"' in html
    hood = _hood("hoornes")
    assert (hood.name, hood.contact_email, hood.routing_only) == ("Hoornes", "hoornes@example.org", False)


def test_gemeente_coordinator_sets_the_order(client, gemeente, hoornes):
    assert 'name="sort_order"' in client.get("/beheer/buurten/hoornes").get_data(as_text=True)
    response = client.post("/beheer/buurten/hoornes", data={"name": "Hoornes", "sort_order": "7"})
    assert response.status_code == 302
    assert _hood("hoornes").sort_order == 7
