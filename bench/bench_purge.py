"""Benchmark: the daily purge (buurt.retention.run_purge) on a town's worth of old data.

    .venv/bin/python bench/bench_purge.py [--scale 1.0]

Seeds a temporary SQLite database with fictional rows, a third of each kind past its retention
period: sign-ups, waitlisted and removed residents, incident reports (with and without photo
files), meldingen, audit rows, online-geocoder cache rows, WhatsApp tasks, sent mail and ended
logins. Then times a dry run (what `flask buurt purge` prints), the applied purge (what the daily
thread does, holding the database's write lock rule by rule), and a second applied purge with
nothing left to do (the usual day). Meanwhile another connection writes every 20 ms, as sign-ups
would: its longest wait is how long the purge held SQLite's one write lock. Prints human lines,
then ONE JSON object last.

At --scale 1: 3,000 residents, 20,000 incidents, 100,000 audit rows, 5,000 cache rows, 2,000
meldingen, 3,000 tasks, 10,000 mails, 2,000 sessions (several years of Rijnsoever, 1,000+ members).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import time
from datetime import timedelta

from _beheer_setup import make_app


def seed(scale: float) -> dict[str, int]:
    from buurt.areas.services import current_areas
    from buurt.extensions import db
    from buurt.geo.addresses import normalize_street
    from buurt.incidents import photos
    from buurt.models import (
        Address,
        AuditEntry,
        GroupTask,
        Incident,
        IncidentCategory,
        Melding,
        MeldingCategory,
        OutboxMessage,
        Resident,
        ResidentStatus,
        TaskKind,
        User,
        UserSession,
        utcnow,
    )

    now = utcnow()
    area = current_areas().areas[0]
    lat, lon = 52.2115, 4.4236
    years = [timedelta(days=d) for d in (10, 400, 1000)]  # a third fresh, two thirds past most periods
    n = {
        k: int(v * scale)
        for k, v in {
            "residents": 3000,
            "incidents": 20000,
            "audit": 100000,
            "cache": 5000,
            "meldingen": 2000,
            "tasks": 3000,
            "mails": 10000,
            "sessions": 2000,
        }.items()
    }
    statuses = [ResidentStatus.UNCONFIRMED, ResidentStatus.WAITLIST, ResidentStatus.REMOVED, ResidentStatus.ADDED]
    db.session.execute(
        db.insert(Resident),
        [
            {
                "name": f"Fictief Bewoner {i}",
                "phone_e164": f"+3162{i:07d}",
                "postcode": "2221ZZ",
                "house_number": i + 1,
                "street": "Fictieweg",
                "place": "Katwijk",
                "lat": lat,
                "lon": lon,
                "group_id": area.group_id,
                "area_id": area.id,
                "status": statuses[i % 4],
                "created_at": now - years[i % 3],
                "updated_at": now - years[i % 3],
                "removed_at": now - years[i % 3] if statuses[i % 4] == ResidentStatus.REMOVED else None,
                "email": f"bewoner{i}@example.org" if i % 2 else None,
                "email_confirmed_at": now - years[i % 3] if i % 2 else None,
            }
            for i in range(n["residents"])
        ],
    )
    instance = db.engine.url.database.rsplit("/", 1)[0] + "/instance"
    photo = photos.clean_photo(_jpeg(), max_pixels=10**7)
    rows = []
    for i in range(n["incidents"]):
        name = photos.store(photo, instance) if i % 50 == 0 else None
        when = now - years[i % 3]
        rows.append(
            {
                "category": list(IncidentCategory)[i % len(IncidentCategory)],
                "occurred_at": when,
                "reported_at": when,
                "lat": lat + (i % 97) * 1e-5,
                "lon": lon,
                "area_id": area.id,
                "group_id": area.group_id,
                "description": f"Fictieve omschrijving {i}",
                "location_label": "Fictieweg",
                "photo_filename": name,
                "photo_mime": "image/jpeg" if name else None,
            }
        )
    db.session.execute(db.insert(Incident), rows)
    db.session.execute(
        db.insert(AuditEntry),
        [
            {"at": now - years[i % 3], "action": "residents.view", "target_type": "group", "target_id": 1}
            for i in range(n["audit"])
        ],
    )
    db.session.execute(
        db.insert(Address),
        [
            {
                "postcode": "2222AA",
                "house_number": i + 1,
                "street": "Cacheweg",
                "street_norm": normalize_street("Cacheweg"),
                "place": "Katwijk",
                "lat": lat,
                "lon": lon,
                "source": "pdok",
                "created_at": now - years[i % 3],
                "updated_at": now - years[i % 3],
            }
            for i in range(n["cache"])
        ],
    )
    db.session.execute(
        db.insert(Melding),
        [
            {
                "received_text": f"Fictieve melding {i}",
                "category": list(MeldingCategory)[-1],
                "occurred_at": now - years[i % 3],
                "lat": lat,
                "lon": lon,
                "radius_m": 500,
                "created_at": now - years[i % 3],
            }
            for i in range(n["meldingen"])
        ],
    )
    db.session.execute(
        db.insert(GroupTask),
        [
            {
                "group_id": area.group_id,
                "kind": TaskKind.REMOVE_FROM_WHATSAPP,
                "display_name": f"Fictief {i}",
                "phone_e164": f"+3163{i:07d}",
                "created_at": now - years[i % 3],
                "done_at": now - years[i % 3] if i % 2 else None,
            }
            for i in range(n["tasks"])
        ],
    )
    db.session.execute(
        db.insert(OutboxMessage),
        [
            {
                "kind": "digest",
                "subject": "Fictief",
                "message_id": f"<bench-{i}@example.org>",
                "created_at": now - years[i % 3],
                "next_attempt_at": now - years[i % 3],
                "sent_at": now - years[i % 3],
            }
            for i in range(n["mails"])
        ],
    )
    user = User(email="bench@example.org", name="Bench", role="coordinator", password_hash="x")
    db.session.add(user)
    db.session.flush()
    db.session.execute(
        db.insert(UserSession),
        [
            {
                "token_hash": f"{i:064x}",
                "user_id": user.id,
                "created_at": now - years[i % 3],
                "last_seen_at": now - years[i % 3],
                "ended_at": now - years[i % 3],
            }
            for i in range(n["sessions"])
        ],
    )
    db.session.commit()
    return n


class Writer:
    """Another process's writes meanwhile (a sign-up in another gunicorn worker): one small write
    transaction every 20 ms on its own connection, timed. Its slowest is how long a visitor waited."""

    def __init__(self, database: str):
        self.database = database
        self.stopped = multiprocessing.Event()
        self.results = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=self.run, daemon=True)
        self.waits: list[float] = []

    def start(self) -> None:
        self.process.start()
        time.sleep(0.2)  # connected and writing before the purge starts

    def run(self) -> None:
        connection = sqlite3.connect(self.database, timeout=60, isolation_level=None)
        connection.execute("CREATE TABLE IF NOT EXISTS bench_writer (n INTEGER)")
        waits = []
        while not self.stopped.is_set():
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO bench_writer VALUES (1)")
            connection.execute("COMMIT")
            waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        connection.close()
        self.results.put(waits)

    def stop(self) -> None:
        self.stopped.set()
        self.waits = self.results.get(timeout=120)
        self.process.join(10)

    def result(self) -> dict:
        waits = sorted(self.waits) or [0.0]
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        return {"writes": len(waits), "write_p99_ms": round(p99 * 1000, 1), "write_max_ms": round(waits[-1] * 1000, 1)}


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 140, 160)).save(out, "JPEG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=None, help="rows per transaction (default: PURGE_BATCH)")
    args = parser.parse_args()

    import buurt.retention
    from buurt.areas.services import seed_default_neighbourhood
    from buurt.extensions import db
    from buurt.retention import run_purge

    if args.batch:
        buurt.retention.PURGE_BATCH = args.batch

    app = make_app()
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        started = time.perf_counter()
        seeded = seed(args.scale)
        seed_s = time.perf_counter() - started
        with db.engine.connect() as connection:  # the seeding's log written back: not the purge's cost
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        timings = {}
        database = db.engine.url.database
        for name, apply in (("dry_run", False), ("apply", True), ("apply_again", True)):
            writer = Writer(database)
            writer.start()
            started, cpu = time.perf_counter(), time.process_time()
            report = run_purge(apply=apply)
            timings[name] = {
                "wall_s": round(time.perf_counter() - started, 3),
                "cpu_s": round(time.process_time() - cpu, 3),
                "rows": report.total,
            }
            writer.stop()
            timings[name].update(writer.result())
            db.session.remove()
        counts = {k: v for k, v in report.counts.items() if v}
    for name, t in timings.items():
        print(
            f"{name:12s}: {t['wall_s']:7.2f} s wall, {t['cpu_s']:6.2f} s CPU, {t['rows']:7d} rows touched; "
            f"a writer in another process waited p99 {t['write_p99_ms']:.0f} ms, "
            f"max {t['write_max_ms']:.0f} ms ({t['writes']} writes)"
        )
    print(f"seeded {sum(seeded.values())} rows in {seed_s:.1f} s: {seeded}")
    batch = buurt.retention.PURGE_BATCH
    print(
        json.dumps(
            {"benchmark": "purge", "scale": args.scale, "batch": batch, "seeded": seeded, **timings, "left": counts}
        )
    )


if __name__ == "__main__":
    main()
