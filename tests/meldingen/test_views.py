"""The meldingen pages: entering, the result page, forwarding, closing, the list, and who may do what."""

import pytest

from buurt.extensions import db
from buurt.geo.folium_assets import external_assets
from buurt.models import AuditEntry, Melding

POLICE = "Politiebericht: verdachte man met zwarte scooter bij de Fictieweg te Katwijk. Informatie? Bel 112."


@pytest.fixture
def west_melding(make_melding):
    return make_melding(lat=52.2127, lon=4.413965, radius=100)  # target: West; neighbours: the others


def form_data(**overrides):
    data = {
        "received_text": POLICE,
        "category": "verdachte_situatie",
        "occurred_at": "2025-03-04T14:05",
        "location": "",
        "lat": "52.213456",
        "lon": "4.424538",
        "radius_m": "100",
    }
    data.update(overrides)
    return data


def test_new_form_defaults(client, login, coordinator):
    login(coordinator)
    html = client.get("/meldingen/nieuw").get_data(as_text=True)
    assert 'name="radius_m"' in html
    assert 'value="500"' in html
    assert "Woninginbraak" in html
    assert "Aanrijding met vluchtmisdrijf" in html
    assert "/static/vendor/leaflet/leaflet.js" in html


def test_enter_a_melding_with_a_map_point(client, login, coordinator):
    login(coordinator)
    response = client.post("/meldingen/nieuw", data=form_data())
    assert response.status_code == 302
    melding = db.session.scalar(db.select(Melding))
    assert response.headers["Location"].endswith(f"/meldingen/{melding.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert html.index("BuurtAlarm Rijnsoever-Noord") < html.index("Buurgroepen om te overwegen")
    assert 'Kopieer<span class="visually-hidden"> tekst voor BuurtAlarm Rijnsoever-Noord' in html
    assert "Ziet u iets verdachts? Bel eerst 112, meld het daarna in de groep." in html
    assert 'Doorgestuurd<span class="visually-hidden"> naar BuurtAlarm Rijnsoever-Noord' in html  # the forward button
    assert "Nog niet doorgestuurd naar:" in html


def test_enter_a_melding_by_street(client, login, coordinator, make_address):
    make_address("2221ZA", 1, 52.2127, 4.413965, street="Fictieweg")
    login(coordinator)
    response = client.post("/meldingen/nieuw", data=form_data(location="Fictieweg", lat="", lon=""))
    assert response.status_code == 302
    melding = db.session.scalar(db.select(Melding))
    assert melding.location_kind == "straat"
    assert melding.location_street == "Omgeving Fictieweg, Katwijk"


def test_validation_errors_are_dutch_and_keep_what_was_typed(client, login, coordinator):
    login(coordinator)
    response = client.post(
        "/meldingen/nieuw",
        data=form_data(lat="", lon="", radius_m="20", received_text="Mijn <b>tekst</b>", occurred_at="gisteren"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kies een straal tussen 100 en 5000 meter." in html
    assert "Vul een adres of straat in, of klik op de kaart." in html
    assert "Mijn &lt;b&gt;tekst&lt;/b&gt;" in html
    assert db.session.scalar(db.select(Melding)) is None


def test_unknown_location_and_bad_input_never_500(client, login, coordinator):
    login(coordinator)
    for data in (
        form_data(location="Bestaatnietstraat 12", lat="", lon=""),
        form_data(lat="not-a-number", lon="NaN"),
        form_data(radius_m="abc"),
        form_data(category="onzin"),
        form_data(received_text="x" * 5000),
        form_data(occurred_at="2999-01-01T00:00"),
    ):
        response = client.post("/meldingen/nieuw", data=data)
        assert response.status_code == 422, data
    assert db.session.scalar(db.select(Melding)) is None


def test_suggestion_without_javascript(client, login, coordinator, make_address):
    make_address("2221ZA", 1, 52.2127, 4.413965, street="Fictieweg")
    login(coordinator)
    html = client.post("/meldingen/nieuw", data=form_data(lat="", lon="", action="suggest")).get_data(as_text=True)
    assert "Gebruik Fictieweg, Katwijk als locatie" in html
    html = client.post("/meldingen/nieuw", data=form_data(lat="", lon="", use_location="Fictieweg, Katwijk")).get_data(
        as_text=True
    )
    assert 'value="Fictieweg, Katwijk"' in html
    assert db.session.scalar(db.select(Melding)) is None


def test_suggestion_json(client, login, coordinator, make_address):
    make_address("2221ZA", 1, 52.2127, 4.413965, street="Fictieweg")
    login(coordinator)
    answer = client.post("/meldingen/locatie-voorstel", json={"text": POLICE}).get_json()
    assert answer == {"suggestions": [{"value": "Fictieweg, Katwijk", "label": "Fictieweg, Katwijk"}]}
    assert client.post("/meldingen/locatie-voorstel", data="rommel").get_json() == {"suggestions": []}


def test_map_document(client, login, coordinator, west_melding):
    login(coordinator)
    response = client.get(f"/meldingen/{west_melding.id}/kaart")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert external_assets(html) == []
    assert "L.circle(" in html
    assert "BuurtAlarm Rijnsoever-West" in html
    assert '"dashArray": "6 6"' in html  # neighbours dashed


def test_forward_and_close_through_the_pages(client, login, coordinator, west_melding, groups):
    login(coordinator)
    west = groups[0]
    response = client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{west.id}")
    assert response.status_code == 302
    html = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert "Door Coördinator Fictief op" in html
    assert "Naar alle doelgroepen doorgestuurd." in html
    response = client.post(f"/meldingen/{west_melding.id}/afmelden", data={"result": "gevonden", "note": "Opgelost."})
    assert response.status_code == 302
    html = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert 'Kopieer<span class="visually-hidden"> afmelding voor BuurtAlarm Rijnsoever-West' in html
    assert "Afgemeld: gevonden" in html
    assert client.post(f"/meldingen/{west_melding.id}/afmelding-doorgestuurd/{west.id}").status_code == 302
    html = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert '<span class="badge ok">Afmelding doorgestuurd</span>' in html
    assert html.count('class="event-') == 4
    assert client.post(f"/meldingen/{west_melding.id}/doorgestuurd/999").status_code == 404
    assert client.get("/meldingen/999").status_code == 404


def test_close_needs_a_result(client, login, coordinator, west_melding):
    login(coordinator)
    response = client.post(f"/meldingen/{west_melding.id}/afmelden", data={"result": "", "note": "x"})
    assert response.status_code == 422
    assert "Kies het resultaat." in response.get_data(as_text=True)
    assert west_melding.is_open


# --- permissions --------------------------------------------------------------------------------


def test_beheerder_of_a_target_group_may_forward(client, login, make_user, west_melding, groups):
    """The forward is stored (who, when, audit) and shown; into someone else's group nothing changes."""
    from buurt.meldingen.services import get_target

    beheerder = make_user("beheerder", groups=[groups[0]], name="Beheerder West")
    login(beheerder)
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert "Nog niet doorgestuurd naar:" in page
    response = client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meldingen/{west_melding.id}#groep-{groups[0].id}")
    db.session.expire_all()
    west = get_target(west_melding, groups[0].id)
    assert west.forwarded_at is not None
    assert west.forwarded_by_id == beheerder.id
    forwards = db.session.scalars(db.select(AuditEntry).filter_by(action="melding.forward")).all()
    assert [(e.target_id, e.details) for e in forwards] == [
        (west_melding.id, {"group_id": groups[0].id, "neighbour": False})
    ]
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert "Door Beheerder West op" in page
    assert "Naar alle doelgroepen doorgestuurd." in page
    # ... but not into a neighbour group that is not theirs: refused, and nothing is stored
    assert client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[1].id}").status_code == 403
    db.session.expire_all()
    assert get_target(west_melding, groups[1].id).forwarded_at is None
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).filter_by(action="melding.forward")) == 1


def test_beheerder_of_a_non_target_group_gets_403(client, login, make_user, west_melding, groups):
    login(make_user("beheerder", groups=[groups[4]]))  # Oost
    assert client.get(f"/meldingen/{west_melding.id}").status_code == 403
    assert client.get(f"/meldingen/{west_melding.id}/kaart").status_code == 403
    assert client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}").status_code == 403
    assert client.post(f"/meldingen/{west_melding.id}/afmelden", data={"result": "gevonden"}).status_code == 403
    assert "BuurtAlarm Rijnsoever-West" not in client.get("/meldingen/").get_data(as_text=True)


def test_wijkagent_reads_but_has_no_forms(client, login, make_user, west_melding, groups):
    login(make_user("wijkagent"))
    html = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert 'Kopieer<span class="visually-hidden"> tekst voor BuurtAlarm Rijnsoever-West' in html
    assert '<form method="post" action="/meldingen/' not in html
    assert "Melding afsluiten" not in html
    assert "data-share" not in html  # nothing to forward: no share links either
    assert client.get("/meldingen/").status_code == 200
    assert client.get("/meldingen/nieuw").status_code == 403
    assert client.post("/meldingen/nieuw", data=form_data()).status_code == 403
    assert client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}").status_code == 403
    assert client.post(f"/meldingen/{west_melding.id}/afmelden", data={"result": "gevonden"}).status_code == 403
    assert client.post("/meldingen/locatie-voorstel", json={"text": "x"}).status_code == 403
    assert west_melding.targets[0].forwarded_at is None


def test_anonymous_is_sent_to_login(client, west_melding):
    for path in ("/meldingen/", f"/meldingen/{west_melding.id}", "/meldingen/nieuw"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/inloggen" in response.headers["Location"]


def test_beheerder_sees_a_melding_they_entered_outside_their_groups(client, login, make_user, groups):
    beheerder = make_user("beheerder", groups=[groups[4]])
    login(beheerder)
    response = client.post("/meldingen/nieuw", data=form_data(lat="52.2127", lon="4.413965"))  # West
    assert response.status_code == 302
    melding = db.session.scalar(db.select(Melding))
    assert melding.created_by_id == beheerder.id
    assert [t.group_id for t in melding.targets if not t.is_neighbour] == [groups[0].id]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert POLICE in page.get_data(as_text=True)
    assert f'href="/meldingen/{melding.id}"' in client.get("/meldingen/").get_data(as_text=True)


def test_csrf_is_required(app, client, login, coordinator, west_melding, groups):
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/inloggen").get_data(as_text=True)
    from tests.conftest import PASSWORD, csrf_token_from

    client.post(
        "/inloggen", data={"email": coordinator.email, "password": PASSWORD, "csrf_token": csrf_token_from(login_page)}
    )
    response = client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}")
    assert response.status_code == 400
    assert west_melding.targets[0].forwarded_at is None
    from flask import g

    g.pop("csrf_token", None)  # the app fixture's app context (and g) outlives requests; drop the stale token
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="melding.forward")) is not None


# --- list and filters ---------------------------------------------------------------------------


def test_list_filters(app, client, login, coordinator, make_melding, groups):
    west = make_melding(lat=52.2127, lon=4.413965, radius=100, category="woninginbraak")
    oost = make_melding(lat=52.208642, lon=4.42939, radius=100, category="overval")
    from buurt.meldingen import services

    with app.test_request_context():
        services.close_melding(oost, coordinator, "ingetrokken", None)
    login(coordinator)

    def rows(**args):
        html = client.get("/meldingen/", query_string=args).get_data(as_text=True)
        return [m.id for m in (west, oost) if f'href="/meldingen/{m.id}"' in html]

    assert rows() == [west.id, oost.id]
    assert rows(category="woninginbraak") == [west.id]
    assert rows(group=str(groups[4].id)) == [oost.id]
    assert rows(status="open") == [west.id]
    assert rows(status="closed") == [oost.id]
    assert rows(since="2025-03-05") == []
    assert rows(since="2025-03-04", until="2025-03-04") == [west.id, oost.id]
    assert rows(until="2025-03-03") == []
    # nonsense never 500s
    response = client.get(
        "/meldingen/", query_string={"since": "morgen", "group": "x", "category": "y", "pagina": "-3"}
    )
    assert response.status_code == 200


def test_melding_outside_every_area_says_so(client, login, coordinator, make_melding):
    melding = make_melding(lat=52.2030, lon=4.3950, radius=100)  # Katwijk aan Zee
    login(coordinator)
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert "Geen groep binnen 100 m; dichtstbijzijnde: BuurtAlarm Rijnsoever-" in html
    assert client.get(f"/meldingen/{melding.id}/kaart").status_code == 200
