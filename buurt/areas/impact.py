"""What a planned indeling does to people (issue 17, point 3): the preview that tells the truth.

(Groundwork: :func:`impact_of` returns an empty impact.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from buurt.areas.imports import ImportPlan


@dataclass(slots=True)
class Impact:
    """For the preview: seats per group before and after, warnings, and the streets that change group."""

    groups: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    streets: list = field(default_factory=list)


def impact_of(plan: ImportPlan) -> Impact:
    """The impact of ``plan`` on the groups and streets of its neighbourhood; changes nothing."""
    return Impact()
