"""Forgiving uploads (issue 17, point 2): small overlaps and gaps between neighbours resolved, large ones shown.

(Groundwork: :func:`clean_features` does not change anything yet.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from buurt.geo.polygons import AreaFeature, AreaProblem


@dataclass(slots=True)
class CleanedFeatures:
    features: list[AreaFeature]  # same keys, names, properties and order; geometries cleaned
    messages: list[str] = field(default_factory=list)  # one Dutch sentence per fix ("rechtgetrokken")
    problems: list[AreaProblem] = field(default_factory=list)  # too large to fix: shown on a map


def clean_features(features: list[AreaFeature], outline, *, tolerance_m2: float) -> CleanedFeatures:
    """The areas as one exact coverage of ``outline``, or the problems that stand in the way."""
    return CleanedFeatures(list(features))
