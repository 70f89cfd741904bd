"""A real redis-server (Debian's package) on 127.0.0.1 for tests: started per test module, own port.

`make test` installs redis-server (the Makefile's `redis` target, as `browser` installs Chromium);
the tests start and stop their own server, never the system service: a free port, no persistence
(``--save '' --appendonly no``), a scratch directory, so a Redis that apt started on 6379 neither
helps nor gets in the way::

    from tests.redis_support import redis_server  # noqa: F401 - the fixture

    def test_x(redis_server):
        app = make_test_app(tmp_path, RATELIMIT_STORAGE_URI=redis_server.url)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gunicorn_support import free_port


@dataclass
class RedisServer:
    """A running redis-server: its URL for limits/redis-py, port and process."""

    url: str
    port: int
    process: subprocess.Popen

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def flush(self) -> None:
        with self.client() as client:
            client.flushall()


@contextmanager
def running_redis(startup_s: float = 30.0) -> Iterator[RedisServer]:
    """redis-server on a free 127.0.0.1 port until the block ends (fails clearly when not installed)."""
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make redis` (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="buurt-redis-") as scratch:
        log_path = Path(scratch) / "redis.log"
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", scratch, "--logfile", str(log_path), "--daemonize", "no"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        server = RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, process=process)
        try:
            _wait_for_ping(server, startup_s, log_path)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _wait_for_ping(server: RedisServer, startup_s: float, log_path: Path) -> None:
    import redis

    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            raise RuntimeError(f"redis-server exited with {server.process.returncode}: {log[-2000:]}")
        try:
            with server.client() as client:
                if client.ping():
                    return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer PING within {startup_s:.0f} s")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server per test module, emptied before each test that asks for it."""
    with running_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an empty Redis (the module's server, flushed)."""
    redis_server.flush()
    return redis_server.url
