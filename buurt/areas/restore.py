"""Undo (issue 17, point 4): "restore generation N" as a proposal equal to N.

Restoring never changes anything by itself: :func:`restore_proposal` stores a waiting proposal
(:mod:`buurt.areas.proposals`) whose areas are those of generation N and whose choices put every
area back in the group it had in N. The coordinator then sees the normal preview (households
recomputed, members per group, who moves back) and confirms with the normal "Bevestigen", which
runs :func:`buurt.areas.imports.apply_import`: the result is a new generation (N is kept as it
was), the members who move back get the same WhatsApp tasks as any other move, a group that N
used and that was switched off since is switched on again, and a group N did not use is switched
off.
"""

from __future__ import annotations

import copy
import logging

from buurt import audit
from buurt.areas.files import current_generation, generation_collection
from buurt.areas.imports import ImportChoices
from buurt.areas.proposals import save_proposal
from buurt.exceptions import UserError
from buurt.models import BoundaryGeneration
from buurt.times import DATE_FORMAT, format_local

log = logging.getLogger(__name__)

#: area properties of an exported generation that a restore leaves out: the preview recomputes
#: the households of the areas as they will be (buurt.areas.households), it does not carry N's
HOUSEHOLD_PROPERTIES = ("huishoudens", "huishoudens_bron")


class RestoreRefused(UserError):
    """This generation cannot be restored (``message`` in Dutch, with what to do)."""


def restore_proposal(generation: BoundaryGeneration, user_id: int | None) -> BoundaryGeneration:
    """A proposal (buurt.areas.proposals) whose areas and groups are those of ``generation``; commits.

    RestoreRefused when ``generation`` is the one in use (nothing to restore) or not an activated
    generation at all. The proposal's ``source`` is "terugzetten: generatie N"; an audit entry
    ``areas.restore.proposed`` (target: generation N, with its number) is written in the same
    transaction as the proposal.
    """
    if generation.number is None or generation.activated_at is None:
        raise RestoreRefused("Alleen een indeling die eerder in gebruik was, kan worden teruggezet.")
    hood = generation.neighbourhood
    current = current_generation(hood)
    if generation.is_current or (current is not None and current.id == generation.id):
        raise RestoreRefused("Dit is de indeling die nu in gebruik is; er valt niets terug te zetten.")
    areas = list(generation.areas)
    if not areas:
        raise RestoreRefused(
            f"Generatie {generation.number} heeft geen gebieden; kies een andere generatie om terug te zetten."
        )

    document = generation_collection(generation)
    exact = {area.key: area.geometry for area in areas}
    for feature in document["features"]:
        for name in HOUSEHOLD_PROPERTIES:
            feature["properties"].pop(name, None)
        # The stored geometry itself, not the export's rounding (EXPORT_DECIMALS): the restored
        # areas must equal N's, and N's shared borders stay exactly shared.
        feature["geometry"] = copy.deepcopy(exact[feature["id"]])
    choices = ImportChoices(groups={area.key: area.group.slug for area in areas})
    when = format_local(generation.activated_at, DATE_FORMAT)
    note = (
        f"Terugzetten van generatie {generation.number} (in gebruik genomen op {when}): dezelfde gebieden, "
        "elk weer bij de groep van toen."
    )
    audit.record(
        "areas.restore.proposed",
        "boundary_generation",
        generation.id,
        number=generation.number,
        areas=len(areas),
    )  # committed by save_proposal, together with the proposal
    proposal = save_proposal(
        document,
        neighbourhood=hood,
        source=f"terugzetten: generatie {generation.number}",
        user_id=user_id,
        note=note,
        choices=choices,
    )
    log.info("restore of boundary generation %s proposed as proposal %s", generation.number, proposal.id)
    return proposal
