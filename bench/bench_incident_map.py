"""Benchmark: the wijkagent's incident map with 10,000 fictional incidents, against a naive map.

    .venv/bin/python bench/bench_incident_map.py [--incidents N] [--repeat R] [--seed S] [--skip-naive]

Builds the incident map document (buurt.geo.incident_maps: one data array shared by
FastMarkerCluster-style clusters, a heatmap and a month slider) and a naive folium map with one
``folium.Marker`` per incident; times the build (best of ``--repeat``), reports the document sizes,
then loads both in headless Chromium (Debian's /usr/bin/chromium, served from 127.0.0.1, tiles
stubbed) and times until markers/clusters are drawn. Targets for the fast map: build < 100 ms,
size < 1 MB, shown < 1 s. Prints human lines, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import folium  # noqa: E402

from buurt.geo.folium_assets import make_map, render_map_document  # noqa: E402
from buurt.geo.incident_maps import (  # noqa: E402
    IncidentMapLabels,
    IncidentPoint,
    incident_map,
    incident_map_document,
)

CHROMIUM = os.environ.get("BUURT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
GREY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082"
)
CATEGORIES = [
    "Woninginbraak",
    "Poging tot inbraak",
    "Verdachte situatie",
    "Verdacht voertuig",
    "Diefstal uit auto",
    "Fietsdiefstal",
    "Vandalisme",
    "Overlast",
    "Brand",
    "Anders",
]
COLOURS = ["#b42318", "#d97706", "#6941c6", "#1d4ed8", "#0e7490", "#047857", "#7a2e0e", "#4d7c0f", "#be185d", "#475467"]
MONTHS = [
    "dec 2025",
    "jan 2026",
    "feb 2026",
    "mrt 2026",
    "apr 2026",
    "mei 2026",
    "jun 2026",
    "jul 2026",
    "aug 2026",
    "sep 2026",
    "okt 2026",
    "nov 2026",
]
BBOX = (52.2052, 4.4101, 52.2161, 4.4374)  # south, west, north, east of Rijnsoever


def fictional_incidents(n: int, seed: int) -> list[IncidentPoint]:
    rng = random.Random(seed)
    south, west, north, east = BBOX
    start = 29_400_000  # minutes since the epoch, late 2025
    return [
        IncidentPoint(
            i + 1,
            rng.uniform(south, north),
            rng.uniform(west, east),
            rng.randrange(10),
            rng.randrange(12),
            start + rng.randrange(12 * 30 * 24 * 60),
        )
        for i in range(n)
    ]


def build_fast(points: list[IncidentPoint]) -> str:
    labels = IncidentMapLabels(CATEGORIES, COLOURS, MONTHS, "/incidenten/{id}")
    return incident_map_document(incident_map(points, labels))


def build_naive(points: list[IncidentPoint]) -> str:
    m = make_map(location=[52.2106, 4.4237], zoom_start=15)
    for p in points:
        folium.Marker([p.lat, p.lon], tooltip=CATEGORIES[p.category]).add_to(m)
    return render_map_document(m)


def best_of(repeat: int, func, *args) -> tuple[float, str]:
    best, result = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


class _Handler(SimpleHTTPRequestHandler):
    documents: dict[str, bytes] = {}

    def do_GET(self):
        body = self.documents.get(self.path)
        if body is None:
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, *args):
        pass


def serve(documents: dict[str, str]) -> tuple[ThreadingHTTPServer, str]:
    _Handler.documents = {path: html.encode("utf-8") for path, html in documents.items()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def show_time(browser, url: str, ready_js: str, timeout_s: float) -> float:
    """Seconds from navigation start until ready_js is true (markers/clusters drawn), as the page measures it.

    The page's own clock (performance.now(), 0 = navigation start) leaves out Playwright's polling.
    Off-site requests are stubbed by a regex route, which the driver matches without calling Python.
    """
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route(
        re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"),
        lambda route: route.fulfill(status=200, content_type="image/png", body=GREY_PNG),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        handle = page.wait_for_function(
            f"() => ({ready_js}) && performance.now()", timeout=timeout_s * 1000, polling="raf"
        )
        elapsed = float(handle.json_value()) / 1000
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"JavaScript errors in {url}: {errors[:3]}")
    return elapsed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-naive", action="store_true", help="only the fast map (for a quick check)")
    args = parser.parse_args(argv)

    points = fictional_incidents(args.incidents, args.seed)
    build_fast(points[:100])  # warm-up: imports, template compilation
    fast_build, fast_html = best_of(args.repeat, build_fast, points)
    fast_size = len(fast_html.encode("utf-8"))
    print(f"incidents: {args.incidents:,}   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"fast map:  build {fast_build * 1000:7.1f} ms   size {fast_size / 1e6:6.3f} MB")
    documents = {"/fast.html": fast_html}
    naive_build = naive_size = None
    if not args.skip_naive:
        naive_build, naive_html = best_of(1, build_naive, points)
        naive_size = len(naive_html.encode("utf-8"))
        documents["/naive.html"] = naive_html
        print(f"naive map: build {naive_build * 1000:7.1f} ms   size {naive_size / 1e6:6.3f} MB  (one Marker each)")

    from playwright.sync_api import sync_playwright

    server, base = serve(documents)
    fast_show = naive_show = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
            try:
                clusters_drawn = "document.querySelectorAll('.marker-cluster').length > 0"
                show_time(browser, base + "/fast.html", clusters_drawn, 30)  # warm the browser cache
                fast_show = min(show_time(browser, base + "/fast.html", clusters_drawn, 30) for _ in range(3))
                print(f"fast map:  shown in Chromium in {fast_show * 1000:7.1f} ms (clusters drawn)")
                if not args.skip_naive:
                    markers_drawn = f"document.querySelectorAll('.leaflet-marker-icon').length >= {len(points)}"
                    naive_show = show_time(browser, base + "/naive.html", markers_drawn, 300)
                    print(f"naive map: shown in Chromium in {naive_show * 1000:7.1f} ms (all markers drawn)")
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()

    result = {
        "benchmark": "incident_map",
        "incidents": args.incidents,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "fast_build_ms": round(fast_build * 1000, 1),
        "fast_size_bytes": fast_size,
        "fast_show_ms": round(fast_show * 1000, 1),
        "targets_met": {
            "build_under_100ms": fast_build < 0.1,
            "size_under_1MB": fast_size < 1_000_000,
            "show_under_1s": fast_show < 1.0,
        },
    }
    if naive_build is not None:
        result.update(
            naive_build_ms=round(naive_build * 1000, 1),
            naive_size_bytes=naive_size,
            naive_show_ms=round(naive_show * 1000, 1),
            build_speedup=round(naive_build / fast_build, 1),
            show_speedup=round(naive_show / fast_show, 1),
            size_ratio=round(naive_size / fast_size, 1),
        )
        print(
            f"ratios: build {result['build_speedup']}x faster, shown {result['show_speedup']}x faster, "
            f"{result['size_ratio']}x smaller"
        )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
