"""`flask buurt demo`: a fictional Rijnsoever at realistic scale; `flask buurt demo --clear` removes it.

Everything made here is flagged ``is_demo`` and obviously fictional: streets such as
"Verzonnenlaan", people called "Demo ...", phone numbers from one small block. The data is
deterministic for a given seed, so screenshots and tests are reproducible.

Plain functions for tests and benchmarks:

* :func:`load_demo` clears earlier demo data and loads a fresh set (idempotent);
* :func:`clear_demo` removes exactly the demo records, never real ones;
* :func:`make_demo_incidents` gives rows for ``db.insert(Incident)``, e.g. 10,000 for a benchmark.
"""

from __future__ import annotations

import logging
import math
import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
import numpy as np
import shapely
from flask import current_app
from shapely.geometry import shape
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from buurt.cli import buurt_cli
from buurt.extensions import db
from buurt.geo.addresses import normalize_postcode
from buurt.geo.register_io import AddressRecord
from buurt.models import (
    Address,
    AuditEntry,
    BoundaryGeneration,
    Group,
    GroupTask,
    Incident,
    IncidentCategory,
    IncidentStatus,
    Melding,
    MeldingCategory,
    MeldingResult,
    MeldingTarget,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    User,
    group_beheerders,
    utcnow,
)

log = logging.getLogger(__name__)

__all__ = ["DEMO_SEED", "DemoError", "DemoReport", "clear_demo", "load_demo", "make_demo_incidents"]

DEMO_SEED = 2221
DEMO_PLACE = "Katwijk"
DEMO_PASSWORD = "demo-buurtwacht"  # noqa: S105 - printed on purpose; demo accounts only
RESIDENTS_TOTAL = 1050  # at scale 1: about a third of Rijnsoever's 3,145 CBS households
INCIDENTS_TOTAL = 320
MELDINGEN_TOTAL = 8
MAX_SCALE = 5.0
# Households per m² when an imported area has no CBS count (Rijnsoever: 3,145 on ~1.17 km²).
HOUSEHOLDS_PER_M2 = 0.0027
# The Netherlands has no mobile range reserved for fiction that we know of, so demo people get
# numbers from the single block +31 6 1009 xxxx (10,000 numbers), never anything else.
DEMO_PHONE_PREFIX = "+3161009"
M_PER_DEG_LAT = 111_320.0
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

_STREET_STEMS = (
    "Verzonnen", "Proef", "Demo", "Denkbeeld", "Voorbeeld", "Schijn", "Fictie", "Fantasie",
    "Oefen", "Verbeelding", "Sprookjes", "Kladblok", "Bedenksel", "Luchtkasteel",
)  # fmt: skip
_STREET_SUFFIXES = ("laan", "weg", "straat", "hof", "pad", "plein", "kade", "singel", "dreef", "erf")
_AVOID_STREETS = frozenset({"Fictieweg"})  # the test fixtures' street; keep demo and test data apart

_FIRST_NAMES = (
    "Anna", "Bram", "Cor", "Daan", "Emma", "Fenna", "Gijs", "Hanna", "Ivo", "Jasper", "Kees", "Lotte",
    "Maarten", "Noor", "Olaf", "Pien", "Ruben", "Sanne", "Teun", "Vera", "Wouter", "Yara", "Jannie",
    "Arie", "Willem", "Neeltje", "Klaas", "Marijke", "Jan", "Ria", "Floor", "Sem", "Lieke", "Thijs",
)  # fmt: skip
_LAST_NAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "van der Meer", "Voorbeeld",
    "Verzinsel", "Proefmans", "Fictief", "Bedachtsma", "van Denkbeeld", "Schijnhout",
)  # fmt: skip

_INCIDENT_WEIGHTS = {
    IncidentCategory.VERDACHTE_SITUATIE: 30,
    IncidentCategory.WONINGINBRAAK: 12,
    IncidentCategory.POGING_INBRAAK: 8,
    IncidentCategory.VERDACHT_VOERTUIG: 12,
    IncidentCategory.FIETSDIEFSTAL: 12,
    IncidentCategory.DIEFSTAL_UIT_AUTO: 8,
    IncidentCategory.VANDALISME: 7,
    IncidentCategory.OVERLAST: 7,
    IncidentCategory.BRAND: 1,
    IncidentCategory.OTHER: 3,
}
_POLICE_CALLED = {
    IncidentCategory.WONINGINBRAAK: 0.85, IncidentCategory.POGING_INBRAAK: 0.6,
    IncidentCategory.VERDACHTE_SITUATIE: 0.45, IncidentCategory.VERDACHT_VOERTUIG: 0.3,
    IncidentCategory.BRAND: 1.0,
}  # fmt: skip
_INCIDENT_TEXTS = {
    IncidentCategory.VERDACHTE_SITUATIE: (
        "Twee personen liepen langs de achterpaden van de {street} en schenen met een zaklamp in tuinen.",
        "Iemand belde aan bij meerdere huizen aan de {street} en liep snel weg toen er werd opengedaan.",
        "Persoon bleef lang bij geparkeerde auto's op de {street} staan en keek door de ramen.",
        "Onbekende man probeerde deurklinken van schuurtjes aan de {street}.",
    ),
    IncidentCategory.WONINGINBRAAK: (
        "Ingebroken via de achterdeur terwijl de bewoners op vakantie waren ({street}).",
        "Raam aan de achterzijde geforceerd; sieraden en een laptop weggenomen ({street}).",
        "Inbraak in een woning aan de {street}; politie is ter plaatse geweest.",
    ),
    IncidentCategory.POGING_INBRAAK: (
        "Braakschade aan de voordeur, daders zijn niet binnen geweest ({street}).",
        "Schuurslot op de {street} opengebroken, er lijkt niets weg.",
    ),
    IncidentCategory.VERDACHT_VOERTUIG: (
        "Bestelbus reed meerdere keren langzaam door de {street}.",
        "Auto met draaiende motor stond lang bij de ingang van de {street}; inzittenden keken rond.",
        "Scooter met twee personen reed rondjes door de wijk bij de {street}.",
    ),
    IncidentCategory.FIETSDIEFSTAL: (
        "Elektrische fiets uit een afgesloten schuur aan de {street} gestolen.",
        "Fiets voor de deur op de {street} weggenomen, slot doorgeknipt.",
    ),
    IncidentCategory.DIEFSTAL_UIT_AUTO: (
        "Ruit van een geparkeerde auto op de {street} ingeslagen, tas weggenomen.",
        "Navigatiesysteem uit een auto aan de {street} gestolen.",
    ),
    IncidentCategory.VANDALISME: (
        "Bloembakken op de {street} vernield.",
        "Graffiti op de geluidswal bij de {street}.",
    ),
    IncidentCategory.OVERLAST: (
        "Groep jongeren met harde muziek bij het speelveldje aan de {street}, laat op de avond.",
        "Vuurwerkoverlast op de {street}.",
    ),
    IncidentCategory.BRAND: ("Container in brand gestoken aan de {street}; brandweer was snel ter plaatse.",),
    IncidentCategory.OTHER: ("Loslopende hond op de {street}; eigenaar onbekend.",),
}
_CLOTHING = ("donkere jas met capuchon", "grijze hoodie, zwarte broek", "zwart trainingspak", "lichte regenjas, pet",
             "donkerblauwe werkjas", "groene parka, muts")  # fmt: skip
_HEIGHTS = ("ca. 1,70 m", "ca. 1,75 m", "ca. 1,80 m", "ca. 1,85 m", "ca. 1,90 m")
_BUILDS = ("slank", "gemiddeld", "fors")
_DIRECTIONS = ("richting de Rijn", "richting het centrum", "richting de Zeeweg", "onbekende richting")
_VEHICLES = (("scooter", "onbekend merk"), ("bestelbus", "onbekend merk"), ("personenauto", "stationwagen"),
             ("fiets", "elektrisch"), ("motor", "onbekend merk"))  # fmt: skip
_COLOURS = ("zwart", "wit", "grijs", "donkerblauw", "rood", "zilver")
_MONTH_WEIGHTS = (1.4, 1.2, 0.9, 0.8, 0.7, 0.7, 0.8, 0.8, 0.9, 1.3, 1.6, 1.7)  # January .. December
_HOUR_WEIGHTS = (0.8, 0.6, 0.5, 0.5, 0.4, 0.3, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5,
                 0.6, 0.6, 0.7, 0.8, 1.0, 1.4, 1.8, 2.0, 2.0, 1.9, 1.6, 1.2)  # fmt: skip

_MELDING_WEIGHTS = {
    MeldingCategory.WONINGINBRAAK: 4, MeldingCategory.VERDACHTE_SITUATIE: 3, MeldingCategory.OVERVAL: 1,
    MeldingCategory.VERMISSING: 2, MeldingCategory.AANRIJDING: 1, MeldingCategory.OTHER: 1,
}  # fmt: skip
_MELDING_TEXTS = {
    MeldingCategory.WONINGINBRAAK: (
        "Politiebericht: i.v.m. een woninginbraak in de omgeving van de {street} te Katwijk graag uitkijken "
        "naar een man, {height}, {clothing}, op een zwarte scooter, {direction}. Informatie? Bel 112."
    ),
    MeldingCategory.VERDACHTE_SITUATIE: (
        "Politiebericht: in de omgeving van de {street} te Katwijk zijn twee personen gezien die aan "
        "deuren voelden. Een van hen: {height}, {clothing}. Ziet u iets verdachts? Bel 112."
    ),
    MeldingCategory.OVERVAL: (
        "Politiebericht: i.v.m. een overval bij de {street} te Katwijk graag uitkijken naar een man, "
        "{height}, {clothing}, te voet gevlucht {direction}. Niet aanspreken, bel 112."
    ),
    MeldingCategory.VERMISSING: (
        "Politiebericht: vermist vanaf de {street} te Katwijk: een oudere man, {height}, {clothing}, "
        "loopt met een rollator en is mogelijk verward. Gezien? Bel 112."
    ),
    MeldingCategory.AANRIJDING: (
        "Politiebericht: na een aanrijding op de {street} te Katwijk is een donkere personenauto met "
        "schade aan de voorkant doorgereden, {direction}. Informatie? Bel 112."
    ),
    MeldingCategory.OTHER: (
        "Politiebericht: in de omgeving van de {street} te Katwijk wordt gezocht naar een loslopend paard. "
        "Niet zelf benaderen; gezien? Bel 112."
    ),
}
_MELDING_RESULT_NOTES = {
    MeldingResult.FOUND: "Aangetroffen, dank voor het uitkijken.",
    MeldingResult.NOT_FOUND: "Niet aangetroffen; blijf alert.",
    MeldingResult.CANCELLED: "Melding ingetrokken door de meldkamer.",
}


class DemoError(Exception):
    """The demo cannot be loaded (``message`` is a Dutch sentence with a way forward)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class GroupSummary:
    """Demo counts for one group, for the command's output and the tests."""

    name: str
    capacity: int
    addresses: int = 0
    added: int = 0
    pending: int = 0
    waitlist: int = 0
    other: int = 0
    beheerders: int = 0


@dataclass
class DemoReport:
    """What :func:`load_demo` made."""

    seed: int
    scale: float
    addresses: int = 0
    addresses_rejected: int = 0
    residents: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    groups: dict[int, GroupSummary] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, what the account is)
    password: str = DEMO_PASSWORD
    incidents: int = 0
    meldingen: int = 0
    tasks: int = 0
    cleared: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Area:
    id: int
    group_id: int
    name: str
    geometry: shapely.Geometry  # prepared, lon/lat
    households: int


@dataclass(frozen=True, slots=True)
class _DemoAddress:
    record: AddressRecord
    area_id: int


# ---------------------------------------------------------------------------------------------
# Clearing


def demo_data_present() -> bool:
    """True when any demo record exists (residents, addresses, accounts, incidents, meldingen); one query.

    The one test for "this site holds demo data": the demo command and the banner on every page use it.
    """
    models = (Resident, Address, User, Incident, Melding)
    return bool(db.session.scalar(select(or_(*(exists().where(m.is_demo.is_(True)) for m in models)))))


def clear_demo() -> dict[str, int]:
    """Delete every demo record, and the audit entries and tasks that point at them; real data stays.

    One transaction. References from real records to demo ones (a real incident reported by a
    demo account, say) are set to NULL, never deleted.
    """
    demo_users = select(User.id).where(User.is_demo.is_(True))
    demo_residents = select(Resident.id).where(Resident.is_demo.is_(True))
    demo_incidents = select(Incident.id).where(Incident.is_demo.is_(True))
    demo_meldingen = select(Melding.id).where(Melding.is_demo.is_(True))
    demo_targets = select(MeldingTarget.id).where(MeldingTarget.melding_id.in_(demo_meldingen))
    demo_addresses = select(Address.id).where(Address.is_demo.is_(True))
    pointed_at = {
        Resident.__tablename__: demo_residents,
        Incident.__tablename__: demo_incidents,
        Melding.__tablename__: demo_meldingen,
        MeldingTarget.__tablename__: demo_targets,
        User.__tablename__: demo_users,
        Address.__tablename__: demo_addresses,
    }
    session = db.session
    counts: dict[str, int] = {}
    try:
        audit_filter = or_(
            AuditEntry.user_id.in_(demo_users),
            *((AuditEntry.target_type == name) & AuditEntry.target_id.in_(ids) for name, ids in pointed_at.items()),
        )
        counts["audit"] = _delete(delete(AuditEntry).where(audit_filter))
        counts["tasks"] = _delete(
            delete(GroupTask).where(or_(GroupTask.is_demo.is_(True), GroupTask.resident_id.in_(demo_residents)))
        )
        # Real records keep existing when they point at demo ones (the database would do the
        # same with its ON DELETE SET NULL rules; done here so it never depends on them).
        session.execute(update(GroupTask).where(GroupTask.done_by_id.in_(demo_users)).values(done_by_id=None))
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.reporter_resident_id.in_(demo_residents))
            .values(reporter_resident_id=None)
        )
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.reporter_user_id.in_(demo_users))
            .values(reporter_user_id=None)
        )
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.merged_into_id.in_(demo_incidents))
            .values(merged_into_id=None)
        )
        session.execute(update(Incident).where(Incident.is_demo.is_(True)).values(merged_into_id=None))
        for column in (MeldingTarget.forwarded_by_id, MeldingTarget.close_forwarded_by_id):
            session.execute(update(MeldingTarget).where(column.in_(demo_users)).values({column: None}))
        for column in (Melding.created_by_id, Melding.closed_by_id):
            session.execute(
                update(Melding).where(Melding.is_demo.is_(False), column.in_(demo_users)).values({column: None})
            )
        session.execute(
            update(Resident)
            .where(Resident.is_demo.is_(False), Resident.added_by_id.in_(demo_users))
            .values(added_by_id=None)
        )
        session.execute(
            update(BoundaryGeneration)
            .where(BoundaryGeneration.created_by_id.in_(demo_users))
            .values(created_by_id=None)
        )
        counts["melding_targets"] = _delete(delete(MeldingTarget).where(MeldingTarget.melding_id.in_(demo_meldingen)))
        counts["meldingen"] = _delete(delete(Melding).where(Melding.is_demo.is_(True)))
        counts["incidents"] = _delete(delete(Incident).where(Incident.is_demo.is_(True)))
        counts["residents"] = _delete(delete(Resident).where(Resident.is_demo.is_(True)))
        session.execute(delete(group_beheerders).where(group_beheerders.c.user_id.in_(demo_users)))
        counts["users"] = _delete(delete(User).where(User.is_demo.is_(True)))
        counts["addresses"] = _delete(delete(Address).where(Address.is_demo.is_(True)))
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.expire_all()
    if counts["addresses"]:
        from buurt.addresses.services import invalidate_register

        invalidate_register()  # this process's register snapshot must not answer with removed addresses
    log.info("demo data cleared: %s", counts)
    return counts


def _delete(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0


# ---------------------------------------------------------------------------------------------
# Loading


def load_demo(seed: int = DEMO_SEED, *, scale: float = 1.0, now: datetime | None = None) -> DemoReport:
    """Clear earlier demo data, then load a fresh fictional Rijnsoever; deterministic per seed.

    ``scale`` multiplies every count (1.0: ~3,145 addresses, ~1,050 residents, ~320 incidents).
    On any failure the partial demo is removed again and the error is raised.
    """
    if not 0 < scale <= MAX_SCALE:
        raise DemoError(f"De schaal moet tussen 0 en {MAX_SCALE:g} liggen.")
    started = time.perf_counter()
    now = now or utcnow()
    areas = _demo_areas()
    report = DemoReport(seed=seed, scale=scale)
    report.cleared = clear_demo()
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    try:
        addresses, rejected = _load_addresses(areas, rng, pyrng, scale)
        report.addresses, report.addresses_rejected = len(addresses), rejected
        groups = {
            g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(sorted({a.group_id for a in areas}))))
        }
        beheerders, staff, logins = _create_users(groups, pyrng)
        report.logins = logins
        residents = _create_residents(areas, groups, addresses, beheerders, rng, pyrng, scale, now)
        report.tasks = _create_tasks(groups, pyrng, now)
        anchors = [(a.record.lat, a.record.lon, a.record.street) for a in addresses]
        incident_rows = make_demo_incidents(max(1, round(INCIDENTS_TOTAL * scale)), seed=seed, now=now, anchors=anchors)
        _attach_reporters(incident_rows, residents, beheerders, staff, pyrng)
        if incident_rows:
            db.session.execute(db.insert(Incident), incident_rows)
        report.incidents = len(incident_rows)
        report.meldingen = _create_meldingen(groups, beheerders, staff, anchors, pyrng, scale, now)
        report.residents = len(residents)
        _summarise(report, areas, groups, addresses, residents, beheerders)
        db.session.commit()
    except Exception:
        db.session.rollback()
        clear_demo()
        raise
    report.seconds = time.perf_counter() - started
    log.info("demo loaded: %d addresses, %d residents in %.1f s", report.addresses, report.residents, report.seconds)
    return report


def _demo_areas() -> list[_Area]:
    """The current areas of the default neighbourhood (households estimated when unknown)."""
    from buurt.areas.services import current_areas, default_neighbourhood
    from buurt.geo.polygons import area_m2

    hood = default_neighbourhood()
    if hood is None:
        raise DemoError("Er is nog geen buurt in de database. Voer eerst `flask --app app buurt init` uit.")
    infos = [a for a in current_areas().areas if a.neighbourhood_id == hood.id]
    if not infos:
        raise DemoError(f"Buurt {hood.name} heeft geen actuele gebieden; laad eerst de gebieden.")
    result = []
    for info in infos:
        geometry = shape(info.geometry)
        households = info.households or max(1, round(area_m2(geometry) * HOUSEHOLDS_PER_M2))
        shapely.prepare(geometry)
        result.append(_Area(info.id, info.group_id, info.name, geometry, households))
    return result


def _street_names(pyrng: random.Random) -> list[str]:
    """Made-up street names, shuffled; popped from the end (spares with -Noord/-Zuid for many areas)."""
    names = [stem + suffix for stem in _STREET_STEMS for suffix in _STREET_SUFFIXES]
    names = [n for n in names if n not in _AVOID_STREETS]
    pyrng.shuffle(names)
    spares = [f"{n}-{side}" for side in ("Noord", "Zuid") for n in names]
    return spares[::-1] + names


def _postcodes(pyrng: random.Random):
    """Unused postcodes 2221AA.. (then 2222.., ...) in a shuffled order; never SA/SD/SS."""
    taken = set(db.session.scalars(select(Address.postcode).distinct()))
    taken |= set(db.session.scalars(select(Resident.postcode).where(Resident.postcode.is_not(None)).distinct()))
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for digits in range(2221, 2300):
        codes = [f"{digits}{a}{b}" for a in letters for b in letters if a + b not in ("SA", "SD", "SS")]
        pyrng.shuffle(codes)
        for code in codes:
            if code not in taken:
                yield normalize_postcode(code)


def _house_plan(count: int, pyrng: random.Random, apartment_share: float) -> list[tuple[int, str | None, str | None]]:
    """`count` (number, letter, addition) triples: numbers 1..n, some letters, some apartments."""
    plan: list[tuple[int, str | None, str | None]] = []
    number = 0
    while len(plan) < count:
        number += 1
        left = count - len(plan)
        draw = pyrng.random()
        if draw < apartment_share and left >= 2:
            for floor in range(1, min(left, pyrng.randint(2, 6)) + 1):
                plan.append((number, None, str(floor)))
        elif draw < apartment_share + 0.05 and left >= 2:
            plan.append((number, None, None))
            for letter in "AB"[: min(left - 1, pyrng.choice((1, 1, 2)))]:
                plan.append((number, letter, None))
        else:
            plan.append((number, None, None))
    return plan


def _split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` in proportion to `weights` (sums to `total`)."""
    weight_sum = sum(weights) or 1.0
    exact = [total * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _inside_points(area: _Area, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random points strictly inside the area (rejection sampling in its bounding box), rounded."""
    min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    found = 0
    while found < n:
        lon = np.round(rng.uniform(min_lon, max_lon, 4 * n + 64), 7)
        lat = np.round(rng.uniform(min_lat, max_lat, 4 * n + 64), 7)
        inside = shapely.contains_xy(area.geometry, lon, lat)
        lats.append(lat[inside])
        lons.append(lon[inside])
        found += int(inside.sum())
    return np.concatenate(lats)[:n], np.concatenate(lons)[:n]


def _street_points(area, count, plan, centre, angle, length, rng):
    """Positions along a straight street: odd numbers on one side, even on the other."""
    lat0 = centre[0]
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    units = max(plan[-1][0], 1)
    spacing = length / max(math.ceil(units / 2), 1)
    numbers = np.array([p[0] for p in plan], dtype=float)
    along = (np.floor((numbers - 1) / 2) + 0.5) * spacing - length / 2 + rng.normal(0, 0.6, count)
    side = np.where(numbers % 2 == 1, 1.0, -1.0) * rng.uniform(9, 14, count)
    dx = along * math.cos(angle) - side * math.sin(angle)
    dy = along * math.sin(angle) + side * math.cos(angle)
    lat = np.round(lat0 + dy / M_PER_DEG_LAT, 7)
    lon = np.round(centre[1] + dx / m_per_deg_lon, 7)
    return lat, lon, shapely.contains_xy(area.geometry, lon, lat)


def _crowded(lat, lon, placed: list[np.ndarray], m_per_deg_lon: float, min_m: float = 15.0) -> np.ndarray:
    """Which new houses stand within `min_m` metres of a house of an earlier street (streets crossing)."""
    if not placed:
        return np.zeros(len(lat), dtype=bool)
    other = np.concatenate(placed)
    dy = (lat[:, None] - other[None, :, 0]) * M_PER_DEG_LAT
    dx = (lon[:, None] - other[None, :, 1]) * m_per_deg_lon
    return (dx * dx + dy * dy).min(axis=1) < min_m * min_m


def _area_addresses(area, n, names, postcodes, rng, pyrng) -> list[_DemoAddress]:
    """About `n` addresses in 8-15 made-up streets laid out on a loose grid inside the area."""
    from buurt.geo.polygons import area_m2

    if n <= 0:
        return []
    street_count = int(np.clip(round(n / 60), 8, 15)) if n >= 200 else max(1, n // 25)
    counts = _split(n, list(rng.dirichlet(np.full(street_count, 4.0))))
    surface = area_m2(area.geometry)
    max_length = max(60.0, 0.55 * math.sqrt(surface))
    apartment_share = 0.03 if n / surface < 0.004 else 0.12  # dense areas: more flats
    base_angle = rng.uniform(0, math.pi / 2)
    pool_lat, pool_lon = _inside_points(area, rng, 40 * street_count + 200)
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(float(pool_lat.mean())))
    centres: list[tuple[float, float]] = []
    placed: list[np.ndarray] = []  # (lat, lon) rows of the streets so far, to keep streets apart
    result: list[_DemoAddress] = []
    pool_next = 0
    for count in counts:
        if count == 0:
            continue
        plan = _house_plan(count, pyrng, apartment_share)
        length = min(max_length, math.ceil(plan[-1][0] / 2) * 7.0)
        best = None
        for attempt in range(12):
            # Mitchell's best candidate: the pool point farthest from the streets so far.
            candidates = rng.integers(0, len(pool_lat), 25)
            if centres:
                c = np.array(centres)
                dy = (pool_lat[candidates, None] - c[None, :, 0]) * M_PER_DEG_LAT
                dx = (pool_lon[candidates, None] - c[None, :, 1]) * m_per_deg_lon
                pick = candidates[int(np.argmax(np.hypot(dx, dy).min(axis=1)))]
            else:
                pick = candidates[0]
            centre = (float(pool_lat[pick]), float(pool_lon[pick]))
            angle = base_angle + (math.pi / 2 if pyrng.random() < 0.5 else 0.0) + rng.normal(0, 0.06)
            lat, lon, inside = _street_points(area, count, plan, centre, angle, length * (1 - 0.05 * attempt), rng)
            crowded = _crowded(lat, lon, placed, m_per_deg_lon)
            score = int(inside.sum()) - int(crowded.sum())
            if best is None or score > best[0]:
                best = (score, lat, lon, inside, centre)
            if inside.mean() >= 0.97 and not crowded.any():
                break
        _score, lat, lon, inside, centre = best
        for i in np.flatnonzero(~inside):  # the few houses that fell outside: anywhere inside instead
            if pool_next >= len(pool_lat):
                pool_lat, pool_lon = _inside_points(area, rng, 200)
                pool_next = 0
            lat[i], lon[i] = pool_lat[pool_next], pool_lon[pool_next]
            pool_next += 1
        centres.append(centre)
        placed.append(np.column_stack([lat, lon]))
        street = names.pop()
        chunk_left = 0
        postcode = ""
        for (number, letter, addition), a_lat, a_lon in zip(plan, lat.tolist(), lon.tolist(), strict=True):
            if chunk_left <= 0:
                postcode = next(postcodes)
                chunk_left = pyrng.randint(15, 25)
            chunk_left -= 1
            record = AddressRecord(postcode, number, letter, addition, street, DEMO_PLACE, a_lat, a_lon)
            result.append(_DemoAddress(record, area.id))
    return result


def _load_addresses(areas, rng, pyrng, scale) -> tuple[list[_DemoAddress], int]:
    """Generate the register and import it through the same code path as a BAG import."""
    from buurt.addresses.services import import_records

    names = _street_names(pyrng)
    postcodes = _postcodes(pyrng)
    addresses: list[_DemoAddress] = []
    for area in areas:
        addresses += _area_addresses(area, round(area.households * scale), names, postcodes, rng, pyrng)
    report = import_records((a.record for a in addresses), source="demo", is_demo=True)
    if report.updated or report.unchanged:  # cannot happen: postcodes are unused ones
        raise DemoError("Demo-adressen botsen met bestaande adressen; demo niet geladen.")
    return addresses, len(report.rejected)


def _email_part(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-").strip(".-")


def _free_email(local: str) -> str:
    email, n = f"{local}@example.org", 1
    while db.session.scalar(select(User.id).filter_by(email=email)) is not None:
        n += 1
        email = f"{local}{n}@example.org"
    return email


def _create_users(groups: dict[int, Group], pyrng: random.Random):
    """A coordinator, 1-2 beheerders per group (one group with one, to show the warning), a wijkagent."""
    from buurt.auth.services import create_user, hash_password

    ordered = sorted(groups.values(), key=lambda g: (g.sort_order, g.id))
    hood_id = ordered[0].neighbourhood_id if ordered else None
    password_hash = hash_password(DEMO_PASSWORD)  # once: scrypt is slow on purpose
    logins: list[tuple[str, str]] = []
    users: list[User] = []
    beheerders: dict[int, list[User]] = {}
    first_names = list(_FIRST_NAMES)
    pyrng.shuffle(first_names)

    def make(local: str, name: str, role: Role, what: str, group: Group | None = None) -> User:
        user = create_user(_free_email(local), name, role, None, [group] if group else [], is_demo=True)
        users.append(user)
        logins.append((user.email, what))
        return user

    coordinator = make("demo.coordinator", "Demo Coördinator", Role.COORDINATOR, "coördinator (alle groepen)")
    for index, group in enumerate(ordered):
        short = group.name.removeprefix("BuurtAlarm ")
        wanted = 1 if index == len(ordered) - 1 and len(ordered) > 1 else 2
        beheerders[group.id] = [
            make(
                f"demo.{_email_part(group.slug)}.{n}",
                f"Demo {first_names[len(users) % len(first_names)]} (beheerder {short})",
                Role.BEHEERDER,
                f"beheerder van {group.name}",
                group,
            )
            for n in range(1, wanted + 1)
        ]
    wijkagent = make("demo.wijkagent", "Demo Wijkagent", Role.WIJKAGENT, "wijkagent (alleen lezen)")
    for user in users:
        user.password_hash = password_hash
        user.password_changed_at = utcnow()
        user.neighbourhood_id = hood_id
    db.session.commit()
    return beheerders, [coordinator, wijkagent], logins


def _uniform_time(pyrng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * pyrng.random()


def _phones(pyrng: random.Random, count: int):
    """Distinct numbers from the demo block, skipping any a real resident happens to use."""
    taken = set(
        db.session.scalars(select(Resident.phone_e164).where(Resident.phone_e164.like(f"{DEMO_PHONE_PREFIX}%")))
    )
    free = [f"{DEMO_PHONE_PREFIX}{n:04d}" for n in range(9_900)]  # 9900-9999: the demo tasks
    pyrng.shuffle(free)
    return iter([p for p in free if p not in taken][:count])


def _create_residents(areas, groups, addresses, beheerders, rng, pyrng, scale, now) -> list[Resident]:
    """About 1,050 residents over the groups in proportion to households; capacity respected."""
    from buurt.areas.services import current_areas, group_stats

    total = round(RESIDENTS_TOTAL * scale)
    per_area = _split(total, [a.households for a in areas])
    by_area: dict[int, list[_DemoAddress]] = {}
    for address in addresses:
        by_area.setdefault(address.area_id, []).append(address)
    occupied = {gid: s.occupied for gid, s in group_stats(list(groups.values())).items()}
    phones = _phones(pyrng, total + 50)
    start = now - timedelta(days=3 * 365)
    launch_end = start + timedelta(days=60)

    # Who lives where: distinct addresses, per area.
    people: list[tuple[_Area, _DemoAddress]] = []
    for area, n in zip(areas, per_area, strict=True):
        pool = by_area.get(area.id, [])
        people += [(area, pool[i]) for i in pyrng.sample(range(len(pool)), min(n, len(pool)))]

    # Statuses per group, oldest sign-ups first: added, then pending (recent), then the waitlist.
    to_geocode = set(pyrng.sample(range(len(people)), max(1, round(len(people) * 0.005)) if people else 0))
    # What buurt.areas.services.place() answers, without looking up the generation per point.
    current = current_areas()
    margin = current_app.config["BORDER_MARGIN_M"]
    placements: dict[int, tuple] = {}
    by_group: dict[int, list[int]] = {}
    for i, (_area, address) in enumerate(people):
        if i in to_geocode:
            continue
        info = current.index.border_info(address.record.lat, address.record.lon, margin_m=margin)
        if info.key is None:  # cannot happen for points inside an area; never guess
            to_geocode.add(i)
            continue
        area_info = current.by_id(info.key)
        other = current.by_id(info.nearest_other_key) if info.is_border and info.nearest_other_key else None
        placements[i] = (area_info, other, info.distance_m)
        by_group.setdefault(area_info.group_id, []).append(i)
    status: dict[int, ResidentStatus] = dict.fromkeys(to_geocode, ResidentStatus.TO_GEOCODE)
    for group_id, members in by_group.items():
        pyrng.shuffle(members)
        not_reachable = members[: round(len(members) * 0.01)]
        queue = members[len(not_reachable) :]
        budget = max(0, groups[group_id].capacity - occupied.get(group_id, 0))
        in_group = queue[:budget]
        pending_count = min(len(in_group), max(1, round(len(members) * 0.06)))
        for i in not_reachable:
            status[i] = ResidentStatus.NOT_REACHABLE
        for i in in_group[: len(in_group) - pending_count]:
            status[i] = ResidentStatus.ADDED
        for i in in_group[len(in_group) - pending_count :]:
            status[i] = ResidentStatus.PENDING
        for i in queue[budget:]:
            status[i] = ResidentStatus.WAITLIST

    residents = []
    for i, (_area, address) in enumerate(people):
        r = address.record
        s = status[i]
        if s == ResidentStatus.ADDED:
            created = _uniform_time(pyrng, start, launch_end if pyrng.random() < 0.3 else now - timedelta(days=21))
        elif s == ResidentStatus.NOT_REACHABLE:
            created = _uniform_time(pyrng, start, now - timedelta(days=30))
        elif s == ResidentStatus.PENDING:
            created = _uniform_time(pyrng, now - timedelta(days=21), now - timedelta(hours=1))
        elif s == ResidentStatus.WAITLIST:
            created = _uniform_time(pyrng, now - timedelta(days=120), now - timedelta(hours=1))
        else:
            created = _uniform_time(pyrng, now - timedelta(days=10), now - timedelta(hours=1))
        first, last = pyrng.choice(_FIRST_NAMES), pyrng.choice(_LAST_NAMES)
        email = f"demo.{_email_part(first)}.{_email_part(last.replace(' ', '.'))}.{i + 1}@example.org"
        has_email = pyrng.random() < 0.6
        resident = Resident(
            name=f"Demo {first} {last}",
            phone_e164=next(phones),
            email=email if has_email else None,
            email_confirmed_at=created + timedelta(minutes=pyrng.randint(1, 90)) if has_email else None,
            postcode=r.postcode,
            house_number=r.number,
            house_letter=r.letter or "",
            house_addition=r.addition or "",
            street=r.street,
            place=r.place,
            household_size=pyrng.choices((1, 2, 3, 4, 5), weights=(30, 35, 15, 15, 5))[0],
            status=s,
            consent_privacy_at=created,
            consent_rules_at=created,
            consent_age_at=created,
            created_at=created,
            updated_at=created,
            is_demo=True,
        )
        if hasattr(Resident, "digest_sent_at"):  # never announce demo sign-ups in a beheerders' digest mail
            resident.digest_sent_at = created
        placement = placements.get(i)
        if placement is not None:
            area_info, other, distance = placement
            resident.lat, resident.lon, resident.geocoder_source = r.lat, r.lon, "register"
            resident.group_id, resident.area_id = area_info.group_id, area_info.id
            if other is not None:
                resident.is_border = True
                resident.border_group_id = other.group_id
                resident.border_distance_m = round(distance, 1)
                resident.needs_review = s in (ResidentStatus.PENDING, ResidentStatus.WAITLIST)
        if s in (ResidentStatus.ADDED, ResidentStatus.NOT_REACHABLE):
            added = min(created + timedelta(days=pyrng.uniform(0.2, 12)), now - timedelta(minutes=5))
            team = beheerders.get(resident.group_id) or []
            resident.added_by_id = pyrng.choice(team).id if team else None
            resident.updated_at = added
            if s == ResidentStatus.ADDED:
                resident.added_at = added
        residents.append(resident)
    db.session.add_all(residents)
    db.session.flush()
    return residents


def _create_tasks(groups: dict[int, Group], pyrng: random.Random, now: datetime) -> int:
    """A few open 'remove from WhatsApp' to-dos (people who moved away and deleted their data)."""
    tasks = []
    phones = iter(f"{DEMO_PHONE_PREFIX}{n:04d}" for n in pyrng.sample(range(9_900, 10_000), k=min(len(groups), 100)))
    for group in sorted(groups.values(), key=lambda g: g.sort_order)[::2]:
        tasks.append(
            GroupTask(
                group_id=group.id,
                kind=TaskKind.REMOVE_FROM_WHATSAPP,
                display_name=f"Demo {pyrng.choice(_FIRST_NAMES)} {pyrng.choice(_LAST_NAMES)}",
                phone_e164=next(phones),
                reason="Verhuisd buiten het gebied; gegevens zelf verwijderd.",
                created_at=now - timedelta(days=pyrng.uniform(0.5, 6)),
                is_demo=True,
            )
        )
    db.session.add_all(tasks)
    return len(tasks)


# ---------------------------------------------------------------------------------------------
# Incidents and meldingen


def _incident_times(n: int, rng: np.random.Generator, now: datetime) -> list[datetime]:
    """Moments over the past year: more in autumn and winter, most in the evening (local time)."""
    month_w = np.array(_MONTH_WEIGHTS)
    hour_p = np.array(_HOUR_WEIGHTS) / sum(_HOUR_WEIGHTS)
    local_now = now.astimezone(LOCAL_TZ)
    month_of_offset = np.array([(local_now - timedelta(days=d)).month for d in range(365)])
    days = np.empty(0, dtype=int)
    while len(days) < n:
        candidates = rng.integers(0, 365, 3 * n + 16)
        keep = rng.random(len(candidates)) < month_w[month_of_offset[candidates] - 1] / month_w.max()
        days = np.concatenate([days, candidates[keep]])
    hours = rng.choice(24, size=n, p=hour_p)
    minutes = rng.integers(0, 60, n)
    result = []
    for day, hour, minute in zip(days[:n].tolist(), hours.tolist(), minutes.tolist(), strict=True):
        date = (local_now - timedelta(days=day)).date()
        moment = datetime(date.year, date.month, date.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)
        if moment > now - timedelta(minutes=10):
            moment -= timedelta(days=1)
        result.append(moment)
    return result


def _details(category: IncidentCategory, pyrng: random.Random) -> dict | None:
    """Concrete descriptions of persons/vehicles (never names), for some incidents."""
    person = {
        "clothing": pyrng.choice(_CLOTHING),
        "height": pyrng.choice(_HEIGHTS),
        "build": pyrng.choice(_BUILDS),
        "direction": pyrng.choice(_DIRECTIONS),
    }
    kind, make = pyrng.choice(_VEHICLES)
    vehicle = {"kind": kind, "make": make, "colour": pyrng.choice(_COLOURS), "plate": None,
               "direction": pyrng.choice(_DIRECTIONS)}  # fmt: skip
    if category == IncidentCategory.VERDACHT_VOERTUIG:
        return {"persons": [], "vehicles": [vehicle]}
    about_people = (
        IncidentCategory.VERDACHTE_SITUATIE,
        IncidentCategory.WONINGINBRAAK,
        IncidentCategory.POGING_INBRAAK,
    )
    if category in about_people and pyrng.random() < 0.55:
        persons = [person] if pyrng.random() < 0.7 else [person, {**person, "clothing": pyrng.choice(_CLOTHING)}]
        return {"persons": persons, "vehicles": [vehicle] if pyrng.random() < 0.3 else []}
    return None


def make_demo_incidents(
    n: int,
    seed: int = DEMO_SEED,
    *,
    now: datetime | None = None,
    anchors: list[tuple[float, float, str]] | None = None,
) -> list[dict]:
    """Rows of `n` fictional incidents for ``db.session.execute(db.insert(Incident), rows)``.

    Needs an app context (for the current areas). Locations are a few metres from ``anchors``
    (``(lat, lon, street)``), by default the demo addresses in the register, or random points in
    the current areas when there are none. Area and group come from the area index.
    ``details`` (some rows) looks like ``{"persons": [{"clothing", "height", "build",
    "direction"}], "vehicles": [{"kind", "make", "colour", "plate", "direction"}]}``.
    Every row has ``is_demo=True``.
    """
    from buurt.areas.services import current_areas

    if n <= 0:
        return []
    now = now or utcnow()
    rng = np.random.default_rng([seed, 7])
    pyrng = random.Random(seed * 31 + 7)
    areas = current_areas()
    if anchors is None:
        rows = db.session.execute(
            select(Address.lat, Address.lon, Address.street).where(Address.is_demo.is_(True)).limit(20_000)
        ).all()
        anchors = [tuple(row) for row in rows]
    if anchors:
        base = rng.integers(0, len(anchors), n)
        base_lat = np.array([anchors[i][0] for i in base])
        base_lon = np.array([anchors[i][1] for i in base])
        streets = [anchors[i][2] for i in base]
    else:
        base_lat, base_lon, streets = _random_points_in(areas, n, rng)
    lat = np.round(base_lat + rng.normal(0, 6.0, n) / M_PER_DEG_LAT, 7)
    lon = np.round(base_lon + rng.normal(0, 6.0, n) / (M_PER_DEG_LAT * np.cos(np.radians(base_lat))), 7)
    area_ids = areas.index.keys_for(areas.index.locate_many(lat, lon))
    group_of = {a.id: a.group_id for a in areas.areas}
    categories = list(_INCIDENT_WEIGHTS)
    picks = pyrng.choices(categories, weights=list(_INCIDENT_WEIGHTS.values()), k=n)
    occurred = _incident_times(n, rng, now)
    rows = []
    for i in range(n):
        category = picks[i]
        street = streets[i]
        area_id = area_ids[i]
        reported = min(occurred[i] + timedelta(minutes=pyrng.uniform(5, 12 * 60)), now)
        rows.append(
            {
                "category": category,
                "occurred_at": occurred[i],
                "reported_at": reported,
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "location_label": street,
                "area_id": area_id,
                "group_id": group_of.get(area_id) if area_id is not None else None,
                "description": pyrng.choice(_INCIDENT_TEXTS[category]).format(street=street or "straat"),
                "details": _details(category, pyrng),
                "police_called": pyrng.random() < _POLICE_CALLED.get(category, 0.15),
                "photo_filename": None,
                "photo_mime": None,
                "reporter_user_id": None,
                "reporter_resident_id": None,
                "status": IncidentStatus.HIDDEN if pyrng.random() < 0.03 else IncidentStatus.VISIBLE,
                "merged_into_id": None,
                "is_demo": True,
            }
        )
    return rows


def _random_points_in(areas, n: int, rng: np.random.Generator):
    """Random points inside the union of the current areas (for benchmarks without a register)."""
    geometries = [shape(a.geometry) for a in areas.areas]
    if not geometries:
        raise DemoError("Er zijn geen actuele gebieden; voer eerst `flask --app app buurt init` uit.")
    union = shapely.union_all(geometries)
    shapely.prepare(union)
    min_lon, min_lat, max_lon, max_lat = union.bounds
    lats, lons, found = [], [], 0
    while found < n:
        lon = rng.uniform(min_lon, max_lon, 2 * n + 64)
        lat = rng.uniform(min_lat, max_lat, 2 * n + 64)
        inside = shapely.contains_xy(union, lon, lat)
        lats.append(lat[inside])
        lons.append(lon[inside])
        found += int(inside.sum())
    return np.concatenate(lats)[:n], np.concatenate(lons)[:n], ["Verzonnenlaan"] * n


def _attach_reporters(rows, residents, beheerders, staff, pyrng: random.Random) -> None:
    """Some incidents were reported by demo residents, others by demo beheerders."""
    members = [r for r in residents if r.status == ResidentStatus.ADDED]
    for row in rows:
        draw = pyrng.random()
        team = beheerders.get(row["group_id"]) or []
        if draw < 0.55 and members:
            row["reporter_resident_id"] = pyrng.choice(members).id
        elif draw < 0.9 and team:
            row["reporter_user_id"] = pyrng.choice(team).id
        elif staff:
            row["reporter_user_id"] = staff[0].id


def _create_meldingen(groups, beheerders, staff, anchors, pyrng: random.Random, scale, now) -> int:
    """A few police alerts of the past months, routed by radius; the recent ones still open."""
    from buurt.areas.services import current_areas

    areas = current_areas()
    group_of = {a.id: a.group_id for a in areas.areas}
    count = max(3, round(MELDINGEN_TOTAL * scale))
    coordinator = staff[0]
    categories = list(_MELDING_WEIGHTS)
    occurred_times = sorted(
        (_uniform_time(pyrng, now - timedelta(days=150), now - timedelta(hours=2)) for _ in range(count)),
        reverse=True,
    )
    for index, occurred in enumerate(occurred_times):
        lat, lon, street = pyrng.choice(anchors) if anchors else (52.2105, 4.4235, "Verzonnenlaan")
        _lat2, _lon2, other_street = pyrng.choice(anchors) if anchors else (lat, lon, street)
        category = pyrng.choices(categories, weights=list(_MELDING_WEIGHTS.values()))[0]
        radius = pyrng.choice((300, 500, 500, 500, 750, 1000))
        created = occurred + timedelta(minutes=pyrng.uniform(8, 40))
        text = _MELDING_TEXTS[category].format(
            street=street, height=pyrng.choice(_HEIGHTS).replace(",", "."), clothing=pyrng.choice(_CLOTHING),
            direction=f"richting de {other_street}",
        )  # fmt: skip
        is_open = index < 2 or (index < 4 and pyrng.random() < 0.3)
        closed = None if is_open else created + timedelta(minutes=pyrng.uniform(30, 240))
        melding = Melding(
            received_text=text,
            category=category,
            occurred_at=occurred,
            lat=round(lat + pyrng.gauss(0, 15) / M_PER_DEG_LAT, 7),
            lon=round(lon + pyrng.gauss(0, 15) / (M_PER_DEG_LAT * math.cos(math.radians(lat))), 7),
            location_label=street,
            radius_m=radius,
            created_at=created,
            created_by_id=coordinator.id,
            closed_at=closed,
            closed_by_id=None if is_open else coordinator.id,
            result=None if is_open else pyrng.choices(list(_MELDING_RESULT_NOTES), weights=(3, 5, 1))[0],
            is_demo=True,
        )
        if melding.result is not None:
            melding.result_note = _MELDING_RESULT_NOTES[melding.result]
        hits: dict[int, float] = {}
        for area_id, distance in areas.index.within_radius(melding.lat, melding.lon, 2 * radius):
            group_id = group_of[area_id]
            if group_id in groups and group_id not in hits:
                hits[group_id] = distance
        for group_id, distance in hits.items():
            neighbour = distance > radius
            target = MeldingTarget(group_id=group_id, distance_m=round(distance, 1), is_neighbour=neighbour)
            team = beheerders.get(group_id) or [coordinator]
            if not neighbour and (not is_open or pyrng.random() < 0.5):
                target.forwarded_at = created + timedelta(minutes=pyrng.uniform(2, 25))
                target.forwarded_by_id = pyrng.choice(team).id
                if closed is not None:
                    target.close_forwarded_at = closed + timedelta(minutes=pyrng.uniform(2, 30))
                    target.close_forwarded_by_id = pyrng.choice(team).id
            melding.targets.append(target)
        db.session.add(melding)
    return count


def _summarise(report, areas, groups, addresses, residents, beheerders) -> None:
    area_group = {a.id: a.group_id for a in areas}
    for group in sorted(groups.values(), key=lambda g: g.sort_order):
        report.groups[group.id] = GroupSummary(group.name, group.capacity, beheerders=len(beheerders.get(group.id, [])))
    for address in addresses:
        report.groups[area_group[address.area_id]].addresses += 1
    for resident in residents:
        report.by_status[resident.status.value] = report.by_status.get(resident.status.value, 0) + 1
        summary = report.groups.get(resident.group_id)
        if summary is None:
            continue
        if resident.status == ResidentStatus.ADDED:
            summary.added += 1
        elif resident.status == ResidentStatus.PENDING:
            summary.pending += 1
        elif resident.status == ResidentStatus.WAITLIST:
            summary.waitlist += 1
        else:
            summary.other += 1


# ---------------------------------------------------------------------------------------------
# The command


def _db_reason(error: SQLAlchemyError) -> str:
    """The database's own message, without the statement's parameters (which hold demo names)."""
    return str(getattr(error, "orig", None) or type(error).__name__)


_CLEAR_FAILED = (
    "De demogegevens konden niet worden verwijderd (er is niets veranderd): andere gegevens verwijzen er "
    "nog naar. Details staan in het log."
)


@buurt_cli.command("demo")
@click.option("--clear", is_flag=True, help="Verwijder alle demogegevens (en alleen die).")
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True, help="Zelfde seed, zelfde demo.")
@click.option(
    "--scale", type=click.FloatRange(0.01, MAX_SCALE), default=1.0, show_default=True,
    help="Vermenigvuldig alle aantallen (1: ~1.050 bewoners).",
)  # fmt: skip
@click.option("--yes", is_flag=True, help="Niet vragen, ook niet als er echte aanmeldingen zijn.")
def demo_command(clear: bool, seed: int, scale: float, yes: bool):
    """Vul de database met verzonnen demogegevens (Rijnsoever op ware grootte), of haal ze weg."""
    if clear:
        try:
            counts = clear_demo()
        except SQLAlchemyError as error:
            log.error("clearing the demo failed: %s", _db_reason(error))
            raise click.ClickException(_CLEAR_FAILED) from None
        if not any(counts.values()):
            click.echo("Er waren geen demogegevens.")
            return
        click.echo(
            f"Demogegevens verwijderd: {counts['residents']} bewoners, {counts['addresses']} adressen, "
            f"{counts['users']} accounts, {counts['incidents']} incidenten, {counts['meldingen']} meldingen, "
            f"{counts['tasks']} taken, {counts['audit']} auditregels. Echte gegevens zijn niet aangeraakt."
        )
        return
    real = db.session.scalar(select(func.count(Resident.id)).where(Resident.is_demo.is_(False))) or 0
    if real and not yes:
        click.confirm(
            f"Deze database bevat {real} echte aanmeldingen; de demo komt daartussen (en is met "
            "`flask buurt demo --clear` weer weg te halen). Doorgaan?",
            abort=True,
        )
    had_demo = demo_data_present()
    try:
        report = load_demo(seed, scale=scale)
    except DemoError as error:
        raise click.ClickException(error.message) from None
    except SQLAlchemyError as error:
        log.error("loading the demo failed: %s", _db_reason(error))
        raise click.ClickException(
            "Het laden van de demo is mislukt; er is niets half achtergebleven. Is de database bijgewerkt "
            "(`flask --app app buurt init`)? Details staan in het log."
        ) from None
    if had_demo:
        click.echo("Bestaande demogegevens zijn eerst verwijderd en daarna opnieuw geladen.")
    click.echo(
        f"Demo geladen in {report.seconds:.1f} s: {report.addresses} adressen, {report.residents} bewoners, "
        f"{report.incidents} incidenten, {report.meldingen} meldingen, {report.tasks} taken."
    )
    for summary in report.groups.values():
        occupied = summary.added + summary.pending
        warning = "  (vol)" if occupied >= summary.capacity else ""
        click.echo(
            f"  {summary.name}: {summary.addresses} adressen; {summary.added} leden, {summary.pending} wachtend, "
            f"{summary.waitlist} op de wachtlijst ({occupied}/{summary.capacity}){warning}; "
            f"{summary.beheerders} beheerder(s)"
        )
    if report.by_status.get("to_geocode"):
        click.echo(f"  Nog te geocoderen (zonder groep): {report.by_status['to_geocode']}")
    click.echo(f"Inloggen kan met wachtwoord {report.password!r} als:")
    for email, what in report.logins:
        click.echo(f"  {email:<42} {what}")
    click.echo("De site toont een DEMO-balk zolang er demogegevens zijn. Weghalen: flask --app app buurt demo --clear")
