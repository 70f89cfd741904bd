"""Real gunicorn on 127.0.0.1 for tests and benchmarks: start, wait for /health, stop reliably.

The test client runs the app in the test's own process; questions about workers, threads, slow
clients and concurrent writers need the real server. This module starts one as a subprocess on a
free port, configured only through the environment (BUURT_* variables and
SQLALCHEMY_DATABASE_URI, as in production), and always stops it again::

    with running_gunicorn(database_uri=uri, instance_path=tmp, workers=2) as server:
        urllib.request.urlopen(server.url + "/health")

``config_file`` defaults to the project's gunicorn.conf.py; ``config_file=None`` gives gunicorn's
own defaults (sync workers), which is what `make run` used before gunicorn.conf.py existed.
Command-line options (``bind``, ``workers``, ``worker_class``, ``threads``) win over the file.

The database must exist: a test passes the URI of its ``app`` fixture (schema and Rijnsoever
already there); a benchmark calls :func:`prepare_database` first.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "gunicorn.conf.py"
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "gunicorn-test-secret-not-for-production"  # a throwaway server's key

#: used when the caller does not choose: offline geocoding only (no request leaves the machine)
DEFAULT_CONFIG = {"GEOCODER_CHAIN": ["register"]}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(*, instance_path: str | Path, database_uri: str, config: dict | None = None) -> dict[str, str]:
    """The environment for the server: the caller's, minus its BUURT_* variables, plus ours.

    ``config`` values become BUURT_<KEY> variables (JSON unless a plain string), which create_app
    reads with ``from_prefixed_env``: e.g. ``{"RATELIMIT_ENABLED": False}``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURT_")}
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)  # the command line says where and how; nothing inherited
    env["BUURT_INSTANCE_PATH"] = str(instance_path)
    env["BUURT_SECRET_KEY"] = SECRET_KEY
    env["SQLALCHEMY_DATABASE_URI"] = database_uri
    for key, value in {**DEFAULT_CONFIG, **(config or {})}.items():
        env[f"BUURT_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


_PREPARE = """
import sys
from buurt import create_app
from buurt.areas.services import seed_default_neighbourhood
from buurt.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
    seed_default_neighbourhood()
    if sys.argv[1] == "demo":
        from buurt.demo import load_demo
        load_demo()
    db.session.remove()
    db.engine.dispose()
"""


def prepare_database(*, instance_path: str | Path, database_uri: str, demo: bool = False) -> None:
    """Create the schema (``db.create_all``, as the tests do), Rijnsoever, and optionally the demo data.

    Runs in a subprocess with the server's environment, so it sees exactly the configuration the
    server will see and leaves no engine behind in the caller.
    """
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(VENV_BIN / "python"), "-c", _PREPARE, "demo" if demo else "plain"],
        cwd=ROOT,
        env=server_env(instance_path=instance_path, database_uri=database_uri),
        check=True,
        capture_output=True,
    )


@dataclass
class GunicornServer:
    """A running gunicorn: its base URL, process and the log it wrote (stderr)."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        """GET path; the status and body (HTTP errors are answers too)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def gunicorn_command(
    port: int,
    config_file: Path | None,
    scratch: Path,
    workers: int,
    worker_class: str | None,
    threads: int | None,
    extra_args: tuple[str, ...],
) -> list[str]:
    if config_file is None:
        config_file = scratch / "gunicorn-defaults.conf.py"  # empty: gunicorn's defaults, not ./gunicorn.conf.py
        config_file.write_text("")
    command = [str(VENV_BIN / "gunicorn"), "-c", str(config_file), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers)]
    if worker_class == "sync":
        # gunicorn quietly runs gthread for "sync" with more than one thread, and the config file
        # asks for 4: a test that asked for sync workers got threaded ones (test_metrics held no worker)
        if threads not in (None, 1):
            raise ValueError(f"sync workers have one thread, not {threads}")
        threads = 1
    if worker_class:
        command += ["--worker-class", worker_class]
    if threads:
        command += ["--threads", str(threads)]
    return [*command, *extra_args, "app:app"]


def wait_until_healthy(url: str, process: subprocess.Popen, deadline_s: float = 120.0) -> None:
    """Poll /health until it answers 200; fail early when the server exited."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering /health")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /health within {deadline_s:.0f} s")


def stop(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM (graceful), then SIGKILL of the whole process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the arbiter and its workers
        process.wait(5)


@contextmanager
def running_gunicorn(
    *,
    database_uri: str,
    instance_path: str | Path,
    config: dict | None = None,
    workers: int = 2,
    worker_class: str | None = None,
    threads: int | None = None,
    config_file: Path | None = CONFIG_FILE,
    extra_args: tuple[str, ...] = (),
    startup_s: float = 120.0,
) -> Iterator[GunicornServer]:
    """gunicorn serving app:app on a free 127.0.0.1 port until the block ends.

    ``config`` goes to the app as BUURT_* variables (see :func:`server_env`); ``worker_class``
    and ``threads`` override the config file, ``config_file=None`` means gunicorn's defaults.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="buurt-gunicorn-") as scratch_dir:
        scratch = Path(scratch_dir)
        log_path = scratch / "gunicorn.log"
        command = gunicorn_command(port, config_file, scratch, workers, worker_class, threads, extra_args)
        env = server_env(instance_path=instance_path, database_uri=database_uri, config=config)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = GunicornServer(url=f"http://127.0.0.1:{port}", port=port, process=process, log_path=log_path)
        try:
            wait_until_healthy(server.url, process, startup_s)
            if worker_class:  # what gunicorn runs, not only what it was asked for
                assert f"Using worker: {worker_class}" in server.log(), server.log()[-2000:]
            yield server
        except BaseException:
            sys.stderr.write(server.log()[-4000:])
            raise
        finally:
            stop(process)


def listen_queue(port: int) -> int:
    """How many connections to 127.0.0.1:`port` wait to be taken by a worker (Linux).

    A client's connect returns once the kernel has queued the connection; a worker takes it later.
    /proc/net/tcp shows a listening socket's queue as its rx_queue. Raises when nothing listens there.
    """
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(address.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            return int(queues.split(":")[1], 16)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def wait_until_taken(port: int, timeout: float = 10.0) -> None:
    """Until every connection made to `port` so far is taken by a worker (its listen queue is empty)."""
    deadline = time.monotonic() + timeout
    while (waiting := listen_queue(port)) > 0:
        assert time.monotonic() < deadline, f"{waiting} connection(s) to port {port} not taken in {timeout} s"
        time.sleep(0.01)


def pause(pid: int, seconds: float) -> None:
    """Stop process `pid` now and let it go on after `seconds` (a worker on a busy machine)."""
    os.kill(pid, signal.SIGSTOP)
    resume = threading.Timer(seconds, os.kill, (pid, signal.SIGCONT))
    resume.daemon = True
    resume.start()


class SlowBodyClient:
    """A client that sent its headers and only part of its form body, then waits.

    While it waits, a sync worker (or one gthread thread) that took the connection is stuck
    reading the rest. ``finish()`` sends the rest and returns the status code of the answer.
    """

    def __init__(self, port: int, path: str = "/welke-groep", announced: int = 200, first: int = 10):
        self.announced, self.sent = announced, first
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {announced}\r\nConnection: close\r\n\r\n"
            ).encode()
            + b"x" * first
        )

    def is_connected(self) -> bool:
        """True while the server neither answered nor closed the connection."""
        self.sock.setblocking(False)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True  # nothing to read and no end of stream: open, and still waiting
        except OSError:
            return False
        else:
            return False  # an answer, or the end of the stream: the server is done with it
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(10)

    def finish(self) -> int:
        """Send the rest of the body; the answer's status code (0 when the server closed without one).

        Then hang up, as a browser does: gunicorn (27+) lingers up to 2 s after an answer until the
        client closes, and only then is the worker free for the next connection.
        """
        self.sock.sendall(b"x" * (self.announced - self.sent))
        with self.sock.makefile("rb") as answer:
            status_line = answer.readline()
        self.close()
        return int(status_line.split()[1]) if status_line else 0

    def close(self) -> None:
        self.sock.close()
