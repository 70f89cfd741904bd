"""Slow clients against gunicorn: is /health still answered while K clients trickle a request body?

Issue 11: with `make run`'s old command (2 sync workers), 2 clients that send their headers and
then a form body one byte per second held both workers; /health went unanswered for 32 s, until
the arbiter killed the silent workers. This benchmark repeats that on 127.0.0.1 for gunicorn's
defaults ("sync", as before) and for gunicorn.conf.py ("conf", as now), and prints per scenario
how many /health probes were answered meanwhile, their p50/max latency, and what became of the
slow clients once they finally finished their body (a complete request: 400 from the CSRF
check, because they carry no token; "-" means the server closed the connection).

Each scenario starts its own server; the run takes about 45 s. Slow *readers* are not measured:
the largest public responses (map documents, ~100 KB) fit in the kernel's socket buffers, so a
worker finishes writing and moves on whether or not the client reads.

    .venv/bin/python bench/bench_slow_clients.py [--seconds 8] [--scenarios sync:2,conf:2,conf:8,conf:16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gunicorn_support import CONFIG_FILE, prepare_database, running_gunicorn  # noqa: E402

BODY_LENGTH = 200  # bytes announced in Content-Length; the trickle never gets near it
PROBE_TIMEOUT_S = 2.0  # a monitoring check that waits longer than this counts as down


@dataclass
class SlowClient:
    """One connection that sent its headers and then one body byte per second."""

    port: int
    path: str = "/welke-groep"  # the app reads the form (CSRF check), so the body must arrive
    sent: int = 0
    outcome: str = "?"
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                sock.sendall(
                    (
                        f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        f"Content-Length: {BODY_LENGTH}\r\nConnection: close\r\n\r\n"
                    ).encode()
                )
                while not self.stop.wait(1.0) and self.sent < BODY_LENGTH - 1:
                    sock.sendall(b"x")
                    self.sent += 1
                sock.sendall(b"x" * (BODY_LENGTH - self.sent))  # finish the body at once
                status_line = sock.makefile("rb").readline()
                self.outcome = status_line.split()[1].decode() if status_line else "-"
        except OSError as error:
            self.outcome = type(error).__name__


def probe(url_port: int) -> float | None:
    """Seconds for one GET /health on a new connection, or None when it failed or timed out."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", url_port, timeout=PROBE_TIMEOUT_S)
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - start if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def scenario(name: str, slow: int, seconds: float, instance: Path, uri: str, threads: int | None = None) -> dict:
    """Start the server, connect `slow` slow clients, probe /health for `seconds`, then let them finish."""
    config_file = CONFIG_FILE if name == "conf" else None
    threads = threads if name == "conf" else None
    with running_gunicorn(
        database_uri=uri, instance_path=instance, workers=2, config_file=config_file, threads=threads
    ) as server:
        clients = [SlowClient(server.port) for _ in range(slow)]
        runners = [threading.Thread(target=c.run, daemon=True) for c in clients]
        for t in runners:
            t.start()
        time.sleep(1.5)  # headers sent, first body bytes on their way: the workers are reading
        answered, failed = [], 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            took = probe(server.port)
            if took is None:
                failed += 1
            else:
                answered.append(took)
                time.sleep(0.2)
        still_sending = sum(1 for c, t in zip(clients, runners, strict=True) if t.is_alive() and c.outcome == "?")
        for c in clients:
            c.stop.set()
        for t in runners:
            t.join(15)
    outcomes: dict[str, int] = {}
    for c in clients:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    total = len(answered) + failed
    return {
        "config": name if threads is None else f"{name}/t{threads}",
        "slow_clients": slow,
        "slow_still_sending": still_sending,
        "probes": total,
        "answered": len(answered),
        "availability": round(len(answered) / total, 3) if total else 0.0,
        "p50_ms": round(statistics.median(answered) * 1000, 1) if answered else None,
        "max_ms": round(max(answered) * 1000, 1) if answered else None,
        "slow_outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="probing time per scenario")
    parser.add_argument(
        "--scenarios",
        default="sync:2,conf:2,conf:8,conf:16",
        help="config:slow_clients,... where config is sync (gunicorn defaults) or conf (gunicorn.conf.py)",
    )
    parser.add_argument("--threads", type=int, help="threads per worker for conf (default: gunicorn.conf.py's)")
    args = parser.parse_args()
    plan = [(name, int(k)) for name, k in (item.split(":") for item in args.scenarios.split(","))]
    with tempfile.TemporaryDirectory(prefix="buurt-bench-slow-") as tmp:
        instance = Path(tmp) / "instance"
        uri = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        prepare_database(instance_path=instance, database_uri=uri)
        results = [scenario(name, k, args.seconds, instance, uri, args.threads) for name, k in plan]
    print("2 workers each; /health probed on new connections, timeout 2 s; slow clients send 1 byte/s")
    header = f"{'config':8} {'slow':>4} {'sending':>7} {'/health ok':>11} {'avail':>6} {'p50 ms':>7} {'max ms':>7}"
    print(header + "  slow ended")
    for r in results:
        p50 = "-" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        top = "-" if r["max_ms"] is None else f"{r['max_ms']:.1f}"
        ended = ", ".join(f"{k}×{v}" for k, v in sorted(r["slow_outcomes"].items()))
        print(
            f"{r['config']:8} {r['slow_clients']:>4} {r['slow_still_sending']:>7} "
            f"{r['answered']:>5}/{r['probes']:<5} {r['availability']:>6.0%} {p50:>7} {top:>7}  {ended}"
        )
    print(json.dumps({"benchmark": "slow_clients", "results": results}))


if __name__ == "__main__":
    main()
