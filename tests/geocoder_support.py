"""Geocoders on 127.0.0.1 for tests and benchmarks.

:class:`LoopbackGeocoder` misbehaves: it hangs, trickles, or answers 500. :class:`FakePDOK` (issue 14)
holds address docs and answers PDOK's /free like the real service: filters, rows, start, numFound,
and a 400 for syntax or parameters the real one would refuse or misread.

LoopbackGeocoder uses plain sockets, one thread per connection, so the server can do what a real HTTP server library
would not: send nothing at all, or one byte of a valid answer every ``interval`` seconds. It counts
what it saw: ``hits`` (requests whose first line arrived) and ``closed_by_client`` (connections the
client closed or cut while the server was still holding or trickling the answer)::

    with LoopbackGeocoder("hang") as server:
        ...  # PDOK_URL = server.base_url + "/pdok"
        server.hits, server.closed_by_client
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from buurt.geo.online import OnlineGeocoder

MODES = ("hang", "trickle", "error", "ok")


def pdok_body(
    house: int = 12,
    postcode: str = "2221AB",
    lat: float = 52.2096,
    lon: float = 4.42125,
    street: str | None = "Voorbeeldlaan",
) -> bytes:
    """A PDOK /free answer with one address (by default inside Rijnsoever-Midden Zuid)."""
    doc = {
        "type": "adres",
        "weergavenaam": f"{street or 'Zonder straat'} {house}, {postcode} Katwijk",
        "centroide_ll": f"POINT({lon} {lat})",
        "postcode": postcode,
        "huisnummer": house,
        "woonplaatsnaam": "Katwijk",
    }
    if street:
        doc["straatnaam"] = street
    return json.dumps({"response": {"numFound": 1, "start": 0, "docs": [doc]}}).encode()


def http_response(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 500: "Internal Server Error"}.get(status, "X")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def pdok_config(server: LoopbackGeocoder, chain: tuple[str, ...] = ("register", "pdok")) -> dict:
    """App settings that send lookups to `server` as PDOK, with limits generous enough for a loaded
    test machine (the deadline tests set their own)."""
    return {
        "GEOCODER_CHAIN": chain,
        "PDOK_URL": server.base_url + "/pdok",
        "GEOCODER_TIMEOUT": 10.0,
        "GEOCODER_MIN_DELAY": 0.0,
        "GEOCODER_TOTAL_DEADLINE": 20.0,
    }


@dataclass
class LoopbackGeocoder:
    """A server whose every answer follows ``mode``; ``interval`` is the trickle's pause per byte."""

    mode: str = "hang"
    interval: float = 0.5
    ok_body: bytes = field(default_factory=pdok_body)
    hits: int = 0
    closed_by_client: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sock: socket.socket | None = None
    port: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackGeocoder:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, name="loopback-geocoder", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> LoopbackGeocoder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
            except OSError:
                return
            with self._lock:
                self.hits += 1
            if self.mode == "hang":
                self._hold(conn)
            elif self.mode == "trickle":
                self._trickle(conn, http_response(200, self.ok_body))
            else:
                status = 500 if self.mode == "error" else 200
                body = b'{"error": "boom"}' if self.mode == "error" else self.ok_body
                with contextlib.suppress(OSError):
                    conn.sendall(http_response(status, body))

    def _client_left(self) -> None:
        with self._lock:
            self.closed_by_client += 1

    def _hold(self, conn: socket.socket) -> None:
        """Send nothing; notice when the client closes (recv returns b'' or fails)."""
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                if conn.recv(1) == b"":
                    self._client_left()
                    return
            except TimeoutError:
                continue
            except OSError:
                self._client_left()
                return

    def _trickle(self, conn: socket.socket, answer: bytes) -> None:
        """One byte every ``interval`` seconds; a closed client shows as a failed send or an EOF."""
        conn.settimeout(0.05)
        for byte in answer:
            if self._stop.wait(self.interval):
                return
            try:
                if _peer_closed(conn):
                    self._client_left()
                    return
                conn.sendall(bytes([byte]))
            except OSError:
                self._client_left()
                return


def _peer_closed(conn: socket.socket) -> bool:
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except TimeoutError:
        return False


# ---------------------------------------------------------------------------------------------
# A PDOK Locatieserver on 127.0.0.1 that holds docs and answers /free like the real one (issue 14)

#: Query parameters PDOK v3_1 /free accepts (its OpenAPI document); anything else is a 400 there.
PDOK_FREE_PARAMS = frozenset({"q", "lat", "lon", "fl", "fq", "df", "qf", "bq", "start", "rows", "sort", "wt"})
_SOLR_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


class SolrSyntaxError(ValueError):
    """A query the strict fake refuses: it would mean something other than the literal text."""


def _unescape_phrase(text: str, at: int) -> tuple[str, int]:
    """The phrase starting at the quote ``text[at]``: (its literal text, the index after it)."""
    out, i = [], at + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif char == '"':
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise SolrSyntaxError("unbalanced quote")


def parse_solr_filter(text: str) -> list[tuple[str, str]]:
    """``type:adres AND straatnaam:"'t Hoen" AND huisnummer:7`` -> [(field, literal value), ...].

    Only what PDOKGeocoder should send: fields joined by `` AND ``, each value a bare word of
    letters and digits or a quoted phrase. Anything else (an OR, a wildcard, a bare special
    character, a stray quote) raises :class:`SolrSyntaxError`.
    """
    clauses, i = [], 0
    while True:
        match = re.compile(r"([a-z_]+):").match(text, i)
        if match is None:
            raise SolrSyntaxError(f"no field at {i}")
        field_name, i = match.group(1), match.end()
        if i < len(text) and text[i] == '"':
            value, i = _unescape_phrase(text, i)
        else:
            word = re.compile(r"[A-Za-z0-9]+").match(text, i)
            if word is None:
                raise SolrSyntaxError(f"bad value at {i}")
            value, i = word.group(0), word.end()
        clauses.append((field_name, value))
        if i == len(text):
            return clauses
        if not text.startswith(" AND ", i):
            raise SolrSyntaxError(f"expected AND at {i}")
        i += len(" AND ")


def parse_solr_text(text: str) -> list[str]:
    """Free text -> its literal words; refuses unescaped special characters and operator words."""
    words = []
    for token in text.split():
        if token.startswith('"') and token.endswith('"') and len(token) > 2:
            words.append(token[1:-1])  # a quoted word ("OR" as a word)
            continue
        if token.casefold() in {"and", "or", "not"}:
            raise SolrSyntaxError(f"operator {token!r}")
        out, i = [], 0
        while i < len(token):
            if token[i] == "\\" and i + 1 < len(token):
                out.append(token[i + 1])
                i += 2
            elif token[i] in _SOLR_SPECIAL:
                raise SolrSyntaxError(f"unescaped {token[i]!r}")
            else:
                out.append(token[i])
                i += 1
        words.append("".join(out))
    return words


@dataclass
class PDOKRequest:
    """One /free request as the fake understood it."""

    params: dict[str, list[str]]
    filters: list[tuple[str, str]]
    words: list[str]
    rows: int
    start: int


@dataclass
class FakePDOK:
    """PDOK's /free over ``docs``: honours ``fq`` and a fielded ``q`` (exact field comparison),
    ``rows`` (at most 100, else 400 as PDOK) and ``start``; free-text ``q`` filters nothing (PDOK
    ORs the words and ranks; ``rank`` may reorder the docs). Strict about syntax: a query that
    Solr would read as more than literal text is a 400 (:func:`parse_solr_filter`). ``delays``
    maps a request's index (0-based) to seconds to wait before answering."""

    docs: list[dict] = field(default_factory=list)
    delays: dict[int, float] = field(default_factory=dict)
    requests: list[PDOKRequest] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    path: str = "/bzk/locatieserver/search/v3_1/free"
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: Any = None
    port: int = 0

    @property
    def base_url(self) -> str:
        """What PDOK_URL / build_chain(pdok_url=...) takes."""
        return f"http://127.0.0.1:{self.port}" + self.path.removesuffix("/free")

    def geocoder(self, **options: Any) -> Any:
        """A PDOKGeocoder asking this server, unpaced, with generous time limits (`options` override)."""
        from buurt.geo.pdok import PDOKGeocoder

        settings = {"user_agent": "buurt-tests/1.0 (beheer@example.invalid)", "timeout": 10, "max_wait_seconds": 10}
        settings.update(min_delay_seconds=0, **options)
        return PDOKGeocoder(
            domain=f"127.0.0.1:{self.port}", path=self.path.removesuffix("/free"), scheme="http", **settings
        )

    def answer(self, query: str) -> tuple[int, dict]:
        params = parse_qs(query, keep_blank_values=True)
        unknown = sorted(set(params) - PDOK_FREE_PARAMS)
        if unknown:
            return 400, {"error": {"code": 400, "msg": f"query parameter '{unknown[0]}' not defined"}}
        try:
            rows = int(params.get("rows", ["10"])[0])
            start = int(params.get("start", ["0"])[0])
            if not (0 <= rows <= 100 and 0 <= start <= 10000):
                raise SolrSyntaxError("rows/start out of range")
            filters: list[tuple[str, str]] = []
            for fq in params.get("fq", []):
                filters += parse_solr_filter(fq)
            q = params.get("q", [""])[0]
            words: list[str] = []
            if re.match(r"^[a-z_]+:", q):
                filters += parse_solr_filter(q)
            else:
                words = parse_solr_text(q)
        except (SolrSyntaxError, ValueError) as exc:
            self.refused.append(str(exc))
            return 400, {"error": {"code": 400, "msg": str(exc)}}
        index = len(self.requests)
        self.requests.append(PDOKRequest(params, filters, words, rows, start))
        if self._stop.wait(self.delays.get(index, 0)):
            return 503, {}
        matched = [doc for doc in self.docs if all(str(doc.get(name, "")) == value for name, value in filters)]
        return 200, {
            "response": {
                "numFound": len(matched),
                "start": start,
                "maxScore": 7.5,
                "numFoundExact": True,
                "docs": matched[start : start + rows],
            }
        }

    def route(self, path: str, query: str) -> tuple[int, Any]:
        return self.answer(query) if path == self.path else (404, {})

    def start(self) -> FakePDOK:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                status, body = fake.route(parts.path, parts.query)
                data = json.dumps(body).encode()
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakePDOK:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a slow DNS lookup; not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client cut off at its deadline closes its socket; not a test failure


@dataclass
class FakeNominatim(FakePDOK):
    """Nominatim's /search on 127.0.0.1: answers ``places`` (a JSON list) to every request and
    keeps each request's parameters in ``searches``."""

    places: list[dict] = field(default_factory=list)
    searches: list[dict[str, list[str]]] = field(default_factory=list)

    @property
    def root_url(self) -> str:
        """What NOMINATIM_URL / build_chain(nominatim_url=...) takes."""
        return f"http://127.0.0.1:{self.port}"

    def route(self, path: str, query: str) -> tuple[int, Any]:
        if path != "/search":
            return 404, {}
        self.searches.append(parse_qs(query))
        return 200, self.places


class SteppingClock:
    """A fake clock for the geocoders' rate limiter, for one thread: only ``sleep`` (or the test)
    moves it; every sleep is recorded. ``clock`` is what the limiter reads."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FlakyGeocoder(OnlineGeocoder):
    """An online geocoder without HTTP, for the plumbing of :class:`buurt.geo.online.OnlineGeocoder`.

    Each call records the clock in ``calls``, then raises the next of ``errors``; with none left it
    waits for ``hold`` when given (a service that does not answer until the test lets it) and
    answers with the request. ``fake`` (a :class:`SteppingClock`) is its clock and sleep.
    """

    name = "flaky"

    def __init__(
        self,
        fake: SteppingClock | None = None,
        errors: list[Exception] | None = None,
        *,
        hold: threading.Event | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("min_delay_seconds", 1.0)
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("retry_wait_seconds", 0.0)
        kwargs.setdefault("max_wait_seconds", 2.0)
        kwargs.setdefault("timeout", 3.0)
        if fake is not None:
            kwargs.update(clock=fake.clock, sleep=fake.sleep)
        super().__init__(**kwargs)
        self.errors = list(errors or [])
        self.hold = hold
        self.calls: list[float] = []

    def _fetch(self, request: Any) -> Any:
        self.calls.append(self.limiter.clock())
        if self.errors:
            raise self.errors.pop(0)
        if self.hold is not None:
            self.hold.wait(30)
        return request
