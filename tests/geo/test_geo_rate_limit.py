"""The online geocoders' slot limiter: spacing, a hard deadline per call, real threads, the app.

Times are a fake clock's (the test moves it), never wall-clock durations of the test.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Callable

import geopy.exc
import pytest

from buurt.geo.chain import build_chain
from buurt.geo.geocoding import AddressQuery, GeocoderUnavailable
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.online import Busy, SlotLimiter
from buurt.geo.pdok import PDOKGeocoder
from buurt.models import ResidentStatus
from tests.geo.test_geo_geocoding_online import (  # noqa: F401 - fake_service is a fixture
    PDOK_PATH,
    USER_AGENT,
    Reply,
    SeenRequest,
    fake_service,
    pdok_doc,
    pdok_reply,
)
from tests.geocoder_support import FlakyGeocoder as Flaky
from tests.geocoder_support import SteppingClock
from tests.residents.conftest import form, residents

QUERY = AddressQuery.structured("2221AB", 12)


# -- the limiter ------------------------------------------------------------------------------


def test_limiter_spaces_calls_by_min_delay():
    fake = SteppingClock()
    limiter = SlotLimiter(1.0, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(3):
        limiter.wait(deadline=math.inf)
        times.append(fake.now)
    assert times == [0.0, 1.0, 2.0]
    fake.now = 10.0  # a quiet spell: the next caller goes at once
    limiter.wait(deadline=10.0)
    assert fake.now == 10.0
    assert fake.sleeps == [1.0, 1.0]


def test_limiter_serves_first_come_first_served_without_holding_the_lock_while_sleeping():
    fake = SteppingClock()
    limiter = SlotLimiter(0.2, clock=fake.clock, sleep=fake.sleep)
    slots = [limiter.reserve(deadline=1.0) for _ in range(6)]  # six callers at the same moment
    assert slots == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    with pytest.raises(Busy):
        limiter.reserve(deadline=1.0)  # the seventh: its turn (1.2) is past the deadline


def test_a_refused_caller_reserves_nothing_and_does_not_sleep():
    fake = SteppingClock()
    limiter = SlotLimiter(1.0, clock=fake.clock, sleep=fake.sleep)
    assert [limiter.reserve(deadline=2.0) for _ in range(3)] == [0.0, 1.0, 2.0]
    for _ in range(5):
        with pytest.raises(Busy):
            limiter.wait(deadline=2.0)
    assert fake.sleeps == []
    assert limiter.reserve(deadline=3.0) == 3.0  # the refused ones took no slot


def test_limiter_refuses_negative_delay():
    with pytest.raises(ValueError, match="min_delay"):
        SlotLimiter(-1)


# -- the deadline of one call -----------------------------------------------------------------


def test_a_call_beyond_max_wait_is_unavailable_at_once():
    fake = SteppingClock()
    geocoder = Flaky(fake, min_delay_seconds=1.0, max_wait_seconds=1.5)
    assert geocoder._call("a") == "a"
    assert geocoder._call("b") == "b"  # waited 1.0 for its turn
    geocoder.limiter.reserve(deadline=math.inf)  # someone else holds the turn at 2.0 ...
    fake.now = 1.0  # ... and this caller's turn (3.0) is 2.0 away, past max_wait 1.5
    with pytest.raises(GeocoderUnavailable) as caught:
        geocoder._call("c")
    assert caught.value.detail == "flaky: busy"
    assert caught.value.message.startswith("De adreszoeker is nu niet bereikbaar")
    assert geocoder.calls == [0.0, 1.0]
    assert fake.sleeps == [1.0]
    assert fake.now == 1.0


def test_retries_never_sleep_past_the_deadline():
    fake = SteppingClock()
    errors = [geopy.exc.GeocoderServiceError("503")] * 10
    geocoder = Flaky(fake, errors, min_delay_seconds=0.0, max_retries=10, retry_wait_seconds=1.0, max_wait_seconds=2.5)
    with pytest.raises(GeocoderUnavailable) as caught:
        geocoder._call("x")
    assert caught.value.detail == "flaky: GeocoderServiceError"
    assert geocoder.calls == [0.0, 1.0, 2.0]  # a fourth attempt would start after 3.0 > 2.5
    assert fake.now <= 2.5


def test_a_retry_also_waits_for_its_turn_within_the_deadline():
    fake = SteppingClock()
    errors = [geopy.exc.GeocoderTimedOut("slow")] * 10
    geocoder = Flaky(fake, errors, min_delay_seconds=1.0, max_retries=10, retry_wait_seconds=0.5, max_wait_seconds=2.5)
    with pytest.raises(GeocoderUnavailable) as caught:
        geocoder._call("x")
    assert caught.value.detail == "flaky: busy"  # the third retry's turn (3.0) is past 2.5
    assert geocoder.calls == [0.0, 1.0, 2.0]
    assert fake.now <= 2.5


def test_a_retry_that_succeeds_is_answered():
    fake = SteppingClock()
    geocoder = Flaky(
        fake, [geopy.exc.GeocoderUnavailable("down")], max_retries=1, retry_wait_seconds=0.5, max_wait_seconds=2
    )
    assert geocoder._call("x") == "x"
    assert geocoder.calls == [0.0, 1.0]


def test_max_wait_must_not_be_negative():
    with pytest.raises(ValueError, match="max_wait"):
        Flaky(SteppingClock(), max_wait_seconds=-1)


def test_build_chain_passes_max_wait_to_each_online_service():
    chain = build_chain(
        ["pdok", "nominatim"],
        register=None,
        user_agent=USER_AGENT,
        timeout=1,
        min_delay_seconds=0.5,
        max_wait_seconds=0.75,
    )
    assert [type(g) for g in chain.geocoders] == [PDOKGeocoder, NominatimGeocoder]
    assert [g.max_wait_seconds for g in chain.geocoders] == [0.75, 0.75]
    assert [g.limiter.min_delay_seconds for g in chain.geocoders] == [0.5, 0.5]
    assert chain.geocoders[0].limiter is not chain.geocoders[1].limiter


def test_busy_never_logs_the_address(fake_service, caplog):  # noqa: F811
    fake_service.answer(pdok_reply(pdok_doc(12)))
    fake = SteppingClock()
    pdok = PDOKGeocoder(
        user_agent=USER_AGENT,
        timeout=0.5,
        domain=fake_service.netloc,
        path=PDOK_PATH,
        scheme="http",
        min_delay_seconds=10,
        max_wait_seconds=1,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    caplog.set_level(logging.DEBUG)
    assert pdok.geocode(QUERY).lat == 52.2101
    with pytest.raises(GeocoderUnavailable) as caught:
        pdok.geocode(QUERY)
    assert caught.value.detail == "pdok: busy"
    assert len(fake_service.requests) == 1
    loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert any("busy" in message for message in loud)
    assert not any("2221" in message or "52.2" in message for message in loud)


# -- real threads against a fake PDOK on 127.0.0.1 --------------------------------------------


class VirtualClock:
    """Time for many threads that moves only when every running thread sleeps or is done.

    ``sleep`` blocks until the test has moved the clock to the wake-up time; :meth:`run` moves
    it from one wake-up time to the next. So all threads start at 0.0 and an HTTP request
    happens at exactly the time its thread was let go.
    """

    def __init__(self, threads: int) -> None:
        self.now = 0.0
        self._cond = threading.Condition()
        self._running = threads
        self._wakes: list[float] = []
        self.sleeps: dict[str, list[float]] = {}

    def clock(self) -> float:
        with self._cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._cond:
            wake = self.now + seconds
            self.sleeps.setdefault(threading.current_thread().name, []).append(wake)
            self._wakes.append(wake)
            self._running -= 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.now >= wake)

    def done(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    def run(self) -> None:
        with self._cond:
            while True:
                assert self._cond.wait_for(lambda: self._running == 0, timeout=30), "a thread is stuck"
                if not self._wakes:
                    return
                self.now = min(self._wakes)
                woken = [wake for wake in self._wakes if wake <= self.now]
                self._wakes = [wake for wake in self._wakes if wake > self.now]
                self._running += len(woken)
                self._cond.notify_all()


def test_twenty_threads_some_answered_in_turn_the_rest_refused_at_once(fake_service):  # noqa: F811
    threads_n, min_delay, max_wait = 20, 0.2, 1.0
    clock = VirtualClock(threads_n)
    seen_at: list[float] = []

    def reply(_request: SeenRequest) -> Reply:
        seen_at.append(clock.now)
        return pdok_reply(pdok_doc(12))

    fake_service.reply = reply
    pdok = PDOKGeocoder(
        user_agent=USER_AGENT,
        timeout=5,
        domain=fake_service.netloc,
        path=PDOK_PATH,
        scheme="http",
        min_delay_seconds=min_delay,
        max_wait_seconds=max_wait,
        clock=clock.clock,
        sleep=clock.sleep,
    )
    outcomes: dict[str, tuple[str, float]] = {}

    def resident(name: str) -> Callable[[], None]:
        def work() -> None:
            try:
                result = pdok.geocode(QUERY)
                outcomes[name] = ("answered" if result and result.lat == 52.2101 else "wrong", clock.now)
            except GeocoderUnavailable as exc:
                outcomes[name] = (exc.detail, clock.now)
            finally:
                clock.done()

        return work

    threads = [threading.Thread(target=resident(f"r{i}"), name=f"r{i}", daemon=True) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    clock.run()
    for thread in threads:
        thread.join(timeout=10)

    kinds = [kind for kind, _at in outcomes.values()]
    # turns at 0.0, 0.2, 0.4, 0.6, 0.8 and 1.0: six within the window, fourteen refused
    assert (kinds.count("answered"), kinds.count("pdok: busy"), len(kinds)) == (6, 14, 20)
    refused = [name for name, (kind, _at) in outcomes.items() if kind == "pdok: busy"]
    assert all(outcomes[name][1] == 0.0 for name in refused)  # refused at once ...
    assert not any(name in clock.sleeps for name in refused)  # ... without sleeping
    assert all(wake <= max_wait + 1e-9 for wakes in clock.sleeps.values() for wake in wakes)
    assert len(fake_service.requests) == 6
    assert seen_at == sorted(seen_at)
    assert all(later - earlier >= min_delay - 1e-9 for earlier, later in itertools.pairwise(seen_at))
    assert seen_at[-1] <= max_wait + 1e-9


# -- the app: a sign-up does not wait for a busy geocoder -------------------------------------


@pytest.fixture
def app_config(fake_service):  # noqa: F811
    return {
        "GEOCODER_CHAIN": ("register", "pdok"),
        "PDOK_URL": fake_service.base_url + PDOK_PATH,
        "GEOCODER_TIMEOUT": 0.5,
        "GEOCODER_MIN_DELAY": 5.0,  # the next turn at PDOK is seconds away ...
        "GEOCODER_MAX_WAIT": 0.05,  # ... far past what a request may wait
    }


def test_signup_while_the_geocoder_is_busy_is_kept_to_geocode_without_asking_it(app, client, fake_service):  # noqa: F811
    fake_service.answer(Reply(200, {"response": {"docs": []}}, delay=10))  # PDOK hangs
    first = client.post("/aanmelden", data=form(postcode="2221XE", house_number="8"))
    second = client.post("/aanmelden", data=form(postcode="2221XF", house_number="9", phone="06 87654321"))
    assert (first.status_code, second.status_code) == (302, 302)
    assert [r.status for r in residents()] == [ResidentStatus.TO_GEOCODE, ResidentStatus.TO_GEOCODE]
    # a sign-up never waits on an online geocoder (issue 12): neither reached PDOK; they are placed later
    assert len(fake_service.requests) == 0
    assert "Uw aanmelding is bewaard" in client.get("/aanmelden/ontvangen").get_data(as_text=True)
