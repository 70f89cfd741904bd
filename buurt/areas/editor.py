"""The map editor's service (issue 17, point 1): an edit on a base indeling becomes a proposal.

(Groundwork: not built yet.)
"""

from __future__ import annotations
