"""Launch night through real gunicorn: four worker processes, one database, sign-ups at once.

The thread tests (test_launch_concurrency.py) share one Python process; here every worker is a
process with its own connection pool, as in production, so nothing in Python memory can make the
rule hold. Every post gets the same answer (stored or, for a number already signed up, not), one
row per number, and the group's seats stay within the cap. Fictional people,
numbers and addresses only.
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode

from buurt.areas.occupancy import occupancy_of
from buurt.extensions import db
from buurt.models import Resident, ResidentStatus
from tests.gunicorn_support import running_gunicorn
from tests.residents.conftest import form
from tests.residents.test_launch_concurrency import counts, one_seat_left

S = ResidentStatus
SERVER_CONFIG = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "GEOCODER_CHAIN": ["register"]}


def post(port: int, data: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = urlencode(data)
        connection.request(
            "POST", "/aanmelden", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_forty_sign_ups_on_four_workers_keep_the_cap_and_store_every_accepted_one(app, west, make_resident, tmp_path):
    one_seat_left(west, make_resident)
    group_id = west.id
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    posts = [form(phone=f"06 4100{n:04d}", name=f"Fictief Buur {n}") for n in range(30)]
    posts += [form(phone="06 41999999", name="Fictief Dubbel")] * 10  # one number, ten posts
    statuses: list[int | None] = [None] * len(posts)
    db.session.remove()  # the server's workers write; this process only counts afterwards

    # 4 worker processes × 4 threads: 16 database connections at most, well inside PostgreSQL's 100
    # while the other test process runs its own servers; startup_s: 4 boots on a busy CI machine
    server_args = {"config": SERVER_CONFIG, "workers": 4, "threads": 4, "startup_s": 120}
    with running_gunicorn(database_uri=uri, instance_path=tmp_path, **server_args) as server:
        barrier = threading.Barrier(len(posts))

        def send(index: int) -> None:
            barrier.wait(timeout=30)
            statuses[index] = post(server.port, posts[index])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(posts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        log = server.log()

    failures = [line for line in log.splitlines() if "unexpected" in line or "busy" in line]
    assert failures == [], log[-3000:]
    # Every post gets the same answer, stored or not (a known number is no oracle, issue 12)
    assert statuses == [302] * 40
    stored = db.session.scalar(
        db.select(db.func.count(Resident.id)).where(Resident.phone_e164.like("+31641%"), Resident.group_id == group_id)
    )
    assert stored == 31  # everyone with their own number, and one of the ten posts with one number
    after = counts(group_id)
    assert after[S.PENDING] + after.get(S.WAITLIST, 0) == 32
    # Sign-ups without a confirmed e-mail address hold no seat: the seats are as before, within the cap
    assert occupancy_of(group_id, households={}).occupied == 4
