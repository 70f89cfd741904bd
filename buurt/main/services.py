"""What the public pages show: groups, their areas and fill level. No personal data."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from buurt import caching
from buurt.areas import services as areas
from buurt.areas.occupancy import Occupancy, occupancy
from buurt.extensions import db
from buurt.geo.maps import (
    NO_DATA_COLOUR,
    LegendItem,
    LegendSection,
    MapArea,
    add_legend_sections,
    areas_map,
    fill_legend,
)
from buurt.models import Group, Neighbourhood
from buurt.neighbourhoods import all_neighbourhoods

#: a routing-only neighbourhood's areas: its fill level is not ours to know
ROUTING_ONLY_COLOUR = NO_DATA_COLOUR
#: a CBS buurt of the gemeente without buurtpreventie (drawn dashed)
UNCOVERED_COLOUR = "#f3f4f6"
#: map documents kept per process (each neighbourhood's, the gemeente's, per language)
MAPS_KEPT = 32


@dataclass(frozen=True, slots=True)
class PublicGroup:
    """A group as anyone may see it: its name, areas and occupancy (counts only)."""

    id: int
    name: str
    area_names: tuple[str, ...]
    occupancy: Occupancy

    @property
    def members(self) -> int:
        return self.occupancy.members

    @property
    def capacity(self) -> int:
        return self.occupancy.capacity

    @property
    def fill(self) -> float:
        return self.occupancy.fill

    @property
    def fill_percent(self) -> int:
        return self.occupancy.percent

    @property
    def has_room(self) -> bool:
        return self.occupancy.has_room

    @property
    def level(self) -> str:
        return self.occupancy.level

    @property
    def households(self) -> int | None:
        return self.occupancy.households


def public_groups(hood: Neighbourhood | None = None) -> list[PublicGroup]:
    """A neighbourhood's groups with their occupancy, in their display order (None: the default one)."""
    hood = hood if hood is not None else areas.default_neighbourhood()
    if hood is None:
        return []
    groups = areas.groups_of(hood)
    current = areas.current_areas()
    return _public(groups, current, occupancy(groups, current))


def _public(groups: list[Group], current: areas.CurrentAreas, counts: dict[int, Occupancy]) -> list[PublicGroup]:
    names: dict[int, list[str]] = {}
    for a in current.areas:
        names.setdefault(a.group_id, []).append(a.name)
    return [PublicGroup(g.id, g.name, tuple(names.get(g.id, ())), counts[g.id]) for g in groups]


@dataclass(frozen=True, slots=True)
class PublicNeighbourhood:
    """A neighbourhood as the gemeente page shows it: name, link target, groups and their counts.

    A routing-only neighbourhood runs its groups elsewhere: its counts are not ours to show
    (``show_fill`` is False) and residents sign up at ``signup_url``.
    """

    id: int
    slug: str
    name: str
    routing_only: bool
    signup_url: str | None
    contact: str | None
    groups: tuple[PublicGroup, ...]

    @property
    def show_fill(self) -> bool:
        return not self.routing_only

    @property
    def occupied(self) -> int:
        return sum(g.occupancy.occupied for g in self.groups)

    @property
    def capacity(self) -> int:
        return sum(g.capacity for g in self.groups)

    @property
    def signup_link(self) -> str | None:
        """The sign-up address when it is a web address (http/https), for an href; else None."""
        return safe_link(self.signup_url)

    @property
    def signup_host(self) -> str | None:
        return link_host(self.signup_url)


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) address (the only kind a page may link to), else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def link_host(url: str | None) -> str | None:
    """The site a sign-up link leads to ("www.buurtpreventie-example.nl"), for short texts."""
    link = safe_link(url)
    return urlsplit(link).hostname if link else None


def public_neighbourhoods() -> list[PublicNeighbourhood]:
    """Every neighbourhood with its active groups and their counts (one occupancy query for all)."""
    hoods = all_neighbourhoods()
    groups = list(db.session.scalars(db.select(Group).filter_by(is_active=True).order_by(Group.sort_order, Group.id)))
    current = areas.current_areas()
    counts = occupancy(groups, current)
    by_hood: dict[int, list[Group]] = {}
    for g in groups:
        by_hood.setdefault(g.neighbourhood_id, []).append(g)
    default_contact = current_app.config["CONTACT_EMAIL"]
    return [
        PublicNeighbourhood(
            h.id,
            h.slug,
            h.name,
            bool(h.routing_only),
            h.signup_url,
            h.contact_email or default_contact,
            tuple(_public(by_hood.get(h.id, []), current, counts)),
        )
        for h in hoods
    ]


@dataclass(frozen=True, slots=True)
class Buurt:
    """A CBS buurt of the gemeente (shipped 2024 file): code, name, GeoJSON geometry (lon/lat)."""

    code: str
    name: str
    wijk: str
    geometry: dict

    @property
    def label(self) -> str:
        """Name and wijk: buurt names repeat in the gemeente ("Centrum" in Katwijk aan Zee and in Rijnsburg)."""
        return f"{self.name} ({self.wijk})" if self.wijk else self.name


#: A CBS buurt counts as covered when the current areas hold at least this share of it
#: (the shipped buurten are generalised: edges never match exactly).
COVERED_SHARE = 0.5


def uncovered_buurten() -> list[Buurt]:
    """The gemeente's CBS buurten no neighbourhood covers ("nog geen buurtpreventie"), by name.

    A buurt is covered when a neighbourhood was made of it (its ``buurtcodes``) or when the current
    areas of all neighbourhoods cover at least COVERED_SHARE of it (a neighbourhood from its own
    boundary file). Cached per areas revision.
    """
    key = areas.current_key()
    cache = caching.process_cache("uncovered_buurten", 2)
    found = cache.get(key)
    if found is None:
        found = cache.put(key, tuple(_uncovered(areas.current_areas())))
    return list(found)


def _uncovered(current: areas.CurrentAreas) -> list[Buurt]:
    from shapely.geometry import shape
    from shapely.ops import unary_union

    codes = {code for h in all_neighbourhoods() for code in (h.buurtcodes or ())}
    covered = unary_union([shape(a.geometry) for a in current.areas]) if current.areas else None
    found = []
    for feature in areas.gemeente_buurten():
        p = feature["properties"]
        if p["buurtcode"] in codes:
            continue
        geometry = shape(feature["geometry"])
        share = covered.intersection(geometry).area / geometry.area if covered is not None and geometry.area else 0
        if share >= COVERED_SHARE:
            continue
        found.append(Buurt(p["buurtcode"], p["buurtnaam"], p.get("wijknaam") or "", feature["geometry"]))
    return sorted(found, key=lambda b: b.label)


def fill_labels() -> dict[str, str]:
    return {
        "lt50": _("minder dan 50% vol"),
        "lt75": _("50–75% vol"),
        "lt90": _("75–90% vol"),
        "lt100": _("90–100% vol"),
        "full": _("vol"),
    }


def area_lines(group: PublicGroup) -> tuple[str, ...]:
    """The map's text for a group: seats taken (members + verified sign-ups, buurt.areas.occupancy) of the capacity."""
    return (
        _("%(members)d van %(capacity)d plaatsen bezet", members=group.occupancy.occupied, capacity=group.capacity),
    )


def _occupancy_key(groups) -> tuple:
    return tuple((g.id, g.occupancy.occupied, g.capacity) for g in groups)


def _cached_document(kind: str, key: tuple, build) -> str:
    """A map document per (areas revision, the counts it shows, language, tiles): rebuilt only when one moved.

    Occupancy has no revision of its own (every sign-up changes it): the counts the map shows are
    part of the key, read with the one occupancy query the page makes anyway.
    """
    from buurt.tiles import tile_source

    full_key = (kind, areas.current_key(), key, str(get_locale()), tile_source())
    cache = caching.process_cache("public_maps", MAPS_KEPT)
    document = cache.get(full_key)
    if document is None:
        document = cache.put(full_key, build())
    return document


def coverage_map_document(hood: Neighbourhood | None = None) -> str:
    """A neighbourhood's public coverage map as a complete HTML document (for an iframe); cached."""
    hood = hood if hood is not None else areas.default_neighbourhood()
    if hood is None:
        return _cached_document("coverage", (), lambda: build_coverage_map_document(None, []))
    groups = public_groups(hood)
    info = (hood.id, hood.name, bool(hood.routing_only), hood.signup_url)
    return _cached_document(
        "coverage", (info, _occupancy_key(groups)), lambda: build_coverage_map_document(hood, groups)
    )


def build_coverage_map_document(hood: Neighbourhood | None, groups: list[PublicGroup]) -> str:
    """coverage_map_document without the cache: only this neighbourhood's areas, by fill level
    (a routing-only one in the neutral colour, with where to sign up)."""
    from buurt.geo.folium_assets import render_map_document
    from buurt.tiles import tile_source

    by_group = {g.id: g for g in groups}
    current = areas.current_areas()
    routing_only = hood is not None and hood.routing_only
    host = link_host(hood.signup_url) if hood is not None else None
    shapes = [
        MapArea(
            key=a.key,
            name=by_group[a.group_id].name,
            geometry=a.geometry,
            fill=None if routing_only else by_group[a.group_id].fill,
            colour=ROUTING_ONLY_COLOUR if routing_only else None,
            lines=(a.name, *(routing_lines(host) if routing_only else area_lines(by_group[a.group_id]))),
        )
        for a in current.areas
        if a.group_id in by_group and hood is not None and a.neighbourhood_id == hood.id
    ]
    if routing_only:
        legend = [LegendItem(ROUTING_ONLY_COLOUR, _("groepen elders beheerd"))]
        m = areas_map(shapes, legend_title=_("Groepen"), legend=legend, tiles=tile_source())
    else:
        m = areas_map(shapes, legend_title=_("Bezetting"), legend=fill_legend(fill_labels()), tiles=tile_source())
    return render_map_document(m)


def routing_lines(host: str | None) -> tuple[str, ...]:
    """The map's text for a group run elsewhere: where to sign up."""
    return (_("aanmelden via %(site)s", site=host),) if host else (_("aanmelden via de eigen beheerders"),)


def gemeente_map_document(neighbourhoods: list[PublicNeighbourhood] | None = None) -> str:
    """Every neighbourhood's areas and the buurten without buurtpreventie on one map; cached."""
    hoods = public_neighbourhoods() if neighbourhoods is None else neighbourhoods
    key = tuple((h.id, h.name, h.routing_only, h.signup_url, _occupancy_key(h.groups)) for h in hoods)
    return _cached_document("gemeente", key, lambda: build_gemeente_map_document(hoods, uncovered_buurten()))


def build_gemeente_map_document(hoods: list[PublicNeighbourhood], uncovered: list[Buurt]) -> str:
    """gemeente_map_document without the cache."""
    from buurt.geo.folium_assets import render_map_document
    from buurt.tiles import tile_source

    groups = {g.id: (h, g) for h in hoods for g in h.groups}
    current = areas.current_areas()
    shapes = [
        MapArea(
            key=f"buurt-{b.code}",
            name=b.label,
            geometry=b.geometry,
            colour=UNCOVERED_COLOUR,
            dashed=True,
            lines=(_("nog geen buurtpreventie"),),
        )
        for b in uncovered
    ]
    for a in current.areas:
        if a.group_id not in groups:
            continue
        hood, group = groups[a.group_id]
        if hood.routing_only:
            lines = (hood.name, a.name, *routing_lines(hood.signup_host))
            shapes.append(
                MapArea(f"{hood.slug}-{a.key}", group.name, a.geometry, colour=ROUTING_ONLY_COLOUR, lines=lines)
            )
        else:
            lines = (hood.name, a.name, *area_lines(group))
            shapes.append(MapArea(f"{hood.slug}-{a.key}", group.name, a.geometry, fill=group.fill, lines=lines))
    m = areas_map(shapes, tiles=tile_source())
    add_legend_sections(
        m,
        [
            LegendSection(_("Bezetting"), tuple(fill_legend(fill_labels()))),
            LegendSection(
                _("Andere buurten"),
                (
                    LegendItem(ROUTING_ONLY_COLOUR, _("aanmelden via hun eigen site")),
                    LegendItem(UNCOVERED_COLOUR, _("nog geen buurtpreventie")),
                ),
            ),
        ],
    )
    return render_map_document(m)
