"""geocoding, online adapters against a fake HTTP service on 127.0.0.1 (never the internet)."""

import json
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from buurt.geo.addresses import HouseNumber
from buurt.geo.chain import build_chain
from buurt.geo.geocoding import AddressQuery, GeocoderUnavailable, HouseChoiceNeeded
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.online import house_from_parts
from buurt.geo.pdok import PDOKGeocoder, PDOKLocatieserver
from buurt.geo.register import MemoryRegister
from tests.geocoder_support import SteppingClock

# ---------------------------------------------------------------------------------------------
# Fake HTTP service on 127.0.0.1


@dataclass(frozen=True)
class Reply:
    """What the fake service answers: status, JSON body (or raw text) and a delay in seconds."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    raw: str | None = None


@dataclass(frozen=True)
class SeenRequest:
    """One request the fake service received."""

    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str) -> str:
        """The single value of a query parameter."""
        (value,) = self.params[name]
        return value


@dataclass
class FakeService:
    """A tiny HTTP server; set ``reply`` to choose the answer for each request."""

    host: str = "127.0.0.1"
    port: int = 0
    reply: Callable[[SeenRequest], Reply] = lambda _request: Reply(404, {"error": "no reply configured"})
    requests: list[SeenRequest] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT`` (geopy's ``domain``)."""
        return f"{self.host}:{self.port}"

    def answer(self, *replies: Reply) -> None:
        """Answer the given replies in order, repeating the last one."""
        queue = list(replies)

        def next_reply(_request: SeenRequest) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.reply = next_reply


def _handler_for(service: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = SeenRequest(parts.path, parse_qs(parts.query), dict(self.headers.items()))
            service.requests.append(request)
            reply = service.reply(request)
            if reply.delay:
                service.stop.wait(reply.delay)
            body = (reply.raw if reply.raw is not None else json.dumps(reply.body)).encode("utf-8")
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a (slow) DNS lookup; not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out closes its socket; not a test failure


@pytest.fixture
def fake_service() -> Iterator[FakeService]:
    """A fake geocoding service on 127.0.0.1 (free port), stopped after the test."""
    service = FakeService()
    server = _QuietServer(("127.0.0.1", 0), _handler_for(service))
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def refused_port() -> int:
    """A local port nobody listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------

USER_AGENT = "buurt-tests/1.0 (beheer@example.invalid)"
PDOK_PATH = "/bzk/locatieserver/search/v3_1"


def pdok_doc(number=12, letter=None, addition=None, postcode="2221AB", lon=4.4201, lat=52.2101, street="Voorbeeldlaan"):
    house = f"{number}{letter or ''}{'-' + addition if addition else ''}"
    doc = {
        "type": "adres",
        "weergavenaam": f"{street} {house}, {postcode[:4]}{postcode[4:]} Katwijk",
        "centroide_ll": f"POINT({lon} {lat})",
        "centroide_rd": "POINT(88875.5 469552.1)",
        "postcode": postcode,
        "huisnummer": number,
        "straatnaam": street,
        "woonplaatsnaam": "Katwijk",
        "score": 7.5,
    }
    if letter:
        doc["huisletter"] = letter
    if addition:
        doc["huisnummertoevoeging"] = addition
    return doc


def pdok_reply(*docs):
    return Reply(200, {"response": {"numFound": len(docs), "start": 0, "maxScore": 7.5, "docs": list(docs)}})


def nominatim_place(house_number="12a", postcode="2221 AB", road="Voorbeeldlaan", lat="52.2101", lon="4.4201"):
    return {
        "place_id": 1,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
        "osm_type": "node",
        "osm_id": 1,
        "lat": lat,
        "lon": lon,
        "class": "place",
        "type": "house",
        "display_name": f"{house_number}, {road}, Katwijk, Zuid-Holland, Nederland, {postcode}",
        "address": {
            "house_number": house_number,
            "road": road,
            "town": "Katwijk",
            "state": "Zuid-Holland",
            "postcode": postcode,
            "country": "Nederland",
            "country_code": "nl",
        },
    }


@pytest.fixture
def pdok(fake_service):
    return PDOKGeocoder(
        user_agent=USER_AGENT,
        timeout=0.5,
        domain=fake_service.netloc,
        path=PDOK_PATH,
        scheme="http",
        min_delay_seconds=0,
    )


@pytest.fixture
def nominatim(fake_service):
    return NominatimGeocoder(
        user_agent=USER_AGENT, timeout=0.5, domain=fake_service.netloc, scheme="http", min_delay_seconds=0
    )


# -- PDOK -------------------------------------------------------------------------------------


def test_pdok_finds_the_requested_house(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc(12, "A", "3")))
    result = pdok.geocode(AddressQuery.structured("2221AB", "12a-3"))
    assert (result.lat, result.lon, result.source) == (52.2101, 4.4201, "pdok")
    assert (result.postcode, result.house_number, result.street, result.place) == (
        "2221AB",
        HouseNumber(12, "A", "3"),
        "Voorbeeldlaan",
        "Katwijk",
    )
    assert result.display_name == "Voorbeeldlaan 12A-3, 2221AB Katwijk"
    (request,) = fake_service.requests
    assert request.path == PDOK_PATH + "/free"
    # Issue 14: every address at postcode + number (so a letter typed for a toevoeging, and a
    # number with several toevoegingen, are judged on the complete list); PDOK's maximum rows.
    assert request.param("q") == "postcode:2221AB AND huisnummer:12"
    assert request.param("fq") == "type:adres AND postcode:2221AB AND huisnummer:12"
    assert (request.param("rows"), request.param("start")) == ("100", "0")
    assert request.headers["User-Agent"] == USER_AGENT


def test_pdok_street_query_checks_the_street(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc(3, street="Van Beethovenstraat")))
    result = pdok.geocode(AddressQuery.from_text("v. Beethovenstr. 3, Katwijk"))
    assert result.street == "Van Beethovenstraat"
    assert fake_service.requests[0].param("fq") == "type:adres AND huisnummer:3"
    assert fake_service.requests[0].param("q") == r"v. Beethovenstr. 3, Katwijk"  # free text, escaped
    fake_service.answer(pdok_reply(pdok_doc(3, street="Mozartlaan")))
    assert pdok.geocode(AddressQuery.from_text("v. Beethovenstr. 3, Katwijk")) is None


def test_pdok_not_found(fake_service, pdok):
    fake_service.answer(pdok_reply())
    assert pdok.geocode(AddressQuery.structured("2221AB", 12)) is None


@pytest.mark.parametrize(
    "doc",
    [
        pdok_doc(14),  # neighbour
        pdok_doc(12, postcode="2221AC"),  # same number in another postcode
        {**pdok_doc(12), "type": "weg"},
        {**pdok_doc(12), "centroide_ll": "POINT(52.2101 4.4201)"},  # swapped: outside NL
    ],
)
def test_pdok_rejects_a_different_house(fake_service, pdok, doc):
    fake_service.answer(pdok_reply(doc))
    assert pdok.geocode(AddressQuery.structured("2221AB", "12a")) is None


@pytest.mark.parametrize("doc", [pdok_doc(12, "B"), pdok_doc(12, None, "3")], ids=["other letter", "other addition"])
def test_pdok_offers_the_other_letters_and_additions_not_a_hit(fake_service, pdok, doc):
    # Issue 14: the number exists, but not as typed: a choice (tests/geo/test_online_choice.py)
    fake_service.answer(pdok_reply(doc))
    with pytest.raises(HouseChoiceNeeded) as caught:
        pdok.geocode(AddressQuery.structured("2221AB", "12a"))
    assert caught.value.choice.houses == (house_from_parts(12, doc.get("huisletter"), doc.get("huisnummertoevoeging")),)


def test_pdok_takes_the_matching_doc_among_fuzzy_ones(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc(12), pdok_doc(12, "A", lat=52.2199), pdok_doc(14, "A")))
    assert pdok.geocode(AddressQuery.structured("2221AB", "12A")).lat == 52.2199


def test_pdok_skips_malformed_docs(fake_service, pdok):
    fake_service.answer(pdok_reply({"weergavenaam": "kapot"}, "geen dict", pdok_doc(12)))
    assert pdok.geocode(AddressQuery.structured("2221AB", 12)).lat == 52.2101


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "intern"}),
        Reply(503, {"error": "onderhoud"}),
        Reply(429, {"error": "te veel verzoeken"}),
        Reply(200, raw="<html>geen json</html>"),
    ],
    ids=["500", "503", "429", "not-json"],
)
def test_pdok_server_errors_are_unavailable(fake_service, pdok, reply):
    fake_service.answer(reply)
    with pytest.raises(GeocoderUnavailable) as caught:
        pdok.geocode(AddressQuery.structured("2221AB", 12))
    assert caught.value.message.startswith("De adreszoeker is nu niet bereikbaar")


def test_pdok_timeout_is_unavailable(fake_service, pdok):
    fake_service.answer(Reply(200, {"response": {"docs": []}}, delay=5))
    with pytest.raises(GeocoderUnavailable) as caught:
        pdok.geocode(AddressQuery.structured("2221AB", 12))
    assert "Timed" in caught.value.detail


def test_pdok_connection_refused_is_unavailable(refused_port):
    geocoder = PDOKGeocoder(
        user_agent=USER_AGENT, timeout=0.5, domain=f"127.0.0.1:{refused_port}", scheme="http", min_delay_seconds=0
    )
    with pytest.raises(GeocoderUnavailable):
        geocoder.geocode(AddressQuery.structured("2221AB", 12))


def test_pdok_retries_when_asked(fake_service):
    geocoder = PDOKGeocoder(
        user_agent=USER_AGENT,
        timeout=0.5,
        domain=fake_service.netloc,
        path=PDOK_PATH,
        scheme="http",
        min_delay_seconds=0,
        max_retries=1,
        retry_wait_seconds=0,
    )
    fake_service.answer(Reply(503, {}), pdok_reply(pdok_doc(12)))
    assert geocoder.geocode(AddressQuery.structured("2221AB", 12)).lat == 52.2101
    assert len(fake_service.requests) == 2


def test_failures_never_log_the_address_above_debug(fake_service, pdok, caplog):
    fake_service.answer(Reply(500, {"error": "intern"}))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GeocoderUnavailable):
        pdok.geocode(AddressQuery.structured("2221AB", 12))
    loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert loud  # the failure itself is logged ...
    assert not any("2221" in message for message in loud)  # ... without the address
    assert any("2221" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


@pytest.mark.parametrize(
    ("num_found", "expected"),
    [(7, 7), (0, 0), (None, 3), (-1, 3), ("7", 3)],
    ids=["numFound", "zero", "missing", "negative", "not-a-number"],
)
def test_pdok_locatieserver_reads_one_page(fake_service, num_found, expected):
    docs = [pdok_doc(12), {"weergavenaam": "kapot"}, pdok_doc(14, lat=52.2102)]
    response = {"start": 2, "docs": docs} | ({} if num_found is None else {"numFound": num_found})
    fake_service.answer(Reply(200, {"response": response}))
    client = PDOKLocatieserver(domain=fake_service.netloc, scheme="http", user_agent=USER_AGENT, timeout=1)
    page = client.search("2221AB 12", fq="type:adres", rows=3, start=2)
    # the doc without a centroid is no location, but it counts as a doc of the page (for paging)
    assert [(loc.latitude, loc.longitude, loc.raw["huisnummer"]) for loc in page.locations] == [
        (52.2101, 4.4201, 12),
        (52.2102, 4.4201, 14),
    ]
    assert page.locations[0].address == "Voorbeeldlaan 12, 2221AB Katwijk"
    assert (page.num_found, page.docs) == (expected, 3)
    (request,) = fake_service.requests
    assert request.path == PDOK_PATH + "/free"
    params = {name: request.param(name) for name in ("q", "fq", "rows", "start")}
    assert params == {"q": "2221AB 12", "fq": "type:adres", "rows": "3", "start": "2"}


# -- Nominatim --------------------------------------------------------------------------------


def test_nominatim_structured_street_query(fake_service, nominatim):
    fake_service.answer(Reply(200, [nominatim_place("12a")]))
    result = nominatim.geocode(AddressQuery.from_text("Voorbeeldlaan 12a 2221AB Katwijk"))
    assert (result.lat, result.lon, result.source) == (52.2101, 4.4201, "nominatim")
    assert (result.postcode, result.house_number, result.street, result.place) == (
        "2221AB",
        HouseNumber(12, "A"),
        "Voorbeeldlaan",
        "Katwijk",
    )
    (request,) = fake_service.requests
    assert request.path == "/search"
    assert request.param("street") == "12a Voorbeeldlaan"
    assert request.param("postalcode") == "2221 AB"
    assert request.param("city") == "Katwijk"
    assert request.param("country") == "Nederland"
    assert request.param("limit") == "5"  # a few candidates: the right house need not be OSM's first
    assert request.param("countrycodes") == "nl"
    assert request.param("addressdetails") == "1"
    assert request.param("format") == "json"
    assert request.headers["User-Agent"] == USER_AGENT


def test_nominatim_postcode_query_is_free_text(fake_service, nominatim):
    fake_service.answer(Reply(200, [nominatim_place("12")]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", 12)).house_number == HouseNumber(12)
    assert fake_service.requests[0].param("q") == "2221AB 12"


def test_nominatim_postcode_query_needs_the_postcode_in_the_answer(fake_service, nominatim):
    place = nominatim_place("12")
    del place["address"]["postcode"]
    fake_service.answer(Reply(200, [place]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", 12)) is None


def test_nominatim_not_found(fake_service, nominatim):
    fake_service.answer(Reply(200, []))
    assert nominatim.geocode(AddressQuery.structured("2221AB", 12)) is None


@pytest.mark.parametrize(
    "place",
    [
        nominatim_place("14"),
        nominatim_place("12b"),
        nominatim_place("12a", postcode="2221 AC"),
        nominatim_place("12a", road="Andere straat"),
        {**nominatim_place("12a"), "address": {"road": "Voorbeeldlaan", "country_code": "nl"}},  # street centroid
    ],
)
def test_nominatim_rejects_a_different_house(fake_service, nominatim, place):
    fake_service.answer(Reply(200, [place]))
    assert nominatim.geocode(AddressQuery.from_text("Voorbeeldlaan 12a 2221AB Katwijk")) is None


def test_nominatim_server_error_timeout_and_refused_are_unavailable(fake_service, nominatim, refused_port):
    fake_service.answer(Reply(500, {"error": "intern"}))
    with pytest.raises(GeocoderUnavailable):
        nominatim.geocode(AddressQuery.structured("2221AB", 12))
    fake_service.answer(Reply(200, [], delay=5))
    with pytest.raises(GeocoderUnavailable):
        nominatim.geocode(AddressQuery.structured("2221AB", 12))
    refused = NominatimGeocoder(
        user_agent=USER_AGENT, timeout=0.5, domain=f"127.0.0.1:{refused_port}", scheme="http", min_delay_seconds=0
    )
    with pytest.raises(GeocoderUnavailable):
        refused.geocode(AddressQuery.structured("2221AB", 12))


def test_nominatim_needs_a_user_agent():
    with pytest.raises(ValueError, match="user_agent"):
        NominatimGeocoder(user_agent="")


# -- chain over HTTP --------------------------------------------------------------------------


def test_chain_fetches_each_address_online_at_most_once(fake_service):
    register = MemoryRegister()
    chain = build_chain(
        ["register", "pdok", "nominatim"],
        register=register,
        user_agent=USER_AGENT,
        timeout=0.5,
        pdok_url=fake_service.base_url + PDOK_PATH,
        nominatim_url=fake_service.base_url,
        min_delay_seconds=0,
        on_online_result=lambda _query, result: register.add_result(result),
    )
    fake_service.answer(pdok_reply(pdok_doc(12)))
    query = AddressQuery.structured("2221AB", 12)
    assert chain.geocode(query).source == "pdok"
    again = chain.geocode(query)
    assert (again.lat, again.source) == (52.2101, "pdok")  # served by the register, source kept
    assert len(fake_service.requests) == 1


def test_chain_falls_back_to_nominatim_when_pdok_is_down(fake_service):
    def reply(request):
        if request.path.endswith("/free"):
            return Reply(503, {})
        return Reply(200, [nominatim_place("12", postcode="2221 AB")])

    fake_service.reply = reply
    chain = build_chain(
        ["pdok", "nominatim"],
        register=None,
        user_agent=USER_AGENT,
        timeout=0.5,
        pdok_url=fake_service.base_url + PDOK_PATH,
        nominatim_url=fake_service.base_url,
        min_delay_seconds=0,
    )
    assert chain.geocode(AddressQuery.structured("2221AB", 12)).source == "nominatim"
    fake_service.reply = lambda _request: Reply(503, {})
    with pytest.raises(GeocoderUnavailable):
        chain.geocode(AddressQuery.structured("2221AB", 12))


# -- issue 19: an online answer counts only for the very house asked for ------------------------


def pdok_doc_in(place, number=3, letter=None, addition=None, street="Dorpsstraat", lat=52.2101, postcode="2231AB"):
    """A PDOK doc of ``street`` in ``place`` (Katwijk and Rijnsburg both have a Dorpsstraat)."""
    doc = pdok_doc(number, letter, addition, street=street, lat=lat, postcode=postcode)
    return {**doc, "woonplaatsnaam": place, "weergavenaam": doc["weergavenaam"].replace("Katwijk", place)}


@pytest.mark.parametrize(
    ("typed", "doc"),
    [
        ("12-1", pdok_doc(12, None, "2")),
        ("12b", pdok_doc(12, "A")),
        ("12a-1", pdok_doc(12, "A", "2")),
        ("12a-1", pdok_doc(12, "B", "1")),
    ],
    ids=["only the addition differs", "only the letter differs", "same letter other addition", "same addition"],
)
def test_pdok_never_takes_a_house_that_differs_in_one_part(fake_service, pdok, typed, doc):
    fake_service.answer(pdok_reply(doc))
    with pytest.raises(HouseChoiceNeeded) as caught:
        pdok.geocode(AddressQuery.structured("2221AB", typed))
    assert caught.value.choice.houses == (house_from_parts(12, doc.get("huisletter"), doc.get("huisnummertoevoeging")),)


def test_pdok_takes_12_1_not_its_neighbour_12_2(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc(12, None, "2", lat=52.2102), pdok_doc(12, None, "1", lat=52.2199)))
    result = pdok.geocode(AddressQuery.structured("2221AB", "12-1"))
    assert (result.house_number, result.lat) == (HouseNumber(12, None, "1"), 52.2199)


@pytest.mark.parametrize("other", [pdok_doc(12, "A"), pdok_doc(12)], ids=["other house", "the house itself"])
def test_pdok_answer_without_a_postcode_is_no_answer_for_a_postcode(fake_service, pdok, other):
    # A doc that cannot be checked against the postcode asked for is neither the hit nor in a choice.
    unchecked = {key: value for key, value in other.items() if key != "postcode"}
    fake_service.answer(pdok_reply(unchecked))
    assert pdok.geocode(AddressQuery.structured("2221AB", 12)) is None
    fake_service.answer(pdok_reply(unchecked, pdok_doc(12, "B")))
    with pytest.raises(HouseChoiceNeeded) as caught:
        pdok.geocode(AddressQuery.structured("2221AB", "12c"))
    assert caught.value.choice.houses == (HouseNumber(12, "B"),)


def test_pdok_street_query_prefers_the_typed_place(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc_in("Rijnsburg", lat=52.2301), pdok_doc_in("Katwijk", lat=52.2101)))
    result = pdok.geocode(AddressQuery.from_text("Dorpsstraat 3, Katwijk"))
    assert (result.place, result.lat) == ("Katwijk", 52.2101)
    assert len(fake_service.requests) == 1


def test_pdok_street_query_in_an_unknown_place_takes_the_street_pdok_ranks_first(fake_service, pdok):
    # The typed place may be the gemeente's name, which no doc carries as its woonplaats.
    fake_service.answer(pdok_reply(pdok_doc_in("Rijnsburg", lat=52.2301), pdok_doc_in("Katwijk", lat=52.2101)))
    result = pdok.geocode(AddressQuery.from_text("Dorpsstraat 3, Gemeente Katwijk"))
    assert (result.place, result.lat) == ("Rijnsburg", 52.2301)


def test_pdok_street_answer_comes_from_one_street_in_one_place(fake_service, pdok):
    # No place typed: PDOK's first doc on the street decides the place; 3 on the same-named street
    # in Rijnsburg is another address, so Katwijk's addresses at 3 are offered.
    fake_service.answer(
        pdok_reply(pdok_doc_in("Katwijk", letter="A"), pdok_doc_in("Rijnsburg", postcode="2231XX")),
        pdok_reply(pdok_doc_in("Katwijk", letter="A"), pdok_doc_in("Katwijk", letter="B", postcode="2231AC")),
    )
    with pytest.raises(HouseChoiceNeeded) as caught:
        pdok.geocode(AddressQuery.from_text("Dorpsstraat 3"))
    choice = caught.value.choice
    assert (choice.houses, choice.street, choice.place) == (
        (HouseNumber(3, "A"), HouseNumber(3, "B")),
        "Dorpsstraat",
        "Katwijk",
    )
    assert choice.postcode is None  # two postcodes at the number: none of them is "the" postcode
    complete = fake_service.requests[1].param("fq")
    assert complete == "type:adres AND straatnaam:Dorpsstraat AND woonplaatsnaam:Katwijk AND huisnummer:3"


def test_pdok_street_choice_ignores_docs_of_another_place_in_the_full_list(fake_service, pdok):
    fake_service.answer(
        pdok_reply(pdok_doc_in("Katwijk", letter="A")),
        pdok_reply(pdok_doc_in("Katwijk", letter="A"), pdok_doc_in("Katwijk", letter="B"), pdok_doc_in("Rijnsburg")),
    )  # the full list with a fuzzy extra doc
    with pytest.raises(HouseChoiceNeeded) as caught:
        pdok.geocode(AddressQuery.from_text("Dorpsstraat 3, Katwijk"))
    assert caught.value.choice.houses == (HouseNumber(3, "A"), HouseNumber(3, "B"))
    assert caught.value.choice.postcode == "2231AB"  # one postcode at the number: the choice names it


def test_pdok_street_lookup_past_its_deadline_asks_nothing(fake_service, pdok):
    fake_service.answer(pdok_reply(pdok_doc_in("Katwijk")))
    for typed in ("Dorpsstraat 3, Katwijk", "2231AB 3"):
        with pytest.raises(GeocoderUnavailable):
            pdok.geocode(AddressQuery.from_text(typed), deadline=time.monotonic() - 1)
    assert fake_service.requests == []


def test_pdok_street_lookup_s_full_list_keeps_the_lookup_s_deadline_and_turn(fake_service):
    clock = SteppingClock(start=1000.0)
    pdok = PDOKGeocoder(
        user_agent=USER_AGENT,
        timeout=0.5,
        domain=fake_service.netloc,
        path=PDOK_PATH,
        scheme="http",
        min_delay_seconds=1.0,
        max_wait_seconds=2.0,
        clock=clock.clock,
        sleep=clock.sleep,
    )
    first = pdok_reply(pdok_doc_in("Katwijk", letter="A"))
    full = pdok_reply(pdok_doc_in("Katwijk", letter="A"), pdok_doc_in("Katwijk", letter="B"))
    fake_service.answer(first, full)
    with pytest.raises(HouseChoiceNeeded):
        pdok.geocode(AddressQuery.from_text("Dorpsstraat 3, Katwijk"), deadline=clock.now + 10)
    assert len(fake_service.requests) == 2
    assert clock.sleeps == []  # the full list is part of the lookup that had its turn: no second wait

    def late(request):  # the first answer arrives after the lookup's deadline
        if len(fake_service.requests) == 1:
            clock.now += 100
        return first if len(fake_service.requests) == 1 else full

    fake_service.requests.clear()
    fake_service.reply = late
    with pytest.raises(GeocoderUnavailable):
        pdok.geocode(AddressQuery.from_text("Dorpsstraat 3, Katwijk"), deadline=clock.now + 10)
    assert len(fake_service.requests) == 1  # no second request after the deadline


# -- Nominatim: the same, for OSM's text house numbers --------------------------------------------


@pytest.mark.parametrize(
    ("typed", "osm"),
    [("12-1", "12-2"), ("12a", "12b"), ("12a-1", "12a-2"), ("12a-1", "12b-1"), ("12-1", "12")],
    ids=["only the addition differs", "only the letter differs", "same letter", "same addition", "bare number"],
)
def test_nominatim_never_takes_a_house_that_differs_in_one_part(fake_service, nominatim, typed, osm):
    fake_service.answer(Reply(200, [nominatim_place(osm)]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", typed)) is None
    assert nominatim.geocode(AddressQuery.from_text(f"Voorbeeldlaan {typed} 2221AB Katwijk")) is None
    fake_service.answer(Reply(200, [nominatim_place(osm), nominatim_place(typed, lat="52.2199")]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", typed)).lat == 52.2199


def test_nominatim_reads_osm_text_as_ambiguous_as_typed_text(fake_service, nominatim):
    # A form's toevoeging "A3" (no letter) is OSM's "12A3", which reads as letter A + toevoeging 3 too.
    fake_service.answer(Reply(200, [nominatim_place("12A3")]))
    result = nominatim.geocode(AddressQuery.structured("2221AB", HouseNumber(12, None, "A3")))
    assert result.house_number == HouseNumber(12, "A", "3")


def test_nominatim_answer_fields(fake_service, nominatim):
    place = nominatim_place("12")
    place["address"] = {"house_number": "12", "postcode": "2221 AB", "country_code": "nl"}  # no road, no place
    fake_service.answer(Reply(200, [place]))
    result = nominatim.geocode(AddressQuery.structured("2221AB", 12))
    assert (result.street, result.place, result.postcode) == (None, None, "2221AB")
    assert result.display_name == "12, Voorbeeldlaan, Katwijk, Zuid-Holland, Nederland, 2221 AB"
    place["address"] |= {"village": "Katwijk aan den Rijn", "municipality": "Katwijk"}
    assert nominatim.geocode(AddressQuery.structured("2221AB", 12)).place == "Katwijk aan den Rijn"


@pytest.mark.parametrize(("country", "found"), [(None, True), ("nl", True), ("be", False)])
def test_nominatim_country_code(fake_service, nominatim, country, found):
    place = nominatim_place("12")
    if country is None:
        del place["address"]["country_code"]  # countrycodes=nl was asked; the coordinates are checked
    else:
        place["address"]["country_code"] = country
    fake_service.answer(Reply(200, [place]))
    assert (nominatim.geocode(AddressQuery.structured("2221AB", 12)) is not None) is found


@pytest.mark.parametrize("address", [None, "Voorbeeldlaan 12", {"road": "Voorbeeldlaan", "postcode": "2221 AB"}])
def test_nominatim_place_without_usable_address_details_is_no_answer(fake_service, nominatim, address):
    place = nominatim_place("12")
    if address is None:
        del place["address"]
    else:
        place["address"] = address
    fake_service.answer(Reply(200, [place]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", 12)) is None


@pytest.mark.parametrize("typed", [HouseNumber(12, "A"), HouseNumber(12, None, "A")], ids=["letter", "toevoeging"])
def test_nominatim_with_two_places_for_the_house_takes_osm_s_first(fake_service, nominatim, typed):
    # OSM's text "12A" and "12-A" both read as huisletter A or toevoeging A: the same house twice.
    fake_service.answer(Reply(200, [nominatim_place("12A", lat="52.2101"), nominatim_place("12-A", lat="52.2199")]))
    assert nominatim.geocode(AddressQuery.structured("2221AB", typed)).lat == 52.2101


def test_pdok_doc_without_a_type_is_an_address_as_the_filter_asked(fake_service, pdok):
    # fq=type:adres: PDOK answers addresses only; a doc that does not repeat its type is one of them
    untyped = {key: value for key, value in pdok_doc(12).items() if key != "type"}
    fake_service.answer(pdok_reply(untyped))
    assert pdok.geocode(AddressQuery.structured("2221AB", 12)).lat == 52.2101


def test_pdok_reads_past_docs_that_are_not_the_house(fake_service, pdok):
    other_type, other_number = {**pdok_doc(12), "type": "weg", "lat": 1}, pdok_doc(14, lat=52.2104)
    fake_service.answer(pdok_reply(other_type, other_number, pdok_doc(12, lat=52.2199)))
    assert pdok.geocode(AddressQuery.structured("2221AB", 12)).lat == 52.2199


@pytest.mark.parametrize("docs", [None, "kapot"], ids=["no docs", "docs not a list"])
def test_pdok_page_without_a_docs_list_is_an_empty_page(fake_service, docs):
    response = {"numFound": 5} | ({} if docs is None else {"docs": docs})
    fake_service.answer(Reply(200, {"response": response}))
    client = PDOKLocatieserver(domain=fake_service.netloc, scheme="http", user_agent=USER_AGENT, timeout=1)
    page = client.search("2221AB 12", fq="type:adres", rows=3, start=0)
    assert (page.locations, page.num_found, page.docs) == ((), 5, 0)  # docs 0: paging ends here
