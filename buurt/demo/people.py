"""Demo accounts (coordinator, beheerders, wijkagent), residents over the groups, and open group tasks."""

from __future__ import annotations

import logging
import random
import unicodedata
from datetime import datetime, timedelta

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import shape
from sqlalchemy import select

from buurt.demo.addresses import DemoAddress, DemoArea
from buurt.demo.fiction import (
    DEMO_PASSWORD,
    DEMO_PHONE_PREFIX,
    FIRST_NAMES,
    LAST_NAMES,
    RESIDENTS_TOTAL,
    split_total,
    uniform_time,
)
from buurt.extensions import db
from buurt.geo.coords import rd_transform, to_rd
from buurt.models import (
    Group,
    GroupTask,
    Neighbourhood,
    RemovalReason,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    User,
    utcnow,
)

log = logging.getLogger(__name__)


def _email_part(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-").strip(".-")


def create_users(groups: dict[int, Group], pyrng: random.Random, hoods: list[Neighbourhood] | None = None):
    """A coordinator, 1-2 beheerders per group (one group with one, to show the warning), a wijkagent.

    With ``hoods`` (all of Katwijk): the coordinator is gemeente-wide, each neighbourhood gets its
    own coordinator, beheerders of other neighbourhoods than the default get the neighbourhood in
    their e-mail address, and the wijkagent reads across the gemeente.
    """
    from buurt.auth.services import hash_password

    ordered = sorted(groups.values(), key=lambda g: (g.neighbourhood_id, g.sort_order, g.id))
    if hoods:
        order = {h.id: i for i, h in enumerate(hoods)}
        ordered.sort(key=lambda g: (order.get(g.neighbourhood_id, len(order)), g.sort_order, g.id))
    hood_id = ordered[0].neighbourhood_id if ordered else None
    default_slug = current_app.config["NEIGHBOURHOOD_SLUG"]
    slugs = {h.id: h.slug for h in hoods or ()}
    names = {h.id: h.name for h in hoods or ()}
    password_hash = hash_password(DEMO_PASSWORD)  # once: scrypt is slow on purpose
    logins: list[tuple[str, str]] = []
    users: list[User] = []
    beheerders: dict[int, list[User]] = {}
    first_names = list(FIRST_NAMES)
    pyrng.shuffle(first_names)

    taken = set(db.session.scalars(select(User.email).where(User.email.like("demo.%@example.org"))))
    now = utcnow()

    def make(local: str, name: str, role: Role, what: str, group: Group | None = None, hood: int | None = None):
        # Made here rather than by create_user (one commit per account): ~200 accounts for all of Katwijk.
        email, n = f"{local}@example.org", 1
        while email in taken:
            n += 1
            email = f"{local}{n}@example.org"
        taken.add(email)
        user = User(email=email, name=name, role=role, is_demo=True, neighbourhood_id=hood)
        user.password_hash, user.password_changed_at = password_hash, now
        user.groups = [group] if group else []
        db.session.add(user)
        users.append(user)
        logins.append((email, what))
        return user

    if hoods:
        coordinator = make("demo.coordinator", "Demo Coördinator", Role.COORDINATOR, "coördinator (heel Katwijk)")
        for hood in hoods:
            make(
                f"demo.coordinator.{_email_part(hood.slug)}",
                f"Demo Coördinator {hood.name}",
                Role.COORDINATOR,
                f"coördinator van {hood.name}",
                hood=hood.id,
            )
    else:
        coordinator = make(
            "demo.coordinator", "Demo Coördinator", Role.COORDINATOR, "coördinator (alle groepen)", hood=hood_id
        )
    for index, group in enumerate(ordered):
        short = group.name.removeprefix("BuurtAlarm ")
        wanted = 1 if index == len(ordered) - 1 and len(ordered) > 1 else 2
        slug = slugs.get(group.neighbourhood_id, default_slug)
        prefix = "demo." if slug == default_slug else f"demo.{_email_part(slug)}."
        beheerders[group.id] = [
            make(
                f"{prefix}{_email_part(group.slug)}.{n}",
                f"Demo {first_names[len(users) % len(first_names)]} (beheerder {short})",
                Role.BEHEERDER,
                f"beheerder van {group.name}" + (f" in {names[group.neighbourhood_id]}" if hoods else ""),
                group,
                group.neighbourhood_id,
            )
            for n in range(1, wanted + 1)
        ]
    wijkagent = make(
        "demo.wijkagent", "Demo Wijkagent", Role.WIJKAGENT, "wijkagent (alleen lezen)", hood=None if hoods else hood_id
    )
    db.session.commit()
    log.info("%d demo accounts created", len(users))
    return beheerders, [coordinator, wijkagent], logins


def _phones(pyrng: random.Random, count: int):
    """Distinct numbers from the demo block, skipping any a real resident happens to use."""
    taken = set(
        db.session.scalars(select(Resident.phone_e164).where(Resident.phone_e164.like(f"{DEMO_PHONE_PREFIX}%")))
    )
    free = [f"{DEMO_PHONE_PREFIX}{n:04d}" for n in range(9_900)]  # 9900-9999: the demo tasks
    pyrng.shuffle(free)
    return iter([p for p in free if p not in taken][:count])


def create_residents(areas, groups, addresses, beheerders, rng, pyrng, scale, now, total=None) -> list[Resident]:
    """About 1,050 residents (or ``total``) over the areas in proportion to households; capacity respected."""
    from buurt.areas.occupancy import occupancy
    from buurt.areas.services import current_areas

    total = round(RESIDENTS_TOTAL * scale) if total is None else total
    per_area = split_total(total, [a.households for a in areas])
    by_area: dict[int, list[DemoAddress]] = {}
    for address in addresses:
        by_area.setdefault(address.area_id, []).append(address)
    occupied = {gid: s.occupied for gid, s in occupancy(list(groups.values())).items()}
    phones = _phones(pyrng, total + 50)
    start = now - timedelta(days=3 * 365)
    launch_end = start + timedelta(days=60)

    # Who lives where: distinct addresses, per area.
    people: list[tuple[DemoArea, DemoAddress]] = []
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
    lats = np.array([address.record.lat for _area, address in people], dtype=float)
    lons = np.array([address.record.lon for _area, address in people], dtype=float)
    for i, (key, other_key, distance) in enumerate(zip(*_border_info_many(current, lats, lons, margin), strict=True)):
        if i in to_geocode:
            continue
        if key is None:  # cannot happen for points inside an area; never guess
            to_geocode.add(i)
            continue
        area_info = current.by_id(key)
        other = current.by_id(other_key) if other_key is not None else None
        placements[i] = (area_info, other, distance)
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
            created = uniform_time(pyrng, start, launch_end if pyrng.random() < 0.3 else now - timedelta(days=21))
        elif s == ResidentStatus.NOT_REACHABLE:
            created = uniform_time(pyrng, start, now - timedelta(days=30))
        elif s == ResidentStatus.PENDING:
            created = uniform_time(pyrng, now - timedelta(days=21), now - timedelta(hours=1))
        elif s == ResidentStatus.WAITLIST:
            created = uniform_time(pyrng, now - timedelta(days=120), now - timedelta(hours=1))
        else:
            created = uniform_time(pyrng, now - timedelta(days=10), now - timedelta(hours=1))
        first, last = pyrng.choice(FIRST_NAMES), pyrng.choice(LAST_NAMES)
        email = f"demo.{_email_part(first)}.{_email_part(last.replace(' ', '.'))}.{i + 1}@example.org"
        # a pending sign-up holds its seat once its e-mail address is confirmed (buurt.areas.occupancy)
        has_email = pyrng.random() < 0.6 or s == ResidentStatus.PENDING
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
            consent_privacy_version=current_app.config["PRIVACY_VERSION"],
            consent_rules_version=current_app.config["RULES_VERSION"],
            created_at=created,
            updated_at=created,
            # the same columns for every row, so the flush inserts them in a few batches (not row by row)
            is_border=False,
            needs_review=False,
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


def _border_info_many(current, lats: np.ndarray, lons: np.ndarray, margin: float):
    """What ``current.index.border_info`` answers per point, for thousands of points at once.

    Returns (area ids, nearest other area id within ``margin`` metres or None, its distance): the
    same answers (the covering area by the index's tie rule; the nearest other area, first in index
    order on equal distances, measured in RD New), without measuring every point against every area.
    """
    n = len(lats)
    keys = current.index.keys_for(current.index.locate_many(lats, lons)) if n else []
    others: list = [None] * n
    distances: list = [None] * n
    if not n or not current.areas:
        return keys, others, distances
    position = {a.id: i for i, a in enumerate(current.areas)}
    own = np.array([position.get(k, -1) if k is not None else -1 for k in keys])
    rd = shapely.transform(np.array([shape(a.geometry) for a in current.areas], dtype=object), rd_transform)
    x, y = to_rd(lons, lats)
    points = shapely.points(x, y)
    point_idx, area_idx = shapely.STRtree(rd).query(points, predicate="dwithin", distance=margin)
    keep = area_idx != own[point_idx]
    point_idx, area_idx = point_idx[keep], area_idx[keep]
    if len(point_idx):
        d = shapely.distance(rd[area_idx], points[point_idx])
        order = np.lexsort((area_idx, d, point_idx))  # per point: nearest first, then index order
        firsts, first = np.unique(point_idx[order], return_index=True)
        for p, a, dist in zip(firsts.tolist(), area_idx[order][first].tolist(), d[order][first].tolist(), strict=True):
            if dist <= margin:
                others[p], distances[p] = current.areas[a].id, dist
    return keys, others, distances


def create_tasks(groups: dict[int, Group], pyrng: random.Random, now: datetime) -> int:
    """A few open 'remove from WhatsApp' to-dos (people who moved away and deleted their data)."""
    tasks = []
    phones = iter(f"{DEMO_PHONE_PREFIX}{n:04d}" for n in pyrng.sample(range(9_900, 10_000), k=min(len(groups), 100)))
    for group in sorted(groups.values(), key=lambda g: g.sort_order)[::2]:
        tasks.append(
            GroupTask(
                group_id=group.id,
                kind=TaskKind.REMOVE_FROM_WHATSAPP,
                display_name=f"Demo {pyrng.choice(FIRST_NAMES)} {pyrng.choice(LAST_NAMES)}",
                phone_e164=next(phones),
                reason=RemovalReason.DATA_DELETED,
                created_at=now - timedelta(days=pyrng.uniform(0.5, 6)),
                is_demo=True,
            )
        )
    db.session.add_all(tasks)
    return len(tasks)
