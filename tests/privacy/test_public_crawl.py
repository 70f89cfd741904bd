"""No public answer holds personal data: a crawl derived from the route map (issue 13, "Done when").

One app and one database for the module, seeded with distinctive fictional people, incidents, a
melding, a task, audit rows and mail (tests.privacy.seed). Then, as an anonymous visitor without
cookies, every GET rule of ``app.url_map``:

- path parameters filled with the ids of seeded rows (every resident, incident, melding, task,
  group) and, for signed links, tokens that are not valid for the page (a valid personal link is a
  secret handed to one person, not a public page);
- query variants: every query parameter the rule's view module reads (found by the source scan of
  tests.security.test_hostile_input, which fails when a parameter is read that it does not know),
  each with the seeded values, ``lang=en``, and the lookups with each person's own address;
- the public JSON API's POST lookups with each person's address, and every other public form
  posted with a person's address (the lookup's answer; a sign-up form refused and shown again);
- then every same-site link and frame (map documents in iframes) those answers point to.

Every neighbourhood (issue 18): the crawl starts at the gemeente page ``/buurten`` and every public
page of every neighbourhood is probed under its prefix (``/hoornes/…``, the routing-only
``/centrum-zee/…``) as well as the default's old URLs; some of the seeded people and an incident
belong to Hoornes' groups, so its pages have personal data to (not) give away.

Each answer (status line, headers with the session cookie decoded, body as text, HTML entities and
URL escapes undone) is searched for every spelling of every seeded value (seed.secrets): names,
phone numbers in any spelling, e-mail addresses, postcodes, streets, house numbers next to a
postcode or street, exact points in degrees (4-6 decimals and full) and RD metres, free texts.

Allowed, and why: an answer may repeat what the visitor's own request carried (the lookup answers
"2224 QX 17B lies in Rijnsoever-West" to whoever typed that address: nothing they did not know).
The same holds for the street, postcode and point of an address the request named: anyone gets
those from PDOK. That allowance holds for the body only: a cookie that keeps it would show it to the next person on a
shared computer. Group and area names, counts, the 150 m grid cells and the register's street
list are public by design and are not among the secrets at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.routing import IntegerConverter

from buurt.extensions import db
from buurt.incidents import labels
from buurt.models import IncidentCategory, MeldingCategory
from tests.conftest import _reset_schema, make_second_neighbourhood, make_test_app
from tests.privacy.seed import PEOPLE, Secret, decoded_cookie, find_secrets, secrets, seed_private_data

#: links we do not follow: files of the repository, the same for everyone
NOT_FOLLOWED = ("/static/",)
#: what an answer may say about an address the request itself named (see leaks)
ADDRESS_KINDS = ("postcode", "street", "house number", "home point")
#: at most this many pages reached only through links (a runaway paging loop would show here)
MAX_FOLLOWED = 400
#: where the crawl starts: the gemeente page, which links every neighbourhood
START = "/buurten"
#: the neighbourhoods crawled: the default one, Hoornes (tests.conftest), a routing-only one
SLUGS = ("rijnsoever", "hoornes", "centrum-zee")
ROUTING_ONLY_SIGNUP = "https://aanmelden.example.org/centrum"


@dataclass(frozen=True)
class Probe:
    method: str
    url: str
    variant: str
    json_body: dict | None = None
    form_body: dict | None = None
    #: (plain url, parameter name) of a query variant: when the first value of a parameter gives the
    #: very answer the plain url gave, the view ignores it and its other values are skipped
    parameter: tuple[str, str] | None = None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app and one seeded database for the whole module (the crawl makes hundreds of requests)."""
    from buurt.areas.services import seed_default_neighbourhood

    app = make_test_app(tmp_path_factory.mktemp("crawl"))
    with app.app_context():
        _reset_schema()
        seed_default_neighbourhood()
        hoornes = make_second_neighbourhood()
        centrum = make_second_neighbourhood(("BU05370504",), "centrum-zee", "Centrum aan Zee")
        centrum.routing_only, centrum.signup_url, centrum.sort_order = True, ROUTING_ONLY_SIGNUP, 2
        db.session.commit()
        seeded = seed_private_data()
        _move_some_into(hoornes, seeded)
        db.session.remove()
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _move_some_into(hood, seeded) -> None:
    """Give Hoornes' groups two of the seeded people (pending, waitlisted) and the first incident."""
    from buurt.models import Area, BoundaryGeneration, Incident, Resident

    area = db.session.scalars(
        db.select(Area).join(BoundaryGeneration).where(BoundaryGeneration.neighbourhood_id == hood.id).order_by(Area.id)
    ).first()
    for resident_id in seeded.resident_ids[1:3]:
        resident = db.session.get(Resident, resident_id)
        resident.group_id, resident.area_id = area.group_id, area.id
    incident = db.session.get(Incident, seeded.incident_ids[0])
    incident.group_id, incident.area_id = area.group_id, area.id
    db.session.commit()


def _bad_tokens(app) -> list[str]:
    """Tokens no page accepts: garbage, and a well-signed token for a purpose no page has."""
    from buurt.tokens import make_token

    with app.test_request_context():
        return ["x", make_token("privacy-crawl", {"r": 1})]


def _path_values(app, seeded) -> dict[str, list]:
    """Values for path parameters by name: the seeded rows' ids, bad tokens for signed links."""
    return {
        "group_id": seeded.group_ids[:2],
        "resident_id": seeded.resident_ids,
        "incident_id": seeded.incident_ids,
        "melding_id": seeded.melding_ids,
        "task_id": seeded.task_ids,
        "user_id": [seeded.user_id],
        "token": _bad_tokens(app),
        "hood": list(SLUGS),
    }


def _query_values(seeded) -> dict[str, list[str]]:
    """Seeded values per query-parameter name (the names come from the source scan)."""
    person = PEOPLE[0]
    return {
        "lang": ["en"],
        "next": ["/beheer/"],
        "pagina": ["1", "2"],
        "groep": [str(g) for g in seeded.group_ids],
        "gebied": [str(g) for g in seeded.group_ids],
        "actie": ["resident.signup"],
        "versie": ["4.0"],
        "periode": list(labels.PERIODS),
        "gewijzigd": ["1"],
        "q": [f"{p.street} {p.house}" for p in PEOPLE] + [f"{p.postcode} {p.house}" for p in PEOPLE],
        "postcode": [p.postcode for p in PEOPLE] + [f"{person.postcode[:4]} {person.postcode[4:].lower()}"],
        "huisnummer": [str(p.house_number) for p in PEOPLE],
        "toevoeging": [p.house_letter or p.house_addition for p in PEOPLE],
        "lat": [str(p.lat) for p in PEOPLE],
        "lon": [str(p.lon) for p in PEOPLE],
        "categorie": [c.value for c in IncidentCategory],
        "van": ["2000-01-01"],
        "tot": ["2100-12-31"],
        "submit": ["Toon"],
        "since": ["2000-01-01"],
        "until": ["2100-12-31"],
        "category": [c.value for c in MeldingCategory],
        "group": [str(g) for g in seeded.group_ids],
        "status": ["open", "closed"],
    }


def _together(seeded) -> list[dict[str, str]]:
    """Parameters that only mean something together: each person's address, each point."""
    combos = []
    for p in PEOPLE:
        combos.append({"postcode": p.postcode, "huisnummer": str(p.house_number), "toevoeging": p.house_letter})
        combos.append({"lat": str(p.lat), "lon": str(p.lon)})
    combos += [{"lat": str(i.lat), "lon": str(i.lon)} for i in seeded.incidents]
    combos.append({"van": "2000-01-01", "tot": "2100-12-31", "periode": "all"})
    return combos


def _url_for(app, rule, values: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _path_fillings(app, rule, path_values) -> list[dict]:
    """Every filling of the rule's parameters (one parameter varies at a time; others take their first)."""
    if not rule.arguments:
        return [{}]
    choices = {}
    for name in sorted(rule.arguments):
        dummy = 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x"
        choices[name] = path_values.get(name) or [dummy]
    first = {name: values[0] for name, values in choices.items()}
    fillings = [first]
    for name, values in choices.items():
        fillings += [{**first, name: value} for value in values[1:]]
    return fillings


def probes(app, seeded) -> list[Probe]:
    """Every request the crawl starts from, derived from the url_map and the source scan."""
    from tests.security.test_hostile_input import read_parameters_per_module

    reads = read_parameters_per_module()
    path_values = _path_values(app, seeded)
    query_values = _query_values(seeded)
    together = _together(seeded)
    found: list[Probe] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        # a page behind a login answers an anonymous visitor with the same redirect whatever the query
        public = getattr(view, "permission", None) is None
        names = sorted(reads.get(view.__module__, set()) | {"lang"}) if public else []
        for number, filling in enumerate(_path_fillings(app, rule, path_values)):
            base = _url_for(app, rule, filling)
            if "GET" in rule.methods:
                found.append(Probe("GET", base, "plain"))
                if number:
                    continue  # query variants once per rule, with the first filling
                for name in names:
                    for value in query_values.get(name, ["1"]):
                        url = f"{base}?{urlencode({name: value})}"
                        found.append(Probe("GET", url, f"{name}={value}", parameter=(base, name)))
                for combo in together:
                    if set(combo) <= set(names):
                        query = urlencode({**combo, "lang": "en"})
                        found.append(Probe("GET", f"{base}?{query}", "+".join(combo)))
            if "POST" in rule.methods and public and not rule.endpoint.startswith("api.") and not number:
                for p in PEOPLE[:2]:  # a form answer (a lookup, a sign-up refused) about a resident's address
                    for form in (
                        {"postcode": p.postcode, "house_number": str(p.house_number), "addition": p.house_letter},
                        {"street": p.street, "house_number": p.house},
                    ):
                        found.append(Probe("POST", base, "form " + "+".join(form), form_body=form))
            if "POST" in rule.methods and rule.endpoint.startswith("api."):
                for combo in together:
                    found.append(Probe("POST", base, "json " + "+".join(combo), json_body=combo))
                for q in query_values["q"]:
                    found.append(Probe("POST", base, "json q", json_body={"q": q}))
    return found


def _text_of(response) -> tuple[str, str]:
    """(headers with the session cookie decoded, body) of a response, as text."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    for cookie in response.headers.getlist("Set-Cookie"):
        value = cookie.split(";", 1)[0].partition("=")[2]
        headers += "\n" + decoded_cookie(value.strip('"'))
    return headers, response.get_data(as_text=True)


def leaks(probe: Probe, response, candidates: list[Secret]) -> list[str]:
    """What a response gives away: each secret in its headers/cookie, or in its body unless the
    request itself carried it (the visitor's own input, echoed)."""
    query = parse_qsl(urlsplit(probe.url).query)
    bodies = {**(probe.json_body or {}), **(probe.form_body or {})}
    said = [value for _name, value in query] + [str(value) for value in bodies.values()]
    carried_text = probe.url + "\n" + " ".join(said)
    carried = set(find_secrets(carried_text, candidates))
    # an answer may spell out the address the visitor named (street, postcode, its point), as PDOK would
    named = {s.owner for s in carried if s.kind.startswith("house number")}
    headers, body = _text_of(response)
    problems = [f"{s.kind} {s.label!r} in the headers/cookie" for s in find_secrets(headers, candidates)]
    problems += [
        f"{s.kind} {s.label!r} in the body"
        for s in find_secrets(body, candidates)
        if s not in carried and not (s.owner in named and s.kind.startswith(ADDRESS_KINDS))
    ]
    return [f"{probe.method} {probe.url} [{probe.variant}] -> {response.status_code}: {p}" for p in problems]


_LINK = re.compile(r"""(?:href|src|action|data-src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def same_site_links(body: str) -> list[str]:
    """Paths of our own pages and frames that a page links to (no static files, no other sites)."""
    import html

    found = []
    for raw in _LINK.findall(body):
        url = html.unescape(raw)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith(NOT_FOLLOWED):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(app, seeded) -> tuple[list[str], dict[str, int], set[str]]:
    """Run every probe (the gemeente page first), then follow links breadth-first; return the leaks,
    what was seen and the paths that answered 200."""
    candidates = secrets(seeded)
    client = app.test_client(use_cookies=False)
    queue = sorted(probes(app, seeded), key=lambda p: (p.method, p.url, p.variant) != ("GET", START, "plain"))
    reached: set[str] = set()
    seen = {(p.method, p.url, json.dumps(p.json_body or p.form_body)) for p in queue}
    problems: list[str] = []
    stats = {"requests": 0, "followed": 0, "ok": 0, "ignored parameters": 0}
    answers: dict[str, bytes] = {}  # plain url -> its answer
    tried: set[tuple[str, str]] = set()
    ignored: set[tuple[str, str]] = set()
    while queue:
        probe = queue.pop(0)
        if probe.parameter in ignored:
            continue
        if probe.method == "GET":
            send = client.get
        elif probe.form_body:
            send = partial(client.post, data=probe.form_body)
        else:
            send = partial(client.post, json=probe.json_body)
        response = send(probe.url)
        stats["requests"] += 1
        stats["ok"] += response.status_code == 200
        if response.status_code == 200 and probe.method == "GET":
            reached.add(urlsplit(probe.url).path)
        if response.status_code >= 500:  # an error page hides what the page would show
            problems.append(f"{probe.method} {probe.url} [{probe.variant}] -> {response.status_code}")
        problems += leaks(probe, response, candidates)
        answer = response.status_code.to_bytes(2, "big") + response.get_data()
        if probe.variant == "plain":
            answers[probe.url] = answer
        elif probe.parameter is not None and probe.parameter not in tried:
            tried.add(probe.parameter)
            if answers.get(probe.parameter[0]) == answer:
                ignored.add(probe.parameter)
                stats["ignored parameters"] += 1
        if response.mimetype == "text/html" and response.status_code == 200:
            for link in same_site_links(response.get_data(as_text=True)):
                key = ("GET", link, "null")
                if key not in seen and stats["followed"] < MAX_FOLLOWED:
                    seen.add(key)
                    stats["followed"] += 1
                    queue.append(Probe("GET", link, f"linked from {probe.url}"))
        response.close()
    return problems, stats, reached


def test_no_public_answer_holds_seeded_personal_data(world):
    app, seeded = world
    problems, stats, reached = crawl(app, seeded)
    print(f"privacy crawl: {stats}")
    assert problems == [], f"{len(problems)} leak(s):\n" + "\n".join(sorted(set(problems))[:80])
    # the crawl reached the public pages, the map documents and the API, not only redirects
    assert stats["requests"] > 150, stats
    assert stats["ok"] > 80, stats
    # ... of every neighbourhood, and the gemeente page with its map
    assert {START, f"{START}/kaart"} <= reached
    for slug in SLUGS:
        prefix = "" if slug == SLUGS[0] else f"/{slug}"  # the default keeps its old URLs
        pages = {f"{prefix}/", f"{prefix}/kaart/dekking", f"{prefix}/welke-groep", f"{prefix}/incidenten/openbaar"}
        assert pages <= reached, (slug, sorted(pages - reached))


def test_the_public_picture_shows_the_seeded_incidents(world):
    """Without this, a crawl of an empty picture would pass trivially: the seeded incidents are
    counted and drawn as grid cells (enough register addresses around each)."""
    app, seeded = world
    client = app.test_client(use_cookies=False)
    picture = client.get("/incidenten/openbaar.json?periode=7d").get_json()
    hoornes = client.get("/hoornes/incidenten/openbaar.json?periode=7d").get_json()

    def values(node, key):
        if isinstance(node, dict):
            yield from ([node[key]] if key in node else [])
            for child in node.values():
                yield from values(child, key)
        elif isinstance(node, list):
            for child in node:
                yield from values(child, key)

    def most(node) -> int:
        return max(t for t in values(node, "total") if isinstance(t, int))

    assert most(hoornes) >= 1  # the incident moved into Hoornes' groups (_move_some_into)
    assert most(picture) + most(hoornes) >= len(seeded.incidents)
    assert sum(len(cells) for cells in values(picture, "cells")) >= 1
    html_page = client.get("/incidenten/openbaar?periode=7d").get_data(as_text=True)
    assert "/incidenten/openbaar/kaart" in html_page


# --- the detector itself: each spelling is found, nothing else is -----------------------------------------


@dataclass
class _FakeResponse:
    body: str
    status_code: int = 200
    mimetype: str = "text/html"
    cookie: str | None = None

    @property
    def headers(self):
        from werkzeug.datastructures import Headers

        headers = Headers({"Content-Type": "text/html"})
        if self.cookie:
            headers.add("Set-Cookie", f"session={self.cookie}; HttpOnly; Path=/")
        return headers

    def get_data(self, as_text=True):
        return self.body


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Bel +31647193825", "phone"),
        ("bel 06-47193825", "phone"),
        ("bel 06 47 19 38 25", "phone"),
        ("bel 0031 6 4719 3825", "phone"),
        ("tel:+31-6-47193825", "phone"),
        ("mail ZWAANTJE.privacytest@EXAMPLE.org", "e-mail"),
        ("Zwaantje%20Q.%20Privacytest", "name"),
        ("Zwaantje Q. Privacytest", "name"),
        ("2224 qx", "postcode"),
        ("Privacyhofje 17B", "house number by street"),
        ("2224QX, 17", "house number by postcode"),
        ("17B 2224 QX", "house number by postcode"),
        ("[52.211947, 4.415622]", "home point (6 decimals)"),
        ('{"lon": 4.41562, "lat": 52.21195}', "home point (5 decimals)"),
        ("52.2119&#44; 4.4156", "home point (4 decimals)"),
        ("PRIVMARK7Q-inbraak", "free text (description, note, melding)"),
    ],
)
def test_the_detector_finds_every_spelling(text, kind):
    kinds = {s.kind for s in find_secrets(text, secrets())}
    assert kind in kinds, kinds


def test_the_detector_finds_rd_metres_and_ignores_near_misses():
    from buurt.geo.coords import to_rd

    person = PEOPLE[0]
    x, y = to_rd(person.lon, person.lat)
    assert "home point (RD, 1 m)" in {s.kind for s in find_secrets(f"x={x:.0f} y={y:.0f}", secrets())}
    assert "home point (RD, 1 m, cut off)" in {s.kind for s in find_secrets(f"x={x:.2f} y={y:.2f}", secrets())}
    assert "home point (RD, 10 m)" in {
        s.kind for s in find_secrets(f"{round(x, -1):.0f},{round(y, -1):.0f}", secrets())
    }
    near = "52.21194731 4.41562 06-4719382 2224 QXY 52.2118, 4.4156 Privacyhof 1177"
    assert find_secrets(near, secrets()) == []


def test_echoed_input_is_allowed_in_the_body_but_not_in_the_cookie():
    from itsdangerous import URLSafeTimedSerializer

    probe = Probe("GET", "/x?postcode=2224QX&huisnummer=17", "postcode+huisnummer")
    echo = _FakeResponse("2224QX 17 ligt in Rijnsoever-West")
    assert leaks(probe, echo, secrets()) == []
    other = _FakeResponse("2224QX 17: Zwaantje Q. Privacytest woont hier")
    assert [p for p in leaks(probe, other, secrets()) if "name" in p]
    cookie = URLSafeTimedSerializer("k", salt="cookie-session").dumps({"postcode": "2224QX", "huisnummer": 17})
    kept = _FakeResponse("ok", cookie=cookie)
    assert [p for p in leaks(probe, kept, secrets()) if "postcode" in p and "cookie" in p]
