"""Why an online geocoder did not answer, as operators see it (issue 19, the geo-online target).

Every refusal of :class:`buurt.geo.online.OnlineGeocoder` carries a detail ("pdok: breaker
open", "pdok: no time left", "pdok: busy") that /metrics reduces to the bounded kind of
``buurt_geocoder_errors_total`` (:func:`buurt.ops.metrics.error_kind`) and the log names the
service, never the address. These tests drive a real PDOKGeocoder against the fake PDOK on
127.0.0.1 with an injected clock: each refusal happens before PDOK is asked (the server saw no
request) and leaves the circuit breaker as the rules say, including a half-open breaker whose
one trial caller found the cap full. Mutation testing found these paths unguarded: the details
could be blanked, the "no time left" check loosened to let a zero budget through, and a busy
trial caller could keep the breaker shut for good.

The plumbing itself runs on a service without HTTP (:class:`tests.geocoder_support.FlakyGeocoder`): how often a
failing service is retried and which errors are not retried at all, a retry that ends exactly at
the wait deadline, "no turn" within ``max_wait_seconds``, a call cut at the deadline that keeps
its place under the cap until its thread ends, and the settings refused at start-up.

Also the one rule that picks between two BAG readings of "105H" (huisletter H, or toevoeging
H): the typed reading wins, whatever PDOK's order.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import geopy.exc
import pytest

from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery, GeocoderUnavailable
from buurt.geo.guard import BreakerState, CircuitBreaker, ConcurrencyCap
from buurt.geo.online import clean_postcode, reading_rank
from buurt.ops.metrics import error_kind
from tests.geocoder_support import FakePDOK, FlakyGeocoder, SteppingClock, pdok_body

QUERY = AddressQuery.structured("2221AB", 12)
ONLINE_LOG = "buurt.geo.online"


@pytest.fixture
def pdok():
    docs = json.loads(pdok_body(12, "2221AB"))["response"]["docs"]  # fictional: Voorbeeldlaan 12
    with FakePDOK(docs=docs) as running:
        yield running


def online_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ONLINE_LOG]


def refusal(geocoder, **kwargs) -> str:
    with pytest.raises(GeocoderUnavailable) as caught:
        geocoder.geocode(QUERY, **kwargs)
    return caught.value.detail


def test_a_call_with_no_time_left_is_not_made_and_costs_the_breaker_nothing(pdok):
    clock = SteppingClock(start=500.0)
    breaker = CircuitBreaker("pdok", failures=1, cooldown_seconds=60, clock=clock.clock)
    geocoder = pdok.geocoder(clock=clock.clock, sleep=clock.sleep, breaker=breaker)

    detail = refusal(geocoder, deadline=clock.now)  # the request's budget is used up exactly now

    assert (detail, error_kind("pdok", detail)) == ("pdok: no time left", "no_time_left")
    assert pdok.requests == []
    assert breaker.state == BreakerState.CLOSED  # no failure of PDOK's: one failure would open it
    assert geocoder.geocode(QUERY, deadline=clock.now + 5).source == "pdok"


def test_an_open_breaker_is_a_counted_kind_and_a_log_line_with_the_service(pdok, caplog):
    clock = SteppingClock(start=500.0)
    breaker = CircuitBreaker("pdok", failures=1, cooldown_seconds=60, clock=clock.clock)
    breaker.failed()
    geocoder = pdok.geocoder(clock=clock.clock, sleep=clock.sleep, breaker=breaker)

    with caplog.at_level(logging.INFO, logger=ONLINE_LOG):
        detail = refusal(geocoder)

    assert (detail, error_kind("pdok", detail)) == ("pdok: breaker open", "breaker_open")
    assert pdok.requests == []
    assert online_log(caplog) == ["pdok geocoder skipped: breaker open"]


def test_a_full_cap_is_busy_and_a_busy_trial_caller_hands_the_trial_on(pdok, caplog):
    clock = SteppingClock(start=500.0)
    breaker = CircuitBreaker("pdok", failures=1, cooldown_seconds=60, clock=clock.clock)
    breaker.failed()
    clock.now += 60  # the cool-down is over: the next caller is the one trial (half-open)
    cap = ConcurrencyCap(1)
    geocoder = pdok.geocoder(clock=clock.clock, sleep=clock.sleep, breaker=breaker, cap=cap)
    held = cap.take()  # another lookup holds the only place

    with caplog.at_level(logging.INFO, logger=ONLINE_LOG):
        detail = refusal(geocoder)

    assert (detail, error_kind("pdok", detail)) == ("pdok: busy", "busy")
    assert online_log(caplog) == ["pdok geocoder busy: 1 online calls already running"]
    assert pdok.requests == []
    held.release()
    # The trial caller never asked PDOK: the next caller gets the trial, PDOK answers, closed again.
    assert geocoder.geocode(QUERY).source == "pdok"
    assert len(pdok.requests) == 1
    assert breaker.state == BreakerState.CLOSED


def test_the_typed_reading_of_105h_wins_over_the_other_bag_reading():
    typed = HouseNumber(105, "H")  # "105H" as typed: huisletter H first, toevoeging H second
    letter, addition = HouseNumber(105, "H"), HouseNumber(105, None, "H")
    assert reading_rank(typed, letter) == 0
    assert reading_rank(typed, addition) == 1  # PDOK says which one a BAG address is
    # OSM's addr:housenumber "105-H" is text, as ambiguous as what the resident typed.
    assert reading_rank(typed, addition, found_is_text=True) == 0
    assert reading_rank(typed, HouseNumber(106, "H")) is None
    assert reading_rank(typed, None) is None  # an answer without a usable number is no hit


@pytest.mark.parametrize(
    ("value", "expected"), [("2221 ab", "2221AB"), ("", None), (None, None), (0, None), ("22 21", None)]
)
def test_a_postcode_in_an_answer_is_cleaned_or_none(value, expected):
    assert clean_postcode(value) == expected


# -- the plumbing itself: retries, turns and the deadline, on a service without HTTP ------------------


def call(service: FlakyGeocoder, deadline: float | None = None) -> str:
    with pytest.raises(GeocoderUnavailable) as caught:
        service._call("request", deadline)
    return caught.value.detail


def always_failing(clock: SteppingClock, text: str, **options) -> FlakyGeocoder:
    """A service that answers every call with a server error (more than any retry budget here)."""
    errors = [geopy.exc.GeocoderServiceError(text) for _ in range(20)]
    return FlakyGeocoder(clock, errors, min_delay_seconds=0, **options)


def test_a_failing_service_is_retried_max_retries_times_then_unavailable(caplog):
    clock = SteppingClock()
    service = always_failing(clock, "500 for ?q=2221AB 12", max_retries=2, retry_wait_seconds=0.1, max_wait_seconds=10)
    with caplog.at_level(logging.INFO, logger=ONLINE_LOG):
        detail = call(service)
    assert len(service.calls) == 3
    assert clock.sleeps == [0.1, 0.1]
    assert detail == "flaky: GeocoderServiceError"  # the class, never the text (it quotes the URL)
    assert online_log(caplog) == [
        "flaky geocoder: GeocoderServiceError, retry 1/2",
        "flaky geocoder: GeocoderServiceError, retry 2/2",
        "flaky geocoder unavailable: GeocoderServiceError",
    ]
    assert "2221" not in caplog.text


def test_a_retry_that_would_end_exactly_at_the_wait_deadline_is_still_made():
    clock = SteppingClock()
    service = always_failing(clock, "boom", max_retries=5, retry_wait_seconds=1, max_wait_seconds=2)
    assert call(service) == "flaky: GeocoderServiceError"
    assert len(service.calls) == 3  # at 0 s, 1 s and 2 s (the wait deadline); not at 3 s
    assert clock.now == 2


def test_one_retry_is_enough_when_the_service_answers_then():
    clock = SteppingClock()
    breaker = CircuitBreaker("flaky", failures=1, cooldown_seconds=60, clock=clock.clock)
    service = FlakyGeocoder(
        clock, [geopy.exc.GeocoderTimedOut("slow")], min_delay_seconds=0, max_retries=1, breaker=breaker
    )
    assert service._call("request") == "request"  # the answer
    assert len(service.calls) == 2
    assert breaker.state == BreakerState.CLOSED  # a call that ended in an answer is a success


@pytest.mark.parametrize(
    "error",
    [ValueError("garbled answer"), geopy.exc.GeocoderQueryError("400"), geopy.exc.GeocoderAuthenticationFailure()],
    ids=["garbled", "query-refused", "auth"],
)
def test_errors_a_retry_cannot_mend_are_not_retried(error):
    clock = SteppingClock()
    service = FlakyGeocoder(clock, [error for _ in range(9)], min_delay_seconds=0, max_retries=3)
    assert call(service) == f"flaky: {type(error).__name__}"
    assert len(service.calls) == 1


def test_no_turn_within_max_wait_is_busy_without_asking(caplog):
    clock = SteppingClock()
    service = FlakyGeocoder(clock, min_delay_seconds=10, max_wait_seconds=2)
    assert service._call("request") == "request"
    with caplog.at_level(logging.INFO, logger=ONLINE_LOG):
        detail = call(service)  # the next turn is 10 s away
    assert (detail, error_kind("flaky", detail)) == ("flaky: busy", "busy")
    assert online_log(caplog) == ["flaky geocoder busy: no turn within 2.0 s"]
    assert (len(service.calls), clock.sleeps) == (1, [])


def test_a_call_cut_at_the_deadline_keeps_its_place_under_the_cap_until_it_ends(caplog):
    release = threading.Event()
    cap = ConcurrencyCap(1)
    service = FlakyGeocoder(hold=release, cap=cap, min_delay_seconds=0, timeout=30, max_wait_seconds=30)
    try:
        with caplog.at_level(logging.INFO, logger=ONLINE_LOG):
            detail = call(service, deadline=time.monotonic() + 0.2)
        assert (detail, error_kind("flaky", detail)) == ("flaky: GeocoderTimedOut (deadline)", "deadline")
        assert online_log(caplog) == ["flaky geocoder cut off at the deadline"]
        # The cut-off call still runs on its thread: it keeps its place, so the cap bounds threads.
        assert cap.in_use == 1
    finally:
        release.set()
    end = time.monotonic() + 10
    while cap.in_use and time.monotonic() < end:
        time.sleep(0.01)
    assert cap.in_use == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("max_retries", -1, "max_retries must be >= 0"),
        ("max_wait_seconds", -0.5, "max_wait_seconds must be >= 0"),
        ("min_delay_seconds", -1, "min_delay_seconds must be >= 0"),
    ],
)
def test_a_negative_setting_is_refused_with_its_name(option, value, message):
    """What an operator sees at start-up after a typo in GEOCODER_* settings."""
    with pytest.raises(ValueError, match=f"^{message}$"):
        FlakyGeocoder(**{option: value})


def test_max_wait_zero_means_ask_now_or_not_at_all():
    clock = SteppingClock()
    service = FlakyGeocoder(clock, min_delay_seconds=1, max_wait_seconds=0)
    assert service._call("request") == "request"  # a free turn now is taken
    assert call(service) == "flaky: busy"  # the next is 1 s away: no waiting at all
    assert clock.sleeps == []
