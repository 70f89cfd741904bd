"""Fictional personal data with values no page would show by chance, and every spelling of them.

The privacy tests (issue 13) seed residents, incidents, meldingen, tasks, audit rows, mail and
register addresses with these values, then search responses, logs or table dumps for them::

    seeded = seed_private_data()              # in an app context, with the default groups
    for secret in secrets(seeded):            # one Secret per (kind, value): name, phone, ...
        ...
    find_secrets(text, secrets(seeded))       # the secrets whose every pattern matches `text`

Stable API (other helpers' tests use it): PEOPLE, INCIDENTS, MELDING_TEXT, MARKER, Person,
SeededIncident, Seeded, Secret, seed_private_data, secrets, person_secrets, find_secrets, readable.

Why these values: the streets are unique to the seed (the public street list comes from the
register, so a seed street is never in it); postcodes are not in the register either; phone
numbers, e-mail addresses and the marker in free text occur nowhere else; coordinates have seven
decimals and lie away from area corners and cell centres, so that any rounding of them (4, 5 or
6 decimals, or RD metres) in a response means an exact point leaked.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import zlib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import unquote_plus

from buurt.extensions import db
from buurt.geo.coords import to_rd

#: in every free text the seed stores (descriptions, notes, melding texts)
MARKER = "PRIVMARK7Q"


@dataclass(frozen=True)
class Person:
    name: str
    phone_e164: str
    email: str
    postcode: str
    house_number: int
    house_letter: str
    house_addition: str
    street: str
    lat: float
    lon: float

    @property
    def house(self) -> str:
        """'17B', '8-2': how a house number is written with its letter or addition."""
        return f"{self.house_number}{self.house_letter}" + (f"-{self.house_addition}" if self.house_addition else "")

    def signup_form(self, **overrides) -> dict:
        """The sign-up form's fields as this person fills them in (the phone typed as 06-...)."""
        return {
            "name": self.name,
            "postcode": self.postcode,
            "house_number": str(self.house_number),
            "addition": self.house_letter,
            "phone": "06-" + self.phone_e164[4:],
            "email": self.email,
            "household_size": "2",
            "consent_privacy": "y",
            "consent_rules": "y",
            "consent_age": "y",
            "website": "",
            **overrides,
        }

    def register_home(self, make_address):
        """Put this person's address in the register (conftest's make_address), so that lookups and
        the sign-up place it."""
        return make_address(
            postcode=self.postcode,
            number=self.house_number,
            letter=self.house_letter,
            street=self.street,
            lat=self.lat,
            lon=self.lon,
        )


#: Residents of several groups (West, Midden Zuid, Oost and Midden Noord of the default setup).
PEOPLE: tuple[Person, ...] = (
    Person(
        "Zwaantje Q. Privacytest",
        "+31647193825",
        "Zwaantje.Privacytest@example.org",
        "2224QX",
        17,
        "B",
        "",
        "Privacyhofje",
        52.2119473,
        4.4156218,
    ),
    Person(
        "Korneel X. Geheimhouder",
        "+31658204736",
        "korneel.geheim@example.net",
        "2223XW",
        83,
        "",
        "2",
        "Zwijgzaamsteeg",
        52.2112837,
        4.4203719,
    ),
    Person(
        "Wubbina J. Onvindbaar",
        "+31639517284",
        "W.Onvindbaar@example.com",
        "2225WQ",
        211,
        "",
        "",
        "Verborgenwerf",
        52.2093716,
        4.4298153,
    ),
    Person(
        "Tjalling V. Stilzwijger",
        "+31626481937",
        "tjalling@stilzwijger.example",
        "2224VZ",
        5,
        "A",
        "bis",
        "Anoniemhof",
        52.2139718,
        4.4196371,
    ),
)


@dataclass(frozen=True)
class SeededIncident:
    lat: float
    lon: float
    description: str
    category: str
    location_label: str


#: Incidents a few days old (public after the delay), each in a cell with enough register addresses.
INCIDENTS: tuple[SeededIncident, ...] = (
    SeededIncident(
        52.2098461, 4.4227394, f"{MARKER}-inbraak door de achterdeur bij Zwaantje", "woninginbraak", "Privacyhofje 17B"
    ),
    SeededIncident(
        52.2131857, 4.4164729, f"{MARKER}-fiets weg, bel 0658204736", "fietsdiefstal", "Zwijgzaamsteeg 83-2"
    ),
    SeededIncident(
        52.2089432, 4.4313786, f"{MARKER}-verdachte man, melder Wubbina", "verdachte_situatie", "Verborgenwerf 211"
    ),
)

MELDING_TEXT = f"{MARKER}-meldkamer: verdachte persoon bij Verborgenwerf 211, melder 06-39517284"

#: The beheerder of the first group (staff, but no public page names them either).
BEHEERDER = ("Hendrikje P. Beheertest", "hendrikje.beheertest@example.org", "+31691827364")

#: Register (public) addresses around each incident, so that its 150 m cell may be shown.
REGISTER_STREET = "Openbaarregisterlaan"
REGISTER_PER_INCIDENT = 8


@dataclass
class Seeded:
    """Ids of what seed_private_data stored."""

    people: tuple[Person, ...] = PEOPLE
    incidents: tuple[SeededIncident, ...] = INCIDENTS
    resident_ids: list[int] = field(default_factory=list)
    incident_ids: list[int] = field(default_factory=list)
    melding_ids: list[int] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)
    user_id: int | None = None
    group_ids: list[int] = field(default_factory=list)


def seed_private_data(*, days_ago: float = 3) -> Seeded:
    """Store the fictional people and incidents (an app context with the default groups; commits).

    Each person is a resident in a different state (added, pending, waitlisted, removed with a note),
    with consent; no register row is made for them (their street must stay unknown to the public
    street list), but the first has an address-cache row (source pdok), as an online lookup leaves;
    incidents are `days_ago` old, visible, reported by the
    first resident; one melding, one open WhatsApp task, audit rows and an unsent mail.
    """
    from buurt import audit
    from buurt.areas import services as areas
    from buurt.auth.services import create_user
    from buurt.geo.addresses import normalize_street
    from buurt.models import (
        Address,
        Group,
        GroupTask,
        Incident,
        Melding,
        MeldingCategory,
        MeldingTarget,
        OutboxMessage,
        RemovalReason,
        Resident,
        ResidentStatus,
        Role,
        TaskKind,
        utcnow,
    )

    now = utcnow()
    seeded = Seeded()
    groups = list(db.session.scalars(db.select(Group).order_by(Group.sort_order)))
    seeded.group_ids = [g.id for g in groups]
    name, email, phone = BEHEERDER
    user = create_user(email, name, Role.BEHEERDER, "correct horse battery staple", [groups[0]])
    user.phone_e164 = phone
    seeded.user_id = user.id

    statuses = (ResidentStatus.ADDED, ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.REMOVED)
    residents = []
    for person, status in zip(PEOPLE, statuses, strict=True):
        hit = areas.place(person.lat, person.lon).area
        resident = Resident(
            name=person.name,
            phone_e164=person.phone_e164,
            email=person.email,
            email_confirmed_at=now,
            postcode=person.postcode,
            house_number=person.house_number,
            house_letter=person.house_letter,
            house_addition=person.house_addition,
            street=person.street,
            place="Katwijk",
            lat=person.lat,
            lon=person.lon,
            geocoder_source="pdok",
            group_id=hit.group_id if hit else groups[0].id,
            area_id=hit.id if hit else None,
            status=status,
            consent_privacy_at=now,
            consent_rules_at=now,
            consent_age_at=now,
            created_at=now - timedelta(days=days_ago + 1),
        )
        if status == ResidentStatus.ADDED:
            resident.added_at = now
            resident.added_by_id = user.id
        if status == ResidentStatus.REMOVED:
            resident.removed_at = now
            resident.removal_reason = RemovalReason.OTHER
            resident.removal_note = f"{MARKER}-verhuisd naar {person.street} {person.house}, zei {person.name}"
        db.session.add(resident)
        residents.append(resident)
    db.session.flush()
    seeded.resident_ids = [r.id for r in residents]

    for number, incident in enumerate(INCIDENTS):
        hit = areas.place(incident.lat, incident.lon).area
        row = Incident(
            category=incident.category,
            occurred_at=now - timedelta(days=days_ago, hours=number),
            reported_at=now - timedelta(days=days_ago, hours=number) + timedelta(minutes=20),
            lat=incident.lat,
            lon=incident.lon,
            location_label=incident.location_label,
            area_id=hit.id if hit else None,
            group_id=hit.group_id if hit else None,
            description=incident.description,
            details={"persons": [{"clothing": f"{MARKER}-rode jas"}]},
            reporter_resident_id=residents[0].id,
        )
        db.session.add(row)
        for k in range(REGISTER_PER_INCIDENT):
            lat, lon = incident.lat + 0.00011 * ((k % 3) - 1), incident.lon + 0.00017 * ((k // 3) - 1)
            db.session.add(
                Address(
                    postcode=f"2222R{'ABC'[number]}",
                    house_number=100 + k,
                    street=REGISTER_STREET,
                    street_norm=normalize_street(REGISTER_STREET),
                    place="Katwijk",
                    lat=lat,
                    lon=lon,
                    source="test",
                )
            )
        db.session.flush()
        seeded.incident_ids.append(row.id)

    melding = Melding(
        received_text=MELDING_TEXT,
        category=next(iter(MeldingCategory)),
        occurred_at=now - timedelta(days=days_ago),
        lat=PEOPLE[2].lat,
        lon=PEOPLE[2].lon,
        location_street=PEOPLE[2].street,
        radius_m=300,
        created_by_id=user.id,
        result_note=f"{MARKER}-opgelost, {PEOPLE[2].name} gebeld",
    )
    melding.targets = [MeldingTarget(group_id=groups[0].id, distance_m=12.5)]
    db.session.add(melding)
    task = GroupTask(
        group_id=groups[0].id,
        kind=TaskKind.REMOVE_FROM_WHATSAPP,
        resident_id=residents[3].id,
        display_name=PEOPLE[3].name,
        phone_e164=PEOPLE[3].phone_e164,
        reason=RemovalReason.DATA_DELETED,
    )
    db.session.add(task)
    db.session.add(
        OutboxMessage(
            kind="signup_confirm",
            recipients=json.dumps([PEOPLE[1].email]),
            subject="Bevestig uw aanmelding",
            body=f"Beste {PEOPLE[1].name}, {PEOPLE[1].street} {PEOPLE[1].house}",
            message_id=f"<{MARKER.lower()}@example.org>",
            resident_id=residents[1].id,
        )
    )
    cached = PEOPLE[0]  # what an online geocoder's answer leaves in the address cache
    db.session.add(
        Address(
            postcode=cached.postcode,
            house_number=cached.house_number,
            house_letter=cached.house_letter,
            house_addition=cached.house_addition,
            street=cached.street,
            street_norm=normalize_street(cached.street),
            place="Katwijk",
            lat=cached.lat,
            lon=cached.lon,
            source="pdok",
        )
    )
    db.session.flush()
    seeded.melding_ids.append(melding.id)
    seeded.task_ids.append(task.id)
    audit.record("resident.signup", "resident", residents[0].id)
    audit.record("incident.report", "incident", seeded.incident_ids[0], group=groups[0].id)
    db.session.commit()
    return seeded


# --- the values and every spelling of them -----------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """One personal value: `kind` (what it is), `label` (the value, for messages: fictional data) and
    `patterns`, which must all match for a text to hold it (a point needs both coordinates).

    `needles` are plain lower-case strings each match needs (in the text, or in its digits with the
    separators removed): a cheap test before the regular expressions, which are slow on map documents.
    """

    kind: str
    label: str
    patterns: tuple[re.Pattern, ...]
    needles: tuple[str, ...] = ()
    owner: str = ""  # whose value (a person's name), "" when of no one person

    def found_in(self, text: str, lowered: str | None = None, squeezed: str | None = None) -> bool:
        lowered = text.lower() if lowered is None else lowered
        squeezed = _squeeze(lowered) if squeezed is None else squeezed
        if not all(n in lowered or n in squeezed for n in self.needles):
            return False
        return all(p.search(text) for p in self.patterns)


_SEP = r"[\s\-.()/]*"  # what people and formatters put between digits of a phone number
_SEPARATORS = re.compile(r"[\s\-.()/]+")


def _squeeze(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _phone_pattern(e164: str) -> re.Pattern:
    """+31647193825 as +316…, 0031 6…, 06…, 06-…, 06 47 19 38 25, 6 4719 3825: the 9 national digits
    with any separators, not inside a longer number."""
    national = e164.removeprefix("+31")
    digits = _SEP.join(national)
    prefix = rf"(?:(?:\+|00)?31{_SEP}(?:\(0\){_SEP})?|0{_SEP})?"
    return re.compile(rf"(?<!\d){prefix}{digits}(?!\d)")


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _standalone(text: str) -> str:
    """`text` as a number of its own: no digit (or decimal point) before it, no digit after it."""
    return rf"(?<![\d.]){re.escape(text)}(?!\d)"


def point_secrets(kind: str, lat: float, lon: float) -> list[Secret]:
    """An exact point as WGS84 degrees (full, 6, 5 and 4 decimals) and as RD New metres (1 m, 10 m).

    Both numbers must be present (in either order, any separator, separate JSON fields too); an
    RD coordinate may carry decimals. 4 decimals is ~11 m: the public 150 m grid never prints it.
    """
    found = []
    for decimals in (None, 6, 5, 4):
        la = repr(lat) if decimals is None else _number(lat, decimals)
        lo = repr(lon) if decimals is None else _number(lon, decimals)
        label = f"{la}, {lo}"
        patterns = (re.compile(_standalone(la)), re.compile(_standalone(lo)))
        found.append(Secret(f"{kind} ({decimals or 'all'} decimals)", label, patterns, (la, lo)))
    x, y = to_rd(lon, lat)
    for step, how in ((1, "1 m"), (1, "1 m, cut off"), (10, "10 m")):
        cut = math.floor if how.endswith("cut off") else round
        rx, ry = str(int(cut(x / step) * step)), str(int(cut(y / step) * step))
        found.append(
            Secret(
                f"{kind} (RD, {how})",
                f"x={rx} y={ry}",
                (re.compile(rf"(?<![\d.]){rx}(?![\d])"), re.compile(rf"(?<![\d.]){ry}(?![\d])")),
                (rx, ry),
            )
        )
    return found


def _literal(kind: str, value: str) -> Secret:
    """A value found as it is, in any case."""
    return Secret(kind, value, (re.compile(re.escape(value), re.IGNORECASE),), (value.lower(),))


def person_secrets(person: Person) -> list[Secret]:
    """Name (whole and surname), phone number in every spelling, e-mail (any case), postcode (with or
    without space, any case), street, the house number next to postcode or street, the home point."""
    surname = person.name.split()[-1]
    pc_digits, pc_letters = person.postcode[:4], person.postcode[4:]
    postcode = rf"(?<![0-9A-Za-z]){pc_digits}\s?{pc_letters}(?![A-Za-z])"
    number = rf"{person.house_number}(?!\d)"
    i = re.IGNORECASE
    found = [
        _literal("name", person.name),
        _literal("surname", surname),
        Secret("phone", person.phone_e164, (_phone_pattern(person.phone_e164),), (person.phone_e164[3:],)),
        _literal("e-mail", person.email),
        Secret("postcode", person.postcode, (re.compile(postcode, i),), (pc_digits,)),
        _literal("street", person.street),
        Secret(
            "house number by postcode",
            f"{person.postcode} {person.house}",
            (re.compile(rf"{postcode}[\s,]*(?:nr\.?\s*)?{number}|(?<!\d){number}[\s\w-]{{0,6}}[\s,]+{postcode}", i),),
            (pc_digits, str(person.house_number)),
        ),
        Secret(
            "house number by street",
            f"{person.street} {person.house}",
            (re.compile(rf"{re.escape(person.street)}[\s,]*{number}", i),),
            (person.street.lower(),),
        ),
    ]
    found += point_secrets("home point", person.lat, person.lon)
    return [replace(secret, owner=person.name) for secret in found]


def secrets(seeded: Seeded | None = None) -> list[Secret]:
    """Every secret of the seed: the people, the beheerder, incident points and texts, the marker."""
    people = seeded.people if seeded else PEOPLE
    incidents = seeded.incidents if seeded else INCIDENTS
    found = [s for person in people for s in person_secrets(person)]
    name, email, phone = BEHEERDER
    found += [
        _literal("beheerder name", name),
        _literal("beheerder e-mail", email),
        Secret("beheerder phone", phone, (_phone_pattern(phone),), (phone[3:],)),
        _literal("free text (description, note, melding)", MARKER),
    ]
    for incident in incidents:
        found += point_secrets("incident point", incident.lat, incident.lon)
    return found


def readable(text: str) -> str:
    """`text` and what it says once HTML entities, URL escapes and JSON \\u escapes are undone."""
    variants = [text, html.unescape(text), unquote_plus(text)]
    if "\\u" in text:
        variants.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text))
    return "\n".join(variants)


def decoded_cookie(value: str) -> str:
    """What a Flask (itsdangerous) session cookie holds: base64, zlib-compressed when it starts with '.'."""
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        return (zlib.decompress(raw) if compressed else raw).decode("utf-8", "replace")
    except (ValueError, zlib.error):
        return value


def find_secrets(text: str, candidates: list[Secret]) -> list[Secret]:
    """The secrets `text` holds, in any of the readable() forms."""
    text = readable(text)
    lowered = text.lower()
    squeezed = _squeeze(lowered)
    return [s for s in candidates if s.found_in(text, lowered, squeezed)]
