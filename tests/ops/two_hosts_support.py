"""Several buurt hosts on one PostgreSQL and one Redis, for the two-host test and its benchmark.

A "host" here is one gunicorn with an instance folder of its own, as on a second VPS: nothing on
disk is shared except what production would share (the database, the rate-limit Redis and the
photo store, PHOTO_STORE). Both hosts get the same SECRET_KEY (tests/gunicorn_support.py), as two
machines behind one load balancer must. The visitor is :class:`Browser`: a cookie session that
reads each form's CSRF token from the page, as a browser does, and may send its next request to
either host (a load balancer without sticky sessions)::

    with running_hosts(2, database_uri=uri, redis_url=redis.url, root=tmp) as (a, b):
        browser = Browser()
        browser.log_in(a, COORDINATOR)
        browser.get(b, "/beheer/")
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import requests

from tests.gunicorn_support import ROOT, VENV_BIN, GunicornServer, prepare_database, running_gunicorn, server_env

PASSWORD = "fictief wachtwoord voor twee machines"


@dataclass(frozen=True)
class Account:
    """A fictional account created by :func:`prepare_site`."""

    email: str
    name: str
    role: str


COORDINATOR = Account("coordinator@example.org", "Fictieve Coördinator", "coordinator")
BEHEERDER = Account("beheerder@example.org", "Fictieve Beheerder", "beheerder")
ACCOUNTS = (COORDINATOR, BEHEERDER)

_USERS = """
import sys
from buurt import create_app
from buurt.auth.services import create_user
from buurt.extensions import db
from buurt.models import Group
app = create_app()
with app.app_context():
    groups = list(db.session.scalars(db.select(Group).order_by(Group.id)))
    for spec in sys.argv[2:]:
        email, name, role = spec.split("|")
        create_user(email, name, role, sys.argv[1], groups[:1] if role == "beheerder" else [])
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
"""


def prepare_site(*, instance_path: Path, database_uri: str, demo: bool = False) -> None:
    """Schema, Rijnsoever (and the demo data), and the fictional accounts, once for every host."""
    prepare_database(instance_path=instance_path, database_uri=database_uri, demo=demo)
    specs = [f"{a.email}|{a.name}|{a.role}" for a in ACCOUNTS]
    subprocess.run(
        [str(VENV_BIN / "python"), "-c", _USERS, PASSWORD, *specs],
        cwd=ROOT,
        env=server_env(instance_path=instance_path, database_uri=database_uri),
        check=True,
        capture_output=True,
    )


@dataclass
class Host:
    """One running host: its server and the environment its timers and commands run with."""

    name: str
    server: GunicornServer
    env: dict[str, str]
    instance_path: Path

    @property
    def url(self) -> str:
        return self.server.url

    def start_flask(self, *args: str) -> subprocess.Popen:
        """Start `flask --app app ARGS` as this host's timer would; the caller waits for it."""
        return subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def host_config(*, redis_url: str, photo_store: Path, extra: dict | None = None) -> dict:
    """What every host shares: the rate-limit Redis and the photo store; no threads of their own."""
    return {
        "RATELIMIT_STORAGE_URI": redis_url,
        "PHOTO_STORE": str(photo_store),
        "SESSION_COOKIE_SECURE": False,  # plain http on 127.0.0.1
        "MAIL_SERVER": None,
        "PURGE_THREAD": False,  # the purge is what the test starts itself, on both hosts at once
        **(extra or {}),
    }


@contextmanager
def running_hosts(
    count: int,
    *,
    database_uri: str,
    redis_url: str,
    root: Path,
    workers: int = 1,
    threads: int | None = None,
    config: dict | None = None,
) -> Iterator[list[Host]]:
    """``count`` gunicorn hosts, each with its own instance folder under ``root``, until the block ends.

    The database must be prepared (:func:`prepare_site`). The photo store is ``root/photos``.
    """
    photos = root / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    shared = host_config(redis_url=redis_url, photo_store=photos, extra=config)
    with ExitStack() as stack:
        hosts = []
        for index in range(count):
            name = "ABCDEFGH"[index]
            instance = root / f"host-{name}"
            instance.mkdir(parents=True, exist_ok=True)
            server = stack.enter_context(
                running_gunicorn(
                    database_uri=database_uri, instance_path=instance, config=shared, workers=workers, threads=threads
                )
            )
            env = server_env(instance_path=instance, database_uri=database_uri, config=shared)
            hosts.append(Host(name=name, server=server, env=env, instance_path=instance))
        yield hosts


_HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs a browser sends back with a form: the CSRF token, a one-time form token, ..."""
    fields = {}
    for tag in _HIDDEN_INPUT.findall(html):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields.setdefault(attributes["name"], unescape(attributes.get("value", "")))
    if "csrf_token" not in fields:
        raise AssertionError("no CSRF token on the page")
    return fields


class Browser:
    """One visitor's cookie session; every request names the host it goes to."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def get(self, host: Host, path: str, **kwargs) -> requests.Response:
        return self.session.get(host.url + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, host: Host, path: str, **kwargs) -> requests.Response:
        return self.session.post(host.url + path, allow_redirects=False, timeout=30, **kwargs)

    def submit(self, host: Host, form_page: str, data: dict, *, action: str | None = None, files=None):
        """GET the page with the form, then POST it (to ``action``, default the page) with its hidden fields."""
        page = self.get(host, form_page)
        assert page.status_code == 200, (form_page, page.status_code)
        return self.post(host, action or form_page, data={**hidden_fields(page.text), **data}, files=files)

    def log_in(self, host: Host, account: Account, password: str = PASSWORD) -> None:
        response = self.submit(host, "/inloggen", {"email": account.email, "password": password})
        assert response.status_code == 302, response.text[:500]
