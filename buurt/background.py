"""One daemon thread per web worker that does a round of work now and then: the mail sender
(buurt.outbox) and the geocode-later round (buurt.residents.geocode_later).

Started from a request, so in a gunicorn worker after the fork, never in the master or a `flask`
command; a thread never survives a fork, hence the pid check. A round runs at once (work may be
waiting from before a restart), then every ``interval()`` seconds, or sooner when woken.
A subclass says what a round is (``work``) and how long to wait (``interval``); ``work`` must
not raise (the thread must live on).

:func:`instance_lock` lets one process at a time do a round that must not run twice at once (the
geocode-later round, the daily purge), across the workers and the `flask buurt` commands of a machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask


@contextlib.contextmanager
def instance_lock(app: Flask, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Hold the machine-wide lock file `name` in the instance folder while the block runs; yields
    False at once if another process holds it (only with ``wait=False``)."""
    os.makedirs(app.instance_path, exist_ok=True)
    with open(Path(app.instance_path) / name, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BackgroundThread:
    """A round of ``work()`` at once, then every ``interval()`` seconds or when woken."""

    #: the thread's name (shows in py-spy, faulthandler and gunicorn's thread dumps)
    name = "buurt-background"

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopped = False

    def interval(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def work(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def ensure_running(self) -> None:
        """Start the thread in this process unless it runs (or was stopped); cheap when it runs."""
        if self.running or self._stopped:
            return
        with self._lock:
            if self.running or self._stopped:
                return
            self._wake = threading.Event()
            self._wake.set()  # a first round at once: work may be waiting from a previous process
            self._thread = threading.Thread(target=self._run, args=(self._wake,), name=self.name, daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def wake(self) -> None:
        """A round now rather than at the next interval."""
        self.ensure_running()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """End the thread after its current round (tests; a worker just exits, the thread is a daemon)."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)

    def _run(self, wake: threading.Event) -> None:
        while not self._stopped:
            wake.wait(self.interval())
            wake.clear()
            if not self._stopped:
                self.work()
