"""Browser fixtures, loaded by tests/conftest.py: live_server, browser, page, phone_page.

Tiles from the default tile server (TILES_URL: PDOK) are stubbed with a grey PNG so no request
leaves the machine; any other failed request or JavaScript error fails the test (see `page.errors`).
"""

from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from buurt.config import Defaults

CHROMIUM = os.environ.get("BUURT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
GREY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082"
)


#: the default tile server's host (PDOK), whose tiles are stubbed
TILE_HOST = urlsplit(Defaults.TILES_URL).netloc

RESPONSE_KEY = "buurt.tests.response"


class _CloseOnce:
    """A WSGI response iterable whose close() runs at most once."""

    def __init__(self, iterable):
        self.iterable = iterable
        self.closed = False

    def __iter__(self):
        return iter(self.iterable)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if hasattr(self.iterable, "close"):
                self.iterable.close()


def keep_response(app):
    """WSGI middleware: remember the response in the environ, so the handler can close it."""

    def wsgi_app(environ, start_response):
        response = _CloseOnce(app(environ, start_response))
        environ[RESPONSE_KEY] = response
        return response

    return wsgi_app


class ClosingRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, but the response is closed also when the client drops the connection.

    werkzeug closes the response only after it has drained the socket; when a browser resets the
    connection (it navigated away or its context closed mid-response), the write or the drain
    raises first and the response (for a static file: the open file) is left to the garbage
    collector, which reports a ResourceWarning in whichever test runs at that moment.
    """

    def connection_dropped(self, error, environ=None) -> None:
        response = environ.get(RESPONSE_KEY) if environ else None
        if response is not None:
            response.close()


class ServedInThread:
    """A socketserver-style ``self.server`` served on a daemon thread for the ``with`` block."""

    server = None  # set by the subclass's __init__

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


class LiveServer(ServedInThread):
    def __init__(self, app, request_handler: type[WSGIRequestHandler] = ClosingRequestHandler):
        self.app = app
        wsgi_app = keep_response(app) if issubclass(request_handler, ClosingRequestHandler) else app
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=request_handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on 127.0.0.1 (a free port) in a thread."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session. Fails (never skips) when Chromium is missing."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: run `make browser`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        yield browser
        browser.close()


def _ignored_load(url: str, failure: str) -> bool:
    """A failed load that is not the page's fault: a map tile (stubbed below; the page sweep has
    seen a tile load that the stub did not catch fail with ERR_NAME_NOT_RESOLVED, as the sandbox
    has no DNS) or a load the browser cancels because the test navigates away (ERR_ABORTED)."""
    return "tile" in url or TILE_HOST in url or "ERR_ABORTED" in failure


def _new_page(browser, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.errors = []
    page.on(
        "console",
        lambda m: (
            page.errors.append(f"console: {m.text}")
            # Chromium's own "Failed to load resource" line for a load requestfailed ignores (below)
            if m.type == "error" and not _ignored_load(m.location.get("url") or "", m.text)
            else None
        ),
    )
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    page.on(
        "requestfailed",
        lambda r: (
            None if _ignored_load(r.url, r.failure or "") else page.errors.append(f"requestfailed: {r.url} {r.failure}")
        ),
    )
    # Playwright tries the most recently added route first: tiles are stubbed, anything else
    # off-site is aborted (and shows up in page.errors).
    context.route(
        lambda url: not url.startswith(("http://127.0.0.1", "data:", "about:", "blob:")),
        lambda route: route.abort(),
    )
    context.route(
        f"**/{TILE_HOST}/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=GREY_PNG),
    )
    page.set_default_timeout(10_000)
    return context, page


def frames_late(page, ms: int = 300) -> None:
    """From the next page on, every requestAnimationFrame callback runs `ms` late: a busy phone, or
    CI's two cores shared by two workers, each with a server and a browser. Leaflet starts a zoom
    animation on the next frame; with late frames a test sees what a quick person on a slow phone
    sees (CI failed on a click lost during the area editor's first zoom, stop 29)."""
    page.add_init_script(
        """(() => {
          const late = LATE;
          const frame = window.requestAnimationFrame.bind(window);
          const cancel = window.cancelAnimationFrame.bind(window);
          const waiting = new Map();
          let last = 0;
          window.requestAnimationFrame = (callback) => {
            const id = ++last;
            const request = {frame: 0};
            request.timer = setTimeout(() => {
              request.frame = frame((time) => { waiting.delete(id); callback(time); });
            }, late);
            waiting.set(id, request);
            return id;
          };
          window.cancelAnimationFrame = (id) => {
            const request = waiting.get(id);
            if (!request) { return; }
            clearTimeout(request.timer);
            if (request.frame) { cancel(request.frame); }
            waiting.delete(id);
          };
        })();""".replace("LATE", str(int(ms)))
    )


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page; `page.errors` lists JS errors and failed requests."""
    context, page = _new_page(browser, viewport={"width": 1200, "height": 900}, locale="nl-NL")
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A fresh phone-sized page (390x844, touch), as residents use the site."""
    context, page = _new_page(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    yield page
    context.close()
