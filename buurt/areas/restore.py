"""Undo (issue 17, point 4): "restore generation N" as a proposal equal to N.

(Groundwork: not built yet.)
"""

from __future__ import annotations

from buurt.models import BoundaryGeneration


def restore_proposal(generation: BoundaryGeneration, user_id: int | None) -> BoundaryGeneration:
    """A proposal (buurt.areas.proposals) whose areas and groups are those of ``generation``."""
    raise NotImplementedError
