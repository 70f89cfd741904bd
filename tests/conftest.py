"""Fixtures: an app with a temporary instance folder and a real database, client, runner, factories.

The database is SQLite in the test's temporary folder, or PostgreSQL when
BUURT_TEST_DATABASE_URI is set (CI runs the suite a second time that way).
"""

from __future__ import annotations

import itertools
import os
import re

import pytest
from flask import request_started
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from buurt import create_app
from buurt.areas.services import seed_default_neighbourhood
from buurt.auth.services import create_user
from buurt.extensions import db
from buurt.models import Address, Group, Neighbourhood, Resident, ResidentStatus, Role, utcnow

pytest_plugins = ["tests.browser_support.fixtures"]

# `make mutation` (scripts/mutation.py) runs with HYPOTHESIS_PROFILE=mutation: the same examples every
# run, so a mutant's verdict does not depend on the luck of the draw.
hypothesis_settings.register_profile("mutation", derandomize=True, database=None)
if os.environ.get("HYPOTHESIS_PROFILE"):
    hypothesis_settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

HOORNES = ("BU05370103", "BU05370104")


def make_second_neighbourhood(codes=HOORNES, slug="hoornes", name="Hoornes") -> Neighbourhood:
    """A neighbourhood made directly from shipped CBS buurten, one group per buurt (see `hoornes`)."""
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    from buurt.areas.services import load_geojson
    from buurt.geo.polygons import area_m2
    from buurt.models import Area, BoundaryGeneration

    features = [
        f for f in load_geojson("katwijk_buurten_2024.geojson")["features"] if f["properties"]["buurtcode"] in codes
    ]
    hood = Neighbourhood(
        slug=slug,
        name=name,
        municipality="Katwijk",
        contact_email=f"{slug}@example.org",
        outline=mapping(unary_union([shape(f["geometry"]) for f in features])),
        households=sum(f["properties"]["huishoudens_2024"] for f in features),
        buurtcodes=list(codes),
        sort_order=1,
    )
    generation = BoundaryGeneration(neighbourhood=hood, number=1, is_current=True, activated_at=utcnow(), source="test")
    db.session.add_all([hood, generation])
    for order, f in enumerate(features):
        p = f["properties"]
        key = p["buurtnaam"].lower()
        group = Group(neighbourhood=hood, slug=key, name=f"BuurtAlarm {p['buurtnaam']}", capacity=256, sort_order=order)
        db.session.add(
            Area(
                generation=generation,
                group=group,
                key=key,
                name=p["buurtnaam"],
                geometry=f["geometry"],
                sort_order=order,
                households=p["huishoudens_2024"],
                households_source="CBS 2024",
                area_m2=area_m2(shape(f["geometry"])),
            )
        )
    db.session.commit()
    return hood


PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


_pg_databases: set[str] = set()


def _database_uri(tmp_path) -> str:
    """SQLite in the test's folder, or PostgreSQL (one database per xdist worker)."""
    uri = os.environ.get("BUURT_TEST_DATABASE_URI")
    if not uri:
        return f"sqlite:///{tmp_path / 'buurt.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return uri
    worker_uri = f"{uri}_{worker}"
    if worker_uri not in _pg_databases:
        from sqlalchemy import create_engine

        engine = create_engine(uri, isolation_level="AUTOCOMMIT")
        name = worker_uri.rsplit("/", 1)[1]
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        _pg_databases.add(worker_uri)
    return worker_uri


def make_test_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": _database_uri(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "GEOCODER_CHAIN": ("register",),
        "MAIL_SERVER": None,
        "MAIL_SENDER_THREAD": False,  # tests deliver the outbox themselves (the deliver_mail fixture)
        "GEOCODE_LATER_THREAD": False,  # tests place TO_GEOCODE sign-ups themselves (geocode_pending)
        "PURGE_THREAD": False,  # tests run the purge themselves (run_purge, `flask buurt purge`)
        "SITE_URL": "http://localhost",
    }
    config.update(overrides)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(test_config=config, instance_path=str(instance))
    request_started.connect(_fresh_g, app)
    return app


def _fresh_g(sender, **extra):
    """Each request starts with an empty `g`, as in production.

    The `app` fixture keeps an app context pushed for the whole test (so tests can use
    db.session); Flask reuses that context for test-client requests, which would otherwise
    carry `g` (the logged-in user, the CSRF token) from one request to the next.
    """
    from flask import g

    g.__dict__.clear()


def _reset_schema() -> None:
    """Drop and recreate every table (for apps a test builds itself)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.create_all()
    # create_all builds the head schema (tests/test_migrations.py holds the two equal): record the
    # head as `flask buurt init` would, so /health/ready answers 200 for a test app
    import flask_migrate

    flask_migrate.stamp()


def _empty_database() -> None:
    """Remove every row, keeping the tables (much faster than recreating them)."""
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


# Building an app costs ~0.5 s (werkzeug compiles every URL rule), so each test worker keeps
# one app per distinct configuration; every test still gets an empty database, fresh caches,
# fresh rate-limit counters and its configuration restored afterwards.
_apps: dict[str, object] = {}
_PER_TEST_EXTENSIONS = ("buurt.current_areas", "buurt.geocoder")


def _cached_app(tmp_path_factory, overrides: dict):
    # per pytest session too: `make mutation` (mutmut) runs several sessions in one process, and an
    # earlier session's temporary folder, with the database in it, may be gone by then
    key = repr((str(tmp_path_factory.getbasetemp()), sorted(overrides.items())))
    if key not in _apps:
        app = make_test_app(tmp_path_factory.mktemp("app"), **overrides)
        with app.app_context():
            _reset_schema()
        _apps[key] = app
    return _apps[key]


@pytest.fixture
def app_config():
    """Override per test module or test: return a dict of config values."""
    return {}


@pytest.fixture
def app(tmp_path_factory, app_config):
    """The app with an empty database holding only the default Rijnsoever setup."""
    from buurt.extensions import limiter

    app = _cached_app(tmp_path_factory, app_config)
    saved_config = dict(app.config)
    for name in [n for n in app.extensions if n in _PER_TEST_EXTENSIONS or n.startswith("buurt.cache.")]:
        app.extensions.pop(name)  # revisions restart with the emptied database: no cache may survive
    with app.app_context():
        _empty_database()
        # One Limiter serves every app of the worker and keeps the `enabled` flag of the app
        # initialised last; set it for this test's app (the default test config disables it).
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        if limiter.enabled:
            limiter.reset()
        seed_default_neighbourhood()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # Each cached app (one per distinct app_config) keeps a pool, and the rate limiter takes
            # a connection of its own beside the request's: idle pools of all of them passed
            # PostgreSQL's 100 connections. A test's connections go back with the test.
            db.engine.dispose()
    app.config.clear()
    app.config.update(saved_config)


@pytest.fixture
def other_app(app, tmp_path):
    """A second app on the same database, with its own per-process caches (another worker's view)."""
    second = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def token_in(html: str) -> str:
    """The one-time form token (buurt.once) in a rendered form."""
    match = re.search(r'name="once" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="once" value="([^"]+)"', html
    )
    assert match, "no one-time token in the form"
    return match.group(1)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def groups(app) -> list[Group]:
    """The 5 default groups (Rijnsoever), in display order."""
    return list(
        db.session.scalars(
            db.select(Group).join(Neighbourhood).where(Neighbourhood.slug == "rijnsoever").order_by(Group.sort_order)
        )
    )


@pytest.fixture
def rijnsoever(app) -> Neighbourhood:
    """The default neighbourhood."""
    return db.session.scalar(db.select(Neighbourhood).filter_by(slug="rijnsoever"))


@pytest.fixture
def hoornes(app) -> Neighbourhood:
    """A second neighbourhood beside Rijnsoever, straight from the shipped CBS 2024 buurten (not
    through buurt.neighbourhoods.services, so tests of other parts do not depend on it): Hoornes,
    slug ``hoornes``, the buurten Hoornes-West and Hoornes-Oost, one group each ("BuurtAlarm
    Hoornes-West" / "-Oost", capacity 256), generation 1 current, contact hoornes@example.org."""
    return make_second_neighbourhood()


@pytest.fixture
def make_user(app):
    """Factory: make_user(role, groups=[...], email=None, password=PASSWORD, neighbourhood=None).

    ``neighbourhood`` scopes a coordinator to one neighbourhood; without it a coordinator is gemeente-wide.
    """

    def make(
        role: Role | str = Role.BEHEERDER, groups=(), email=None, password=PASSWORD, name=None, neighbourhood=None
    ):
        n = next(_counter)
        return create_user(
            email or f"user{n}@example.org",
            name or f"Testgebruiker {n}",
            Role(role),
            password,
            list(groups),
            neighbourhood_id=neighbourhood.id if neighbourhood is not None else None,
        )

    return make


@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real login form."""

    def do(user, password=PASSWORD):
        response = client.post("/inloggen", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def make_resident(app):
    """Factory for residents (fictional people)."""

    def make(group: Group | None, status=ResidentStatus.PENDING, **fields):
        n = next(_counter)
        values = {
            "name": f"Fictief Persoon {n}",
            "phone_e164": f"+3161{n:07d}",
            "postcode": "2221ZZ",
            "house_number": n,
            "street": "Fictieweg",
            "place": "Katwijk",
            "lat": 52.2115,
            "lon": 4.4236,
            "geocoder_source": "register",
            "consent_privacy_at": utcnow(),
            "consent_rules_at": utcnow(),
            "consent_age_at": utcnow(),
        }
        values.update(fields)
        resident = Resident(group_id=group.id if group else None, status=status, **values)
        db.session.add(resident)
        db.session.commit()
        return resident

    return make


@pytest.fixture
def make_address(app):
    """Factory for fictional addresses in the register."""

    def make(
        postcode="2221ZZ",
        number=1,
        lat=52.2115,
        lon=4.4236,
        street="Fictieweg",
        letter="",
        addition="",
        place="Katwijk",
        source="test",
    ):
        from buurt.geo.addresses import normalize_street

        address = Address(
            postcode=postcode,
            house_number=number,
            house_letter=letter,
            house_addition=addition,
            street=street,
            street_norm=normalize_street(street),
            place=place,
            lat=lat,
            lon=lon,
            source=source,
        )
        db.session.add(address)
        db.session.commit()
        return address

    return make


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


# --- SMTP on 127.0.0.1 -------------------------------------------------------------------------


class _Inbox:
    """Messages received by the test SMTP server."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def bodies(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd); `.inbox.messages` holds what arrived."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


#: MAIL_TIMEOUT while a test delivers to a relay that answers. Tests of a silent relay use 1 s so its
#: failures come fast; the watchdog then cuts a whole delivery at 3 s, and on a loaded machine (the
#: PostgreSQL run in CI) a real delivery to aiosmtpd sometimes took longer: SMTPServerDisconnected.
ANSWERING_MAIL_TIMEOUT = 10


def relay_answers(app, smtp_server) -> None:
    """From now on mail goes to the answering test relay, with time enough for a loaded machine."""
    app.config.update(MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=ANSWERING_MAIL_TIMEOUT)


@pytest.fixture
def deliver_mail(app, smtp_server):
    """deliver_mail() runs the outbox's sender once (buurt.outbox.deliver_due) and returns the
    messages the test SMTP server received so far; mail is queued, never sent inside a request."""
    from buurt.outbox import deliver_due

    def deliver():
        deliver_due()
        return smtp_server.inbox.messages

    return deliver


@pytest.fixture
def silent_smtp_server():
    """A mail server on 127.0.0.1 that accepts connections and never says a word (no 220 greeting).

    `.port`; `.connections()` counts the connections it accepted (a request that talked SMTP would
    show); `.wait_for(n)` waits (up to 10 s) until n were accepted, as the accept loop may lag the kernel.
    """
    import socket
    import threading
    import time
    from types import SimpleNamespace

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    def wait_for(n: int) -> int:
        deadline = time.monotonic() + 10
        while len(accepted) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(accepted)

    server = SimpleNamespace(port=listener.getsockname()[1], connections=lambda: len(accepted), wait_for=wait_for)
    yield server
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def mail_app_config(smtp_server):
    """Use as `app_config` in tests that need mail: `def app_config(mail_app_config): return mail_app_config`."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}
