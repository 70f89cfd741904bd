"""The online geocoders' settings reach the service (issue 19: a setting dropped on its way in goes
unnoticed until production): the defaults are PDOK's and OSM's real endpoints with polite limits,
and every value a caller passes is the one used. Nothing here talks to a network."""

from __future__ import annotations

import pytest
from geopy.adapters import URLLibAdapter

from buurt.geo.geocoding import GeocoderUnavailable
from buurt.geo.guard import CircuitBreaker, ConcurrencyCap
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.online import WatchedRequestsAdapter
from buurt.geo.pdok import PDOK_MAX_ROWS, PDOKGeocoder, PDOKLocatieserver

USER_AGENT = "buurt-tests/1.0 (beheer@example.invalid)"


def clock() -> float:
    return 5.0


def sleep(_seconds: float) -> None:
    pass


def settings_of(geocoder) -> dict:
    return {
        "min_delay": geocoder.limiter.min_delay_seconds,
        "max_retries": geocoder.max_retries,
        "retry_wait": geocoder.retry_wait_seconds,
        "max_wait": geocoder.max_wait_seconds,
        "timeout": (geocoder.timeout, geocoder.client.timeout),
        "cap": geocoder.cap,
        "breaker": geocoder.breaker,
        "clock": geocoder.limiter.clock,
        "sleep": geocoder.limiter.sleep,
        "user_agent": geocoder.client.headers["User-Agent"],
        "api": geocoder.client.api,
    }


def test_pdok_defaults_are_the_real_locatieserver_and_polite_limits():
    pdok = PDOKGeocoder(user_agent=USER_AGENT)
    assert settings_of(pdok) | {"clock": None, "sleep": None} == {
        "min_delay": 0.2,
        "max_retries": 0,
        "retry_wait": 1.0,
        "max_wait": 2.0,
        "timeout": (3.0, 3.0),
        "cap": None,
        "breaker": None,
        "clock": None,
        "sleep": None,
        "user_agent": USER_AGENT,
        "api": "https://api.pdok.nl/bzk/locatieserver/search/v3_1",
    }
    assert (pdok.rows, pdok.max_houses) == (PDOK_MAX_ROWS, 1000) == (100, 1000)


def test_nominatim_defaults_follow_osm_s_usage_policy():
    nominatim = NominatimGeocoder(user_agent=USER_AGENT)
    assert settings_of(nominatim) | {"clock": None, "sleep": None} == {
        "min_delay": 1.0,  # at most 1 request per second
        "max_retries": 0,
        "retry_wait": 2.0,
        "max_wait": 2.0,
        "timeout": (3.0, 3.0),
        "cap": None,
        "breaker": None,
        "clock": None,
        "sleep": None,
        "user_agent": USER_AGENT,
        "api": "https://nominatim.openstreetmap.org/search",
    }
    assert nominatim.limit == 5


@pytest.mark.parametrize("kind", ["pdok", "nominatim"])
def test_every_setting_passed_is_the_one_used(kind):
    cap, breaker = ConcurrencyCap(3), CircuitBreaker("test")
    common = {
        "user_agent": USER_AGENT,
        "timeout": 7.5,
        "domain": "127.0.0.1:9/",
        "scheme": "http",
        "min_delay_seconds": 0.7,
        "max_retries": 2,
        "retry_wait_seconds": 0.3,
        "max_wait_seconds": 4.5,
        "cap": cap,
        "breaker": breaker,
        "clock": clock,
        "sleep": sleep,
    }
    if kind == "pdok":
        geocoder = PDOKGeocoder(**common, path="/pdok/v3_1/", rows=50, max_houses=7)
        assert (geocoder.rows, geocoder.max_houses) == (50, 7)
        api = "http://127.0.0.1:9/pdok/v3_1"
    else:
        geocoder = NominatimGeocoder(**common, limit=3)
        assert geocoder.limit == 3
        api = "http://127.0.0.1:9/search"
    assert settings_of(geocoder) == {
        "min_delay": 0.7,
        "max_retries": 2,
        "retry_wait": 0.3,
        "max_wait": 4.5,
        "timeout": (7.5, 7.5),
        "cap": cap,
        "breaker": breaker,
        "clock": clock,
        "sleep": sleep,
        "user_agent": USER_AGENT,
        "api": api,
    }


@pytest.mark.parametrize("kind", [PDOKGeocoder, NominatimGeocoder])
def test_a_user_agent_is_required(kind):
    with pytest.raises(ValueError, match="user_agent"):
        kind(user_agent="")


@pytest.mark.parametrize(("rows", "ok"), [(0, False), (1, True), (PDOK_MAX_ROWS, True), (PDOK_MAX_ROWS + 1, False)])
def test_pdok_rows_are_1_to_pdok_s_maximum(rows, ok):
    if ok:
        assert PDOKGeocoder(user_agent=USER_AGENT, rows=rows).rows == rows
    else:
        with pytest.raises(ValueError, match="rows"):
            PDOKGeocoder(user_agent=USER_AGENT, rows=rows)


@pytest.mark.parametrize(("max_houses", "ok"), [(0, False), (1, True)])
def test_pdok_lists_at_least_one_house(max_houses, ok):
    if ok:
        assert PDOKGeocoder(user_agent=USER_AGENT, max_houses=max_houses).max_houses == 1
    else:
        with pytest.raises(ValueError, match="max_houses"):
            PDOKGeocoder(user_agent=USER_AGENT, max_houses=max_houses)


def test_the_locatieserver_client_keeps_its_own_settings():
    client = PDOKLocatieserver(user_agent=USER_AGENT, timeout=4)
    assert (client.api, client.timeout, client.headers["User-Agent"]) == (
        "https://api.pdok.nl/bzk/locatieserver/search/v3_1",
        4,
        USER_AGENT,
    )


@pytest.mark.parametrize("kind", [PDOKGeocoder, NominatimGeocoder])
def test_the_http_adapter_is_the_watched_one_without_urllib3_retries(kind):
    # urllib3's own retries log the URL (the address); only a watched socket can be cut at the deadline
    adapter = kind(user_agent=USER_AGENT).client.adapter
    assert isinstance(adapter, WatchedRequestsAdapter)
    assert adapter.session.get_adapter("https://").max_retries.total == 0
    chosen = kind(user_agent=USER_AGENT, adapter_factory=URLLibAdapter).client.adapter
    assert type(chosen) is URLLibAdapter


def test_unavailable_without_detail_has_none():
    assert GeocoderUnavailable().detail == ""
