"""How many PDOK requests a lookup costs (issue 14): a found house, a choice, a block of flats.

PDOK is asked for every address at the postcode + number (``rows`` = 100, PDOK's maximum) and
paged with ``start`` when a number has more addresses. This benchmark serves the reconstructed
Proefstraat docs and a block of ``--flats`` addresses at one number (tests/geo/data/pdok/) from the
fake PDOK on 127.0.0.1 (tests/geocoder_support.py, which honours fq, rows, start and numFound) and
looks up, through a real PDOKGeocoder over HTTP: a found house, the same typed another way (105H
for 105-H), a number with two toevoegingen, the block's bare number (the complete choice), the
last flat, and the same by street. It prints the requests and wall time per lookup, then one
JSON object on the last line.

    .venv/bin/python bench/bench_pdok_paging.py [--flats 250] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded  # noqa: E402
from tests.geocoder_support import FakePDOK  # noqa: E402

DATA = ROOT / "tests" / "geo" / "data" / "pdok"


def block(flats: int) -> list[dict]:
    template = json.loads((DATA / "reconstructed_free_proefstraat_toevoegingen.json").read_text("utf-8"))
    base = template["response"]["docs"][0]
    docs = []
    for n in range(1, flats + 1):
        doc = dict(base, huisnummer=1, huisnummertoevoeging=str(n), huis_nlt=f"1-{n}", postcode="2221CN")
        doc.update(straatnaam="Proefflat", weergavenaam=f"Proefflat 1-{n}, 2221CN Katwijk", id=f"adr-flat-{n}")
        docs.append(doc)
    return template["response"]["docs"] + docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flats", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cases = {
        "found (2221CM 105-H)": "2221CM 105-H",
        "found, other reading (2221CM 105H)": "2221CM 105H",
        "choice of 2 (2221CM 7)": "2221CM 7",
        f"choice of {args.flats} (2221CN 1)": "2221CN 1",
        f"last flat (2221CN 1-{args.flats})": f"2221CN 1-{args.flats}",
        "found by street (Proefstraat 105H, Katwijk)": "Proefstraat 105H, Katwijk",
        f"choice of {args.flats} by street (Proefflat 1, Katwijk)": "Proefflat 1, Katwijk",
    }
    out: dict[str, dict] = {}
    with FakePDOK(docs=block(args.flats)) as server:
        pdok = server.geocoder(user_agent="buurt-bench/1.0")
        for name, text in cases.items():
            query = AddressQuery.from_text(text)
            times, answer = [], ""
            before = len(server.requests)
            for _ in range(args.repeat):
                started = time.perf_counter()
                try:
                    result = pdok.geocode(query)
                    answer = f"found {result.house_number}" if result else "unknown"
                except HouseChoiceNeeded as choice:
                    answer = f"choice of {len(choice.choice.houses)}"
                times.append((time.perf_counter() - started) * 1000)
            requests = (len(server.requests) - before) / args.repeat
            out[name] = {"answer": answer, "requests": requests, "p50_ms": round(statistics.median(times), 1)}
            print(f"{name:55} {answer:18} {requests:4.1f} requests  p50 {statistics.median(times):6.1f} ms")
    print(json.dumps({"benchmark": "pdok_paging", "flats": args.flats, "repeat": args.repeat, "lookups": out}))


if __name__ == "__main__":
    main()
