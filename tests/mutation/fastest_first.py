"""pytest plugin for `make mutation` (scripts/mutation.py loads it with -p): a mutant's tests run
fastest first.

mutmut runs the tests that reach the mutated function with -x, in no particular order. A mutant the
tests kill stops at the first failing test, so starting with the quickest ones (their times from
mutmut's own clean run, mutants/mutmut-stats.json) kills most mutants in a fraction of the time.
Outside a mutant's run it does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def pytest_collection_modifyitems(session, config, items):
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    stats = Path("mutmut-stats.json")  # mutmut runs the tests inside mutants/
    if not stats.is_file():
        return
    durations = json.loads(stats.read_text("utf-8")).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
