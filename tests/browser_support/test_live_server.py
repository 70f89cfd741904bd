"""The live server closes a static file also when the client resets the connection mid-response.

This was a flaky `ResourceWarning: unclosed file .../static/css/site.css` in the browser tests:
werkzeug closes the response only after draining the socket, and a reset makes the drain raise.
"""

import gc
import re
import socket
import struct
import sys
import threading
import time

from werkzeug.serving import WSGIRequestHandler

from tests.browser_support.fixtures import ClosingRequestHandler, LiveServer

ROUNDS = 10


def reset_after_the_response(port: int) -> None:
    """GET site.css, read it all, then reset the connection while werkzeug drains the socket."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        # The bytes after the request make werkzeug's drain block on the socket until the reset.
        conn.sendall(b"GET /static/css/site.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nmore")
        received = b""
        while b"\r\n\r\n" not in received:
            received += conn.recv(65536)
        head, body = received.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
        while len(body) < length:
            body += conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset


def unraisable_after_dropped_connections(app, monkeypatch, request_handler) -> list[BaseException]:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    with LiveServer(app, request_handler=request_handler) as server:
        for _ in range(ROUNDS):
            reset_after_the_response(server.server.server_port)
        deadline = time.monotonic() + 5
        while any("process_request_thread" in t.name for t in threading.enumerate()):
            assert time.monotonic() < deadline, "a request thread did not finish"
            time.sleep(0.01)
    gc.collect()
    return seen


def test_a_reset_mid_response_leaves_no_open_file(app, monkeypatch):
    seen = unraisable_after_dropped_connections(app, monkeypatch, ClosingRequestHandler)
    assert seen == []


def test_plain_werkzeug_leaks_the_file_on_a_reset(app, monkeypatch):
    """Shows the test above exercises the leak: if this starts failing, werkzeug fixed it upstream
    and ClosingRequestHandler can go."""
    seen = unraisable_after_dropped_connections(app, monkeypatch, WSGIRequestHandler)
    # Most rounds leak; a round whose drain finished before the reset arrived does not (9 of 10 in
    # one CI run), so the control asks for "leaks at all", never for an exact count.
    assert seen, "werkzeug closed every response: is ClosingRequestHandler still needed?"
    assert all(isinstance(e, ResourceWarning) and "site.css" in str(e) for e in seen), seen
