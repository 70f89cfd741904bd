"""`flask buurt demo`: clear earlier demo data, then load a fresh fictional Rijnsoever; deterministic per seed."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select

from buurt.areas.services import default_neighbourhood
from buurt.demo.addresses import demo_areas, load_addresses
from buurt.demo.clearing import clear_demo
from buurt.demo.fiction import (
    DEMO_PASSWORD,
    DEMO_SEED,
    GEMEENTE_MAX_SCALE,
    GEMEENTE_RESIDENTS_TOTAL,
    INCIDENTS_TOTAL,
    MAX_SCALE,
    MELDINGEN_TOTAL,
    RIJNSOEVER_HOUSEHOLDS,
    DemoError,
)
from buurt.demo.gemeente import add_gemeente_neighbourhoods, mark_as_demo
from buurt.demo.incidents import attach_reporters, create_meldingen, make_demo_incidents
from buurt.demo.people import create_residents, create_tasks, create_users
from buurt.extensions import db
from buurt.models import Group, Incident, Neighbourhood, ResidentStatus, utcnow

log = logging.getLogger(__name__)


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
class NeighbourhoodSummary:
    """Demo counts for one neighbourhood (`demo --gemeente`)."""

    name: str
    slug: str
    routing_only: bool
    groups: int
    addresses: int
    residents: int  # placed in its groups (a border resident counts where they were placed)
    households: int  # CBS 2024, as the demo filled it
    note: str = ""  # "bestond al": it existed before the demo and was kept as it was


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
    neighbourhoods: list[NeighbourhoodSummary] = field(default_factory=list)  # `--gemeente` only
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why) of planned ones not added


def load_demo(
    seed: int = DEMO_SEED, *, scale: float = 1.0, now: datetime | None = None, gemeente: bool = False
) -> DemoReport:
    """Clear earlier demo data, then load a fresh fictional Rijnsoever; deterministic per seed.

    ``scale`` multiplies every count (1.0: ~3,145 addresses, ~1,050 residents, ~320 incidents).
    ``gemeente``: all of Katwijk instead (buurt.demo.gemeente): the seed plus the other
    neighbourhoods from the CBS buurten, ~27,000 addresses and ~9,700 residents at scale 1 (at most 1).
    On any failure the partial demo (the added neighbourhoods too) is removed again and the error is raised.
    """
    limit = GEMEENTE_MAX_SCALE if gemeente else MAX_SCALE
    if not 0 < scale <= limit:
        raise DemoError(f"De schaal moet tussen 0 en {limit:g} liggen.")
    started = time.perf_counter()
    now = now or utcnow()
    if gemeente:
        default = default_neighbourhood()
        if default is None:
            raise DemoError("Er is nog geen buurt in de database. Voer eerst `flask --app app buurt init` uit.")
    else:
        areas = demo_areas()
    report = DemoReport(seed=seed, scale=scale)
    report.cleared = clear_demo()
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    created: list[int] = []
    try:
        hoods: list[Neighbourhood] | None = None
        outcomes = []
        if gemeente:
            outcomes = add_gemeente_neighbourhoods(created)
            ids = [default.id] + [o.neighbourhood_id for o in outcomes if o.neighbourhood_id is not None]
            rows = {h.id: h for h in db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(ids)))}
            hoods = [rows[i] for i in dict.fromkeys(ids)]
            areas = demo_areas([h.id for h in hoods])
        addresses, rejected = load_addresses(areas, rng, pyrng, scale)
        report.addresses, report.addresses_rejected = len(addresses), rejected
        groups = {
            g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(sorted({a.group_id for a in areas}))))
        }
        beheerders, staff, logins = create_users(groups, pyrng, hoods)
        report.logins = logins
        if hoods is None:
            residents = create_residents(areas, groups, addresses, beheerders, rng, pyrng, scale, now)
            incidents, meldingen = round(INCIDENTS_TOTAL * scale), None
        else:
            # a routing-only neighbourhood's residents sign up elsewhere
            routing_only = {h.id for h in hoods if h.routing_only}
            signing_up = [a for a in areas if a.neighbourhood_id not in routing_only]
            total = round(GEMEENTE_RESIDENTS_TOTAL * scale)
            residents = create_residents(signing_up, groups, addresses, beheerders, rng, pyrng, scale, now, total)
            ratio = scale * sum(a.households for a in areas) / RIJNSOEVER_HOUSEHOLDS
            incidents, meldingen = round(INCIDENTS_TOTAL * ratio), max(3, round(MELDINGEN_TOTAL * ratio))
        report.tasks = create_tasks(groups, pyrng, now)
        anchors = [(a.record.lat, a.record.lon, a.record.street) for a in addresses]
        incident_rows = make_demo_incidents(max(1, incidents), seed=seed, now=now, anchors=anchors)
        attach_reporters(incident_rows, residents, beheerders, staff, pyrng)
        if incident_rows:
            db.session.execute(db.insert(Incident), incident_rows)
        report.incidents = len(incident_rows)
        report.meldingen = create_meldingen(groups, beheerders, staff, anchors, pyrng, scale, now, meldingen)
        report.residents = len(residents)
        _summarise(report, areas, groups, addresses, residents, beheerders)
        if hoods is not None:
            _summarise_neighbourhoods(report, hoods, outcomes, areas, groups)
        db.session.commit()
    except Exception:
        db.session.rollback()
        mark_as_demo(created)  # so that clear_demo finds every neighbourhood this run added
        clear_demo()
        raise
    report.seconds = time.perf_counter() - started
    log.info("demo loaded: %d addresses, %d residents in %.1f s", report.addresses, report.residents, report.seconds)
    return report


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


def _summarise_neighbourhoods(report, hoods, outcomes, areas, groups) -> None:
    notes = {o.neighbourhood_id: o.note for o in outcomes if o.neighbourhood_id is not None}
    for hood in hoods:
        mine = [s for gid, s in report.groups.items() if groups[gid].neighbourhood_id == hood.id]
        report.neighbourhoods.append(
            NeighbourhoodSummary(
                name=hood.name,
                slug=hood.slug,
                routing_only=hood.routing_only,
                groups=len(mine),
                addresses=sum(s.addresses for s in mine),
                residents=sum(s.added + s.pending + s.waitlist + s.other for s in mine),
                households=sum(a.households for a in areas if a.neighbourhood_id == hood.id),
                note=notes.get(hood.id, ""),
            )
        )
    for outcome in outcomes:
        if outcome.neighbourhood_id is None:
            report.skipped.append((outcome.plan.name, outcome.note))
