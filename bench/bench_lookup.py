"""/api/v1/lookup under load: gunicorn (2 workers) on 127.0.0.1, measured with wrk.

Compares with the trivial JSON route /health of the same app in the same run.
Targets (issue 3): lookup >= 25% of the trivial route's requests/s, p99 < 20 ms.
The rate limit is switched off for this benchmark only. Needs `wrk` (Debian package).

    .venv/bin/python bench/bench_lookup.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, script: Path | None = None) -> dict:
    args = ["wrk", "-t1", "-c10", f"-d{seconds}s", "--latency", url]
    if script:
        args[1:1] = ["-s", str(script)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * factor, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    env = {
        **os.environ,
        "BUURT_INSTANCE_PATH": str(tmp),
        "BUURT_SECRET_KEY": "bench-secret-not-for-production",
        "BUURT_RATELIMIT_ENABLED": "false",
        "BUURT_GEOCODER_CHAIN": '["register"]',
    }
    flask = [str(VENV_BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "buurt", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "buurt", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    addresses = json.loads(
        subprocess.run(
            [str(VENV_BIN / "python"), "-c", _DUMP_ADDRESSES],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    random.seed(7)
    sample = random.sample(addresses, min(500, len(addresses)))
    script = tmp / "lookup.lua"
    # POST with a JSON body (issue 13: an address in a query string lands in access logs)
    bodies = [json.dumps({"postcode": pc, "huisnummer": str(nr)}) for pc, nr in sample]
    script.write_text(
        "bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
        "headers = {['Content-Type'] = 'application/json'}\n"
        "i = 0\nrequest = function()\n  i = i % #bodies + 1\n"
        "  return wrk.format('POST', '/api/v1/lookup', headers, bodies[i])\nend\n"
    )
    port = free_port()
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        probe = urllib.request.Request(
            base + "/api/v1/lookup", data=bodies[0].encode(), headers={"Content-Type": "application/json"}
        )
        first = json.loads(urllib.request.urlopen(probe, timeout=5).read())
        assert first["status"] in ("found", "outside"), first
        wrk(base + "/health", 3)  # warm-up both workers
        wrk(base + "/", 2, script)
        trivial = wrk(base + "/health", args.seconds)
        lookup = wrk(base + "/", args.seconds, script)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = lookup["rps"] / trivial["rps"]
    print(f"trivial /health   : {trivial['rps']:8.0f} req/s  p99 {trivial['p99_ms']:.2f} ms")
    print(f"/api/v1/lookup    : {lookup['rps']:8.0f} req/s  p99 {lookup['p99_ms']:.2f} ms  non-2xx {lookup['non_2xx']}")
    print(f"ratio             : {ratio:.2%} (target >= 25%), p99 target < 20 ms")
    print(
        json.dumps(
            {
                "benchmark": "lookup_api_wrk",
                "addresses_sampled": len(sample),
                "trivial_rps": round(trivial["rps"]),
                "lookup_rps": round(lookup["rps"]),
                "ratio": round(ratio, 3),
                "lookup_p99_ms": round(lookup["p99_ms"], 2),
                "trivial_p99_ms": round(trivial["p99_ms"], 2),
                "lookup_non_2xx": lookup["non_2xx"],
            }
        )
    )


_DUMP_ADDRESSES = """
import json
from app import app
from buurt.extensions import db
from buurt.models import Address
with app.app_context():
    rows = db.session.execute(db.select(Address.postcode, Address.house_number)
                              .where(Address.house_letter == '', Address.house_addition == '')).all()
    print(json.dumps([list(r) for r in rows]))
"""

if __name__ == "__main__":
    main()
