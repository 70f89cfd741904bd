"""Area proposals: an uploaded (or generated) file waiting for a coordinator's confirmation.

MapIt's model: a proposal is an inactive :class:`BoundaryGeneration` row (no number,
``activated_at`` None, the GeoJSON in ``document``), so any process on any host can show,
confirm or discard it. Confirming runs the normal import with that row, which becomes the new
current generation itself. A proposal older than :data:`PROPOSAL_MAX_AGE` counts as gone.
The coordinator's choices (name and key property, a group per area) are kept in the stored
document itself, under the reserved member ``buurt:keuzes`` (GeoJSON allows foreign members; an
uploaded file's own member of that name is dropped), so no extra column is needed.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import delete

from buurt.areas.files import required_neighbourhood
from buurt.areas.imports import (
    CHOICES_MEMBER,
    ImportChoices,
    ImportPlan,
    ImportResult,
    ProposalGone,
    apply_import,
    plan_import,
)
from buurt.extensions import db
from buurt.geo.polygons import AreaProblem, AreaValidationError
from buurt.models import BoundaryGeneration, Neighbourhood, Resident, utcnow

log = logging.getLogger(__name__)

PROPOSAL_MAX_AGE = timedelta(hours=24)
#: a stored proposal was checked against the upload limit when it came in
STORED_MAX_BYTES = 10**8


def _parsed(data: bytes | str | dict) -> dict:
    """The GeoJSON as a plain JSON object; AreaValidationError when it is not one."""
    if isinstance(data, dict):
        return json.loads(json.dumps(data))
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    if not isinstance(document, dict):
        raise AreaValidationError([AreaProblem("not_geojson", "Het bestand is geen GeoJSON; er is niets opgeslagen.")])
    return document


def _purge_expired() -> None:
    cutoff = utcnow() - PROPOSAL_MAX_AGE
    t = BoundaryGeneration.__table__  # a Core statement: proposals are in no cache (buurt.caching)
    db.session.execute(delete(t).where(t.c.activated_at.is_(None), t.c.is_current.is_(False), t.c.created_at < cutoff))


def save_proposal(
    data: bytes | str | dict,
    *,
    neighbourhood: Neighbourhood | None = None,
    source: str = "",
    user_id: int | None = None,
    note: str = "",
    choices: ImportChoices | None = None,
) -> BoundaryGeneration:
    """Keep a file (already checked with plan_import) until it is confirmed or discarded; commits."""
    hood = required_neighbourhood(neighbourhood)
    document = _parsed(data)
    document.pop(CHOICES_MEMBER, None)  # only buurt writes its choices
    if choices is not None:
        document[CHOICES_MEMBER] = choices.to_json()
    _purge_expired()
    proposal = BoundaryGeneration(
        neighbourhood_id=hood.id,
        number=None,
        is_current=False,
        activated_at=None,
        document=document,
        source=source[:200] or None,
        note=note[:500] or None,
        created_by_id=user_id,
    )
    db.session.add(proposal)
    db.session.commit()
    log.info("area proposal %s stored (%s)", proposal.id, proposal.source)
    return proposal


def load_proposal(proposal_id: int, *, neighbourhood: Neighbourhood | None = None) -> BoundaryGeneration | None:
    """A proposal of ``neighbourhood`` (default: the default one) still waiting; None when gone.

    Activated generations are not proposals; an expired proposal is deleted here.
    """
    hood = required_neighbourhood(neighbourhood)
    proposal = db.session.get(BoundaryGeneration, proposal_id)
    if proposal is None or not proposal.is_proposal or proposal.neighbourhood_id != hood.id:
        return None
    if proposal.created_at < utcnow() - PROPOSAL_MAX_AGE:
        db.session.delete(proposal)
        db.session.commit()
        return None
    return proposal


def choices_of(proposal: BoundaryGeneration) -> ImportChoices:
    """The coordinator's choices stored with the proposal (none chosen: the defaults)."""
    document = proposal.document if isinstance(proposal.document, dict) else {}
    return ImportChoices.from_json(document.get(CHOICES_MEMBER))


def set_choices(proposal: BoundaryGeneration, choices: ImportChoices) -> None:
    """Store new choices with the proposal (a new document object, so the JSON column is written); commits."""
    document = dict(proposal.document) if isinstance(proposal.document, dict) else {}
    document[CHOICES_MEMBER] = choices.to_json()
    proposal.document = document
    db.session.commit()
    log.info("area proposal %s: choices changed", proposal.id)


def plan_proposal(proposal: BoundaryGeneration, choices: ImportChoices | None = None) -> ImportPlan:
    """What confirming would do now (with the stored choices, or ``choices`` to try others);
    AreaValidationError when it can no longer be applied."""
    return plan_import(
        proposal.document,
        neighbourhood=proposal.neighbourhood,
        source=proposal.source or "",
        max_bytes=STORED_MAX_BYTES,
        choices=choices if choices is not None else choices_of(proposal),
    )


def discard_proposal(proposal_id: int, *, neighbourhood: Neighbourhood | None = None) -> bool:
    """Throw a proposal away (never an activated generation); False when it was already gone."""
    proposal = load_proposal(proposal_id, neighbourhood=neighbourhood)
    if proposal is None:
        return False
    db.session.delete(proposal)
    db.session.commit()
    return True


def confirm_proposal(
    proposal_id: int,
    user_id: int | None = None,
    *,
    neighbourhood: Neighbourhood | None = None,
    confirm_moves: bool = False,
) -> ImportResult:
    """Activate the proposal: this row becomes the new current generation, residents are reassigned.

    ProposalGone when it is not (or no longer) a waiting proposal; AreaValidationError when the
    file can no longer be applied, or moves more residents than AREA_IMPORT_MAX_MOVE_SHARE without
    ``confirm_moves`` (then nothing changed and the proposal stays).
    """
    proposal = load_proposal(proposal_id, neighbourhood=neighbourhood)
    if proposal is None:
        raise ProposalGone(proposal_id)
    return apply_import(
        proposal.document,
        neighbourhood=proposal.neighbourhood,
        source=proposal.source or "",
        note=proposal.note,
        user_id=user_id,
        max_bytes=STORED_MAX_BYTES,
        generation=proposal,
        choices=choices_of(proposal),
        confirm_moves=confirm_moves,
    )


def moved_residents(plan: ImportPlan) -> dict[tuple[str, str], list[Resident]]:
    """The residents behind plan.moves, grouped by (from, to) group label (for coordinators only)."""
    ids = [m.resident_id for m in plan.moves]
    if not ids:
        return {}
    by_id = {r.id: r for r in db.session.scalars(db.select(Resident).where(Resident.id.in_(ids)))}
    grouped: dict[tuple[str, str], list[Resident]] = defaultdict(list)
    for move in plan.moves:
        if move.resident_id in by_id:
            grouped[(plan.label(move.from_ref), plan.label(move.to_ref))].append(by_id[move.resident_id])
    return dict(sorted(grouped.items()))
