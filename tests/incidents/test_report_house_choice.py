"""An incident at a number with several addresses (issue 14, point 2): a Dutch answer with a way
forward (the toevoeging or the map), never a 500; with the toevoeging the report is stored.

Fictional register: tests.house_choice_support (Proefstraat 7-1, 7-2, 7-3A, 2221 CM).
"""

from __future__ import annotations

from buurt.extensions import db
from buurt.models import Incident
from tests.house_choice_support import make_proefstraat
from tests.incidents.conftest import report_data, reported
from tests.link_support import submit_link


def incidents():
    return list(db.session.scalars(db.select(Incident)))


def test_a_bare_number_of_a_flat_asks_for_the_toevoeging_or_the_map(client, resident_link, make_address):
    make_proefstraat(make_address)
    response = submit_link(client, resident_link, data=report_data(lat="", lon="", address="2221 CM 7"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Adressen op Proefstraat 7: 7-1, 7-2, 7-3a. Kies het huisnummer met toevoeging of klik op de kaart." in html
    assert incidents() == []


def test_with_the_toevoeging_the_report_is_stored(client, resident_link, make_address):
    make_proefstraat(make_address)
    response = submit_link(client, resident_link, data=report_data(lat="", lon="", address="Proefstraat 7-2"))
    assert reported(response), response.get_data(as_text=True)
    [incident] = incidents()
    assert incident.location_label == "Proefstraat"
    assert incident.area.key == "rijnsoever-west"


def test_a_long_list_is_cut_short_in_the_message(app, make_address):
    from buurt.incidents.errors import IncidentError
    from buurt.incidents.reports import resolve_location

    make_proefstraat(make_address, flats=20)
    with app.test_request_context():
        try:
            resolve_location(None, None, "2221CM 20")
        except IncidentError as error:
            message = error.message
        else:
            raise AssertionError("no error")
    assert "Adressen op Proefstraat 20: 20-1, 20-2, 20-3, " in message
    assert "20-12 en 8 andere. Kies" in message
