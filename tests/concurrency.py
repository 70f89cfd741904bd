"""Real concurrency for tests: each job is its own browser, released together by a barrier.

Every thread gets its own test client (or the one given), its own app context, hence its own
database session and connection, so the database, not Python, has to keep the rules.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence


def run_at_once(app, jobs: Sequence[Callable], *, clients: Sequence | None = None) -> list:
    """Run each job(client) in its own thread; return their results in order.

    A job may carry a `prepare(client)` attribute (e.g. logging in), run before the barrier.
    Any exception in a job, and any thread still running after two minutes, fails the test.
    """
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[str] = []

    def work(index, job):
        client = clients[index] if clients is not None else app.test_client()
        try:
            prepare = getattr(job, "prepare", None)
            if prepare:
                with app.app_context():
                    prepare(client)
            barrier.wait(timeout=30)
            with app.app_context():
                results[index] = job(client)
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert errors == [], errors[0]
    return results
