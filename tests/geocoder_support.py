"""A misbehaving geocoder on 127.0.0.1 for tests and benchmarks: it hangs, trickles, or answers 500.

Plain sockets, one thread per connection, so the server can do what a real HTTP server library
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
import socket
import threading
from dataclasses import dataclass, field

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
