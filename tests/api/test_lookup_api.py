"""POST /api/v1/lookup: geocode an address (a JSON body) and assign a group; clear JSON errors; rate-limited."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from buurt.areas.services import seed_default_neighbourhood
from buurt.extensions import db
from tests.conftest import _reset_schema, make_test_app

OOST = (52.2093, 4.4325)
HOORNES = (52.2060, 4.4120)  # in the gemeente, in no area of Rijnsoever, ~300 m from Rijnsoever-West
NORTH_SEA = (52.2300, 4.4000)  # outside the gemeente


def lookup(client, **body):
    return client.post("/api/v1/lookup", json=body)


@pytest.fixture
def addresses(make_address):
    make_address(postcode="2221ZA", number=12, letter="A", lat=OOST[0], lon=OOST[1], street="Fictieweg")
    make_address(postcode="2221ZH", number=3, lat=HOORNES[0], lon=HOORNES[1], street="Buitenverzinpad")
    make_address(postcode="2221ZK", number=1, lat=NORTH_SEA[0], lon=NORTH_SEA[1], street="Zeezicht")


def test_lookup_by_postcode_and_number(client, groups, addresses):
    response = lookup(client, postcode="2221za", huisnummer="12", toevoeging="a")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "found"
    assert body["group"]["name"] == groups[4].name
    assert body["area"]["key"] == "rijnsoever-oost"
    assert body["source"] == "register"
    assert body["lat"] == pytest.approx(OOST[0])
    assert body["has_room"] is True


def test_lookup_free_text(client, groups, addresses):
    body = lookup(client, q="Fictieweg 12a").get_json()
    assert body["status"] == "found"
    assert body["group"]["id"] == groups[4].id


def test_lookup_outside_every_area_and_the_gemeente(client, addresses):
    response = lookup(client, postcode="2221ZK", huisnummer="1")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == "outside"
    assert body["nearest_group"]["name"]
    assert body["nearest_neighbourhood"]["slug"] == "rijnsoever"


def test_lookup_between_neighbourhoods_gets_the_nearest_group(client, app, addresses):
    """In the gemeente, in no area, within NEAREST_GROUP_MAX_M of one (issue 18): found, "nearest"."""
    response = lookup(client, postcode="2221ZH", huisnummer="3")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "found"
    assert body["nearest"] is True
    assert body["neighbourhood"]["slug"] == "rijnsoever"
    assert 0 < body["distance_m"] <= app.config["NEAREST_GROUP_MAX_M"]
    assert body["message"].startswith("Uw adres valt tussen twee buurten; de dichtstbijzijnde groep is ")


def test_lookup_unknown_address(client, addresses):
    response = lookup(client, postcode="2221ZA", huisnummer=99)
    assert response.status_code == 404
    assert response.get_json()["status"] == "unknown"


@pytest.mark.parametrize(
    "body",
    [
        {"postcode": "0221AB", "huisnummer": "1"},
        {"postcode": "2221SS", "huisnummer": "1"},
        {"postcode": "2221AB", "huisnummer": "nul"},
        {},
        {"q": "x" * 300},
        {"postcode": ["2221AB"], "huisnummer": "1"},
        {"postcode": "2221AB", "huisnummer": True},
        {"postcode": "2221AB", "huisnummer": "1", "toevoeging": "x" * 11},
        ["2221AB", "1"],
        "2221AB 1",
        None,
    ],
)
def test_lookup_invalid_input_is_400_with_reason(client, body):
    response = client.post("/api/v1/lookup", json=body)
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == "invalid"
    assert body["message"]


class _Broken(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_lookup_geocoder_unavailable_is_503(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = make_test_app(
            tmp_path,
            GEOCODER_CHAIN=("register", "pdok"),
            PDOK_URL=f"http://127.0.0.1:{server.server_port}/bzk/locatieserver/search/v3_1",
            GEOCODER_MIN_DELAY=0,
        )
        with app.app_context():
            _reset_schema()
            seed_default_neighbourhood()
            response = lookup(app.test_client(), postcode="2221ZA", huisnummer="1")
            db.session.remove()
            db.engine.dispose()
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert "niet bereikbaar" in body["message"]


@pytest.fixture
def app_config(request):
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOOKUP": "3 per minute"} if "ratelimit" in request.node.name else {}


def test_lookup_ratelimit_per_client(client, addresses):
    codes = [lookup(client, postcode="2221ZA", huisnummer="12", toevoeging="a").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert lookup(client, postcode="2221ZA", huisnummer="12").get_json()["status"] == 429
