"""A hard deadline for one online geocoder call, which a server that trickles its answer cannot defeat.

requests' and urllib3's ``timeout`` (and geopy's, which is passed on) bounds each socket
operation, not the call: a server that sends one byte every 2 s never trips a 4 s timeout, and
its answer of a few hundred bytes takes minutes. Neither library has a total timeout (requests'
documentation says so; urllib3's ``Timeout(total=...)`` still bounds each read separately).
So:

* :func:`call_with_deadline` runs the call on its own daemon thread and waits for it at most
  until the deadline: the request thread is free again then, whatever the call is doing, DNS
  lookups included (those no socket trick can interrupt);
* at the deadline it *cuts* the call: every socket the call opened or reused is shut down
  (``shutdown(SHUT_RDWR)`` wakes a thread blocked reading it; ``close`` would not), so the call's
  thread ends at once and gives its place under the cap back (buurt.geo.guard). The same watchdog
  idea as buurt.mail's SMTP deadline, with the waiting request thread as the watchdog.

The sockets are found through :class:`WatchedRequestsAdapter`, geopy's ``RequestsAdapter`` (keep-
alive and its error mapping kept) whose urllib3 connection pools use connection classes that
register their socket with the call running on the current thread: on connect (the raw socket,
so a stalled TLS handshake is cut too), after connect (the TLS socket) and on every request over a
kept-alive connection.

Pure: no Flask.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

from geopy.adapters import RequestsAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Cut", "DeadlinePassed", "WatchedRequestsAdapter", "call_with_deadline"]

T = TypeVar("T")

_current = threading.local()


class DeadlinePassed(Exception):
    """The call did not finish before its deadline; its sockets were shut down."""


class Cut:
    """The sockets of one call, and whether its deadline has passed (then they are shut down)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.is_cut = False

    def watch(self, sock: socket.socket | None) -> None:
        """Remember a socket of this call; one that arrives after the cut is shut down at once."""
        if sock is None:
            return
        with self._lock:
            if not self.is_cut:
                self._sockets.append(sock)
                return
        _shut(sock)

    def cut(self) -> None:
        with self._lock:
            self.is_cut = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for a TLS socket: SSLSocket.shutdown would drop its TLS
    # state under the feet of the thread that is reading it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    cut: Cut | None = getattr(_current, "cut", None)
    if cut is not None:
        cut.watch(sock)


def call_with_deadline(fn: Callable[[], T], timeout: float, *, on_end: Callable[[], None] | None = None) -> T:
    """``fn()`` on its own daemon thread; its result or exception, or :class:`DeadlinePassed`.

    Waits at most ``timeout`` seconds; then cuts the call (see module docstring) and raises
    :class:`DeadlinePassed` without waiting for the thread. ``on_end`` runs on that thread when
    ``fn`` has ended, however it ended (buurt.geo.guard.Slot.release).
    """
    future: Future[T] = Future()
    cut = Cut()

    def run() -> None:
        _current.cut = cut
        try:
            future.set_result(fn())
        except BaseException as error:  # handed to the waiting caller (or dropped after a cut)
            future.set_exception(error)
        finally:
            _current.cut = None
            if on_end is not None:
                on_end()

    try:
        threading.Thread(target=run, name="buurt-geocoder-call", daemon=True).start()
    except RuntimeError:  # no thread to be had: nothing runs, so nothing will call on_end
        if on_end is not None:
            on_end()
        raise
    done, _ = wait([future], timeout=max(timeout, 0.0))
    if not done:
        cut.cut()
        raise DeadlinePassed
    return future.result()  # not result(timeout): the call's own TimeoutError (geopy's
    # GeocoderTimedOut is one) would look like the deadline


class _Watched:
    """Mixin for urllib3's connection classes: every socket they use is watched (cut at the deadline)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watch(self.sock)  # a kept-alive connection: no connect this time
        super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class WatchedRequestsAdapter(RequestsAdapter):
    """geopy's requests adapter whose sockets a :func:`call_with_deadline` can cut."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for transport in self.session.adapters.values():
            transport.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
