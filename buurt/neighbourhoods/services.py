"""Adding and changing neighbourhoods (issue 18, point 1): from the shipped CBS 2024 buurten of the
gemeente or from a boundary file. Used by `flask buurt neighbourhoods …` and the admin page.

Contract (helper A builds it; the CLI and the admin page call only this):
- :func:`cbs_catalogue` — the shipped CBS buurten of the gemeente (code, name, wijk, households),
  in buurtcode order; :func:`resolve_buurten` turns codes or names ("BU05370103", "Hoornes-West",
  case- and accent-insensitive) into catalogue entries, refusing unknown or ambiguous terms with a
  Dutch message that lists what would match.
- :func:`add_neighbourhood` creates a Neighbourhood (slug from the name unless given; never a
  reserved first path segment, see buurt.neighbourhoods.reserved_slugs), its groups, and generation
  1 of its areas, exact (buurt.geo.topology), in one transaction; raises NeighbourhoodRefused
  (nothing stored) for: no buurten and no file, unknown buurt, slug taken or reserved, areas that
  overlap another neighbourhood's current areas (names which, and how many m²), invalid file.
  Groups: ``groups="one"`` one group for the whole neighbourhood, ``"per-buurt"`` one group per CBS
  buurt, or an int N: the neighbourhood cut into N groups of about equal households.
  Households per area come from CBS (buurt.areas.households). Every change is an audit row.
- :func:`update_neighbourhood` changes name, contact, routing_only, signup_url, sort_order.
"""

from __future__ import annotations

from dataclasses import dataclass

from buurt.exceptions import UserError


class NeighbourhoodRefused(UserError):
    """The neighbourhood cannot be added or changed as asked (``message`` in Dutch); nothing stored."""


@dataclass(frozen=True, slots=True)
class CatalogueBuurt:
    """One shipped CBS 2024 buurt of the gemeente."""

    code: str  # BU05370103
    name: str  # Hoornes-West
    wijk: str  # Katwijk Noord
    households: int | None  # CBS 2024 (None where CBS keeps it secret)
    geometry: dict  # GeoJSON, lon/lat (generalised: see buurt/data/README.md)


@dataclass(frozen=True, slots=True)
class NeighbourhoodSpec:
    """What to add. Exactly one of ``buurten`` and ``boundary``."""

    name: str
    slug: str | None = None
    buurten: tuple[str, ...] = ()  # CBS buurtcodes or names
    boundary: dict | None = None  # a GeoJSON FeatureCollection: one feature per area (properties naam/key)
    groups: str | int = "one"  # "one" | "per-buurt" | N
    capacity: int | None = None  # None: DEFAULT_GROUP_CAPACITY
    contact_email: str | None = None
    routing_only: bool = False
    signup_url: str | None = None
    municipality: str | None = None  # None: GEMEENTE_NAME


def cbs_catalogue() -> tuple[CatalogueBuurt, ...]:
    raise NotImplementedError


def resolve_buurten(terms) -> list[CatalogueBuurt]:
    raise NotImplementedError


def add_neighbourhood(spec: NeighbourhoodSpec, *, user_id: int | None = None):
    raise NotImplementedError


def update_neighbourhood(hood, *, user_id: int | None = None, **changes):
    raise NotImplementedError
