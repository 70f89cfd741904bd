"""`flask buurt demo`: clear earlier demo data, then load a fresh fictional Rijnsoever; deterministic per seed."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select

from buurt.demo.addresses import demo_areas, load_addresses
from buurt.demo.clearing import clear_demo
from buurt.demo.fiction import DEMO_PASSWORD, DEMO_SEED, INCIDENTS_TOTAL, MAX_SCALE, DemoError
from buurt.demo.incidents import attach_reporters, create_meldingen, make_demo_incidents
from buurt.demo.people import create_residents, create_tasks, create_users
from buurt.extensions import db
from buurt.models import Group, Incident, ResidentStatus, utcnow

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


def load_demo(seed: int = DEMO_SEED, *, scale: float = 1.0, now: datetime | None = None) -> DemoReport:
    """Clear earlier demo data, then load a fresh fictional Rijnsoever; deterministic per seed.

    ``scale`` multiplies every count (1.0: ~3,145 addresses, ~1,050 residents, ~320 incidents).
    On any failure the partial demo is removed again and the error is raised.
    """
    if not 0 < scale <= MAX_SCALE:
        raise DemoError(f"De schaal moet tussen 0 en {MAX_SCALE:g} liggen.")
    started = time.perf_counter()
    now = now or utcnow()
    areas = demo_areas()
    report = DemoReport(seed=seed, scale=scale)
    report.cleared = clear_demo()
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    try:
        addresses, rejected = load_addresses(areas, rng, pyrng, scale)
        report.addresses, report.addresses_rejected = len(addresses), rejected
        groups = {
            g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(sorted({a.group_id for a in areas}))))
        }
        beheerders, staff, logins = create_users(groups, pyrng)
        report.logins = logins
        residents = create_residents(areas, groups, addresses, beheerders, rng, pyrng, scale, now)
        report.tasks = create_tasks(groups, pyrng, now)
        anchors = [(a.record.lat, a.record.lon, a.record.street) for a in addresses]
        incident_rows = make_demo_incidents(max(1, round(INCIDENTS_TOTAL * scale)), seed=seed, now=now, anchors=anchors)
        attach_reporters(incident_rows, residents, beheerders, staff, pyrng)
        if incident_rows:
            db.session.execute(db.insert(Incident), incident_rows)
        report.incidents = len(incident_rows)
        report.meldingen = create_meldingen(groups, beheerders, staff, anchors, pyrng, scale, now)
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
