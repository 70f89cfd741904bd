"""`flask buurt demo --gemeente`: the other neighbourhoods of Katwijk beside the seed (Rijnsoever).

They are made from the shipped CBS 2024 buurten through the same service as `flask buurt
neighbourhoods add` (:func:`buurt.neighbourhoods.services.add_neighbourhood`): Hoornes (Hoornes-West
and -Oost, the rest of wijk Katwijk Noord) and one neighbourhood per remaining CBS wijk, with one
group per ~260 households, so all of Katwijk has about 100 groups. Landelijk gebied is a routing
target only: its groups live elsewhere (meldingen reach them; residents sign up on another site).

The neighbourhoods themselves are real CBS buurten; what the demo puts in them (streets, people,
incidents) is fictional. Generation 1 of an added neighbourhood's areas carries
:data:`DEMO_AREAS_SOURCE`; that is how `demo --clear` (:func:`remove_demo_neighbourhoods`) knows
which neighbourhoods it may remove. One that real records depend on (a real sign-up in its groups,
a real account scoped to it, a real to-do of its beheerders) is kept, and the command says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, or_, select, update

from buurt.demo.fiction import DEMO_AREAS_SOURCE, HOUSEHOLDS_PER_GROUP
from buurt.extensions import db
from buurt.models import (
    Area,
    AuditEntry,
    BoundaryGeneration,
    Group,
    GroupTask,
    Incident,
    MeldingTarget,
    Neighbourhood,
    OutboxMessage,
    Resident,
    SeatLock,
    User,
    group_beheerders,
)

# (name, slug, CBS wijkcode, routing only): the wijk's buurten not in a neighbourhood of the plan before it
_WIJKEN = (
    ("Hoornes", "hoornes", "WK053701", False),  # Katwijk Noord without Rijnsoever (the seed)
    ("'t Heen", "t-heen", "WK053702", False),
    ("Katwijk aan den Rijn", "katwijk-aan-den-rijn", "WK053703", False),
    ("Katwijk aan Zee", "katwijk-aan-zee", "WK053705", False),
    ("Landelijk gebied", "landelijk-gebied", "WK053706", True),
    ("Rijnsburg", "rijnsburg", "WK053707", False),
    ("Valkenburg", "valkenburg", "WK053708", False),
)
# Where the routing-only neighbourhood's residents sign up (fictional: example.org is reserved).
ROUTING_ONLY_SIGNUP_URL = "https://example.org/demo/buurtpreventie-landelijk-gebied"


@dataclass(frozen=True, slots=True)
class PlannedNeighbourhood:
    """A neighbourhood the gemeente demo adds."""

    name: str
    slug: str
    buurtcodes: tuple[str, ...]
    households: int  # CBS 2024 (buurten whose count CBS keeps secret count as 0)
    groups: int
    routing_only: bool = False


@dataclass
class NeighbourhoodOutcome:
    """What became of one planned neighbourhood."""

    plan: PlannedNeighbourhood
    neighbourhood_id: int | None
    note: str = ""  # "" (added), "bestond al" (kept as it was), or why it was skipped


def gemeente_plan() -> list[PlannedNeighbourhood]:
    """The neighbourhoods beside the seed: the 38 CBS buurten of Katwijk outside Rijnsoever."""
    from buurt.areas.services import RIJNSOEVER_BUURTCODES, gemeente_buurten

    taken = set(RIJNSOEVER_BUURTCODES)
    plan = []
    for name, slug, wijkcode, routing_only in _WIJKEN:
        features = [
            f["properties"]
            for f in gemeente_buurten()
            if f["properties"]["wijkcode"] == wijkcode and f["properties"]["buurtcode"] not in taken
        ]
        codes = tuple(sorted(p["buurtcode"] for p in features))
        taken |= set(codes)
        households = sum(p["huishoudens_2024"] or 0 for p in features)
        groups = max(1, round(households / HOUSEHOLDS_PER_GROUP))
        plan.append(PlannedNeighbourhood(name, slug, codes, households, groups, routing_only))
    return plan


def add_gemeente_neighbourhoods(created_ids: list[int]) -> list[NeighbourhoodOutcome]:
    """Add the planned neighbourhoods that do not exist yet; each one marked as the demo's.

    The ids of those added are appended to ``created_ids`` as soon as each is stored, so a caller
    that fails later can remove them again. A neighbourhood whose slug exists is kept as it is (a
    real one, or one `demo --clear` had to keep); one the service refuses (its buurten overlap a
    neighbourhood someone added) is skipped with the service's reason.
    """
    from buurt.neighbourhoods.services import NeighbourhoodRefused, NeighbourhoodSpec, add_neighbourhood

    outcomes = []
    for order, plan in enumerate(gemeente_plan(), start=1):
        existing = db.session.scalar(select(Neighbourhood.id).filter_by(slug=plan.slug))
        if existing is not None:
            outcomes.append(NeighbourhoodOutcome(plan, existing, "bestond al"))
            continue
        spec = NeighbourhoodSpec(
            name=plan.name,
            slug=plan.slug,
            buurten=plan.buurtcodes,
            groups=plan.groups,
            contact_email=f"demo.{plan.slug}@example.org",
            routing_only=plan.routing_only,
            signup_url=ROUTING_ONLY_SIGNUP_URL if plan.routing_only else None,
        )
        try:
            hood = add_neighbourhood(spec)
        except NeighbourhoodRefused as refused:
            outcomes.append(NeighbourhoodOutcome(plan, None, f"overgeslagen: {refused.message}"))
            continue
        created_ids.append(hood.id)
        mark_as_demo([hood.id], sort_order=order)
        outcomes.append(NeighbourhoodOutcome(plan, hood.id))
    return outcomes


def mark_as_demo(neighbourhood_ids: list[int], *, sort_order: int | None = None) -> None:
    """Mark the first generation of these neighbourhoods as the demo's (and commit)."""
    if not neighbourhood_ids:
        return
    db.session.execute(
        update(BoundaryGeneration)
        .where(BoundaryGeneration.neighbourhood_id.in_(neighbourhood_ids), BoundaryGeneration.number == 1)
        .values(source=DEMO_AREAS_SOURCE)
        .execution_options(synchronize_session=False)
    )
    if sort_order is not None:
        db.session.execute(
            update(Neighbourhood)
            .where(Neighbourhood.id.in_(neighbourhood_ids))
            .values(sort_order=sort_order)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def demo_neighbourhood_ids() -> list[int]:
    """Ids of the neighbourhoods the demo added (never the default one)."""
    default_slug = current_app.config["NEIGHBOURHOOD_SLUG"]
    return list(
        db.session.scalars(
            select(Neighbourhood.id)
            .where(
                Neighbourhood.slug != default_slug,
                Neighbourhood.id.in_(
                    select(BoundaryGeneration.neighbourhood_id).where(
                        BoundaryGeneration.number == 1, BoundaryGeneration.source == DEMO_AREAS_SOURCE
                    )
                ),
            )
            .order_by(Neighbourhood.id)
        )
    )


def remove_demo_neighbourhoods() -> tuple[int, list[str], int]:
    """Delete the demo's neighbourhoods with their groups, generations and areas; no commit.

    Call after the demo records are gone (within :func:`buurt.demo.clearing.clear_demo`'s
    transaction). Returns (how many were removed, names of those kept because real records depend
    on them, audit rows about them removed). References from real records that stay are set to
    NULL (an incident's area and group); a real melding's routing row to a demo group goes with
    the group.
    """
    session = db.session
    removed, kept, audit_rows = 0, [], 0
    for hood_id in demo_neighbourhood_ids():
        groups = select(Group.id).where(Group.neighbourhood_id == hood_id)
        generations = select(BoundaryGeneration.id).where(BoundaryGeneration.neighbourhood_id == hood_id)
        areas = select(Area.id).where(Area.generation_id.in_(generations))
        depends = (
            select(Resident.id).where(or_(Resident.group_id.in_(groups), Resident.border_group_id.in_(groups))),
            select(User.id).where(User.neighbourhood_id == hood_id),
            select(GroupTask.id).where(GroupTask.group_id.in_(groups)),
        )
        if any(session.scalar(statement.limit(1)) is not None for statement in depends):
            kept.append(session.get(Neighbourhood, hood_id).name)
            continue
        group_ids = list(session.scalars(groups))
        generation_ids = list(session.scalars(generations))
        area_ids = list(session.scalars(areas))
        _execute(update(Incident).where(Incident.area_id.in_(area_ids)).values(area_id=None))
        _execute(update(Incident).where(Incident.group_id.in_(group_ids)).values(group_id=None))
        _execute(update(Resident).where(Resident.area_id.in_(area_ids)).values(area_id=None))
        _execute(update(GroupTask).where(GroupTask.other_group_id.in_(group_ids)).values(other_group_id=None))
        _execute(update(OutboxMessage).where(OutboxMessage.group_id.in_(group_ids)).values(group_id=None))
        _execute(delete(MeldingTarget).where(MeldingTarget.group_id.in_(group_ids)))
        _execute(delete(SeatLock).where(SeatLock.group_id.in_(group_ids)))
        session.execute(delete(group_beheerders).where(group_beheerders.c.group_id.in_(group_ids)))
        targets = (
            (Neighbourhood.__tablename__, [hood_id]),
            (Group.__tablename__, group_ids),
            (BoundaryGeneration.__tablename__, generation_ids),
            (Area.__tablename__, area_ids),
        )
        audit_rows += _execute(
            delete(AuditEntry).where(
                or_(*((AuditEntry.target_type == name) & AuditEntry.target_id.in_(ids) for name, ids in targets))
            )
        )
        _execute(delete(Area).where(Area.id.in_(area_ids)))
        _execute(delete(BoundaryGeneration).where(BoundaryGeneration.id.in_(generation_ids)))
        _execute(delete(Group).where(Group.id.in_(group_ids)))
        _execute(delete(Neighbourhood).where(Neighbourhood.id == hood_id))
        removed += 1
    return removed, kept, audit_rows


def _execute(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0
