"""`flask buurt backup` and `restore` on the demo data: time, archive size and peak memory.

For SQLite and for PostgreSQL (a throwaway cluster, tests/postgres_support.py): the demo data
(~1,050 residents) plus PHOTOS photos of a phone's size after buurt's re-encoding (2560 px,
~1.3 MB each: noise, so more than a real photo), then a plain and an encrypted backup and a
restore of each into a fresh instance, every one the real command in a process of its own.
Prints one line per step: wall time (including the ~2 s it takes to start `flask`), archive size
and the process's peak RSS, which shows what encryption costs (buurt.ops.agefile streams:
scrypt's 256 MiB, whatever the archive's size).

    .venv/bin/python bench/bench_backup.py [--photos 40] [--kinds sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from buurt.photostore import DirStore  # noqa: E402
from tests.gunicorn_support import VENV_BIN, prepare_database, server_env  # noqa: E402
from tests.postgres_support import running_postgres  # noqa: E402


def phone_photo(seed: int) -> bytes:
    """A 2560 x 1920 JPEG at quality 85 with some texture (what buurt stores of a phone photo)."""
    noise = Image.effect_noise((640, 480), 40 + seed % 20).resize((2560, 1920)).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def flask(instance: Path, uri: str, *args: str, config: dict | None = None) -> tuple[float, int]:
    """Run `flask buurt ARGS`; (seconds, the process's peak RSS in MB)."""
    env = server_env(instance_path=instance, database_uri=uri, config=config)
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "app", "buurt", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        _pid, status, usage = os.wait4(process.pid, 0)  # wait4: the child's own rusage (peak RSS)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"flask buurt {' '.join(args)} failed:\n{err.read()[-2000:]}")
    return seconds, usage.ru_maxrss // 1024


def run(kind: str, uri_for, photos: int, scratch: Path) -> None:
    site = scratch / f"{kind}-site"
    uri = uri_for("site")
    prepare_database(instance_path=site, database_uri=uri, demo=True)
    store = DirStore(site / "uploads" / "incidents")
    total = 0
    for n in range(photos):
        data = phone_photo(n)
        total += len(data)
        store.write(f"{n:032x}.jpg", data)
    print(f"{kind}: demo data + {photos} photos ({total / 1e6:.1f} MB)")
    passphrase = scratch / "passphrase"
    passphrase.write_text("een lang fictief wachtwoord voor de meting\n")
    for label, config in (("plain", {}), ("encrypted", {"BACKUP_PASSPHRASE_FILE": str(passphrase)})):
        seconds, peak = flask(site, uri, "backup", config=config)
        archive = max((site / "backups").iterdir(), key=lambda p: p.stat().st_mtime_ns)
        print(f"  backup {label:9} {seconds:5.1f} s  {archive.stat().st_size / 1e6:6.1f} MB  peak {peak} MB RSS")
        fresh = scratch / f"{kind}-{label}-restored"
        seconds, peak = flask(fresh, uri_for(f"{label}_restored"), "restore", str(archive), config=config)
        print(f"  restore {label:8} {seconds:5.1f} s                peak {peak} MB RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--kinds", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="buurt-bench-backup-") as scratch_dir:
        scratch = Path(scratch_dir)
        kinds = args.kinds.split(",")
        if "sqlite" in kinds:
            run("sqlite", lambda name: f"sqlite:///{scratch / f'sqlite-{name}.sqlite'}", args.photos, scratch)
        if "postgresql" in kinds:
            with running_postgres() as server:
                run("postgresql", server.new_database, args.photos, scratch)


if __name__ == "__main__":
    main()
