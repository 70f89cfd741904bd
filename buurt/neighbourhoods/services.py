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

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache

import shapely
from flask import current_app
from shapely.geometry import mapping, shape

from buurt import audit
from buurt.beheer.settings import INVITE_LINK
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.geo.area_problems import m2_text
from buurt.geo.polygons import AreaValidationError, area_m2, to_rd_geometry
from buurt.geo.topology import NOISE_M2, clean_coverage, tiling_report
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, utcnow
from buurt.neighbourhoods import SLUG_PATTERN, reserved_slugs
from buurt.neighbourhoods.cutting import cut_into, pieces_from

log = logging.getLogger(__name__)

GROUP_PREFIX = "BuurtAlarm "
#: households_source of an area that is one or more whole CBS buurten
CBS_WHOLE_SOURCE = "CBS 2024"
#: households_source of an area with a part of a CBS buurt (apportioned by surface)
CBS_PART_SOURCE = "CBS 2024, naar oppervlakte"
CBS_GENERATION_SOURCE = "CBS / Kadaster 2024"
#: WhatsApp's largest group
MAX_CAPACITY = 1024
MAX_GROUPS = 60
_SLUG = re.compile(rf"^{SLUG_PATTERN}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
UPDATABLE = ("name", "contact_email", "routing_only", "signup_url", "sort_order")


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

    @property
    def label(self) -> str:
        """``Hoornes-West (BU05370103, Katwijk Noord)``: how messages name it."""
        return f"{self.name} ({self.code}, {self.wijk})"


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
    source: str | None = None  # the boundary file's name, for the generation's record


# --- the CBS catalogue -------------------------------------------------------------------------------


@cache
def cbs_catalogue() -> tuple[CatalogueBuurt, ...]:
    """The shipped CBS 2024 buurten of the gemeente, in buurtcode order (households from the Kerncijfers CSV)."""
    from buurt.areas.households import cbs_households_by_code
    from buurt.areas.services import gemeente_buurten

    counts = cbs_households_by_code()
    result = []
    for feature in gemeente_buurten():
        p = feature["properties"]
        households = counts[p["buurtcode"]]
        result.append(CatalogueBuurt(p["buurtcode"], p["buurtnaam"], p["wijknaam"], households, feature["geometry"]))
    return tuple(sorted(result, key=lambda b: b.code))


def _normal(text: str) -> str:
    """Lower case, no accents, every run of other characters one space: "'t Heen-Zuid" -> "t heen zuid"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _code_of(term: str) -> str | None:
    """A buurtcode in the usual spellings: BU05370103, bu05370103, 05370103."""
    compact = re.sub(r"\s+", "", term).upper()
    if re.fullmatch(r"(BU)?\d{8}", compact):
        return compact if compact.startswith("BU") else f"BU{compact}"
    return None


def _candidates(buurten: list[CatalogueBuurt]) -> str:
    return "; ".join(b.label for b in buurten)


def resolve_buurten(terms) -> list[CatalogueBuurt]:
    """Catalogue entries for codes or names (case and accents ignored; "Naam (Wijk)" or "Wijk Naam"
    picks one of two buurten with the same name). Each buurt once, in the order given.

    NeighbourhoodRefused for an unknown or ambiguous term, listing what would match.
    """
    catalogue = cbs_catalogue()
    by_code = {b.code: b for b in catalogue}
    found: list[CatalogueBuurt] = []
    for raw in terms:
        term = str(raw or "").strip()
        if not term:
            continue
        code = _code_of(term)
        if code is not None:
            if code not in by_code:
                raise NeighbourhoodRefused(
                    f"Buurtcode {code} hoort niet bij de gemeente {current_app.config['GEMEENTE_NAME']}. "
                    "`flask buurt neighbourhoods buurten` toont alle buurtcodes."
                )
            matches = [by_code[code]]
        else:
            wanted = _normal(term)
            matches = [b for b in catalogue if _normal(b.name) == wanted]
            if not matches:
                matches = [
                    b
                    for b in catalogue
                    if wanted
                    in (_normal(f"{b.name} {b.wijk}"), _normal(f"{b.wijk} {b.name}"), _normal(f"{b.name} {b.code}"))
                ]
        if len(matches) > 1:
            raise NeighbourhoodRefused(
                f"'{term}' past op meer dan één buurt: {_candidates(matches)}. Geef de buurtcode, "
                f"of de naam met de wijk erbij (bijvoorbeeld '{matches[0].name} ({matches[0].wijk})')."
            )
        if not matches:
            wanted = _normal(term)
            names = {_normal(b.name): b for b in catalogue}
            close = [names[n] for n in get_close_matches(wanted, list(names), n=5, cutoff=0.6)]
            close += [b for b in catalogue if wanted and wanted in _normal(b.name) and b not in close]
            hint = f" Bedoelt u: {_candidates(close[:6])}?" if close else ""
            raise NeighbourhoodRefused(
                f"Er is geen CBS-buurt '{term}' in de gemeente {current_app.config['GEMEENTE_NAME']}.{hint} "
                "`flask buurt neighbourhoods buurten` toont alle buurten met hun code."
            )
        if matches[0] not in found:
            found.append(matches[0])
    return found


def buurt_owners() -> dict[str, Neighbourhood]:
    """buurtcode -> the neighbourhood made of it."""
    owners: dict[str, Neighbourhood] = {}
    for hood in db.session.scalars(db.select(Neighbourhood).order_by(Neighbourhood.id)):
        for code in hood.buurtcodes or ():
            owners.setdefault(code, hood)
    return owners


# --- checks ------------------------------------------------------------------------------------------


def slugify(text: str, max_length: int = 60) -> str:
    """``Katwijk aan Zee`` -> ``katwijk-aan-zee``; ``'t Heen`` -> ``t-heen``."""
    return "-".join(_normal(text).split())[:max_length].strip("-")


def _check_slug(slug: str, name: str) -> str:
    if not _SLUG.fullmatch(slug or ""):
        raise NeighbourhoodRefused(
            f"'{slug or name}' is geen bruikbare korte naam voor in de adresbalk: gebruik kleine letters, cijfers "
            "en streepjes (bijvoorbeeld 'katwijk-aan-zee'), met --slug."
        )
    if slug in reserved_slugs():
        raise NeighbourhoodRefused(
            f"De korte naam '{slug}' gebruikt de site zelf (/{slug}); kies een andere met --slug, "
            f"bijvoorbeeld '{slug}-buurt'."
        )
    taken = db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug))
    if taken is not None:
        raise NeighbourhoodRefused(
            f"De korte naam '{slug}' is al van de buurt {taken.name}; kies een andere met --slug."
        )
    return slug


def _clean_text(value, field: str, max_length: int) -> str | None:
    text = (value or "").strip()
    if len(text) > max_length:
        raise NeighbourhoodRefused(f"{field} is te lang (hoogstens {max_length} tekens).")
    return text or None


def _check_email(value) -> str | None:
    email = _clean_text(value, "Het contactadres", 254)
    if email is not None and not _EMAIL.match(email):
        raise NeighbourhoodRefused(f"'{email}' is geen e-mailadres; geef een contactadres als naam@voorbeeld.nl.")
    return email.lower() if email else None


def _check_url(value) -> str | None:
    url = _clean_text(value, "De aanmeldlink", 300)
    if url is not None and not _URL.match(url):
        raise NeighbourhoodRefused(
            f"'{url}' is geen webadres; de aanmeldlink begint met https:// (bijvoorbeeld https://example.org/aanmelden)."
        )
    return url


def _check_routing(routing_only: bool, signup_url: str | None, contact_email: str | None) -> None:
    if routing_only and not (signup_url or contact_email):
        raise NeighbourhoodRefused(
            "Een buurt waarvan de groepen elders worden beheerd, heeft een eigen aanmeldlink (--signup-url) "
            "of een contactadres (--contact) nodig: daar verwijst haar pagina bewoners naar."
        )


def _check_name(value) -> str:
    name = _clean_text(value, "De naam", 120)
    if not name:
        raise NeighbourhoodRefused("Geef de buurt een naam (bijvoorbeeld 'Hoornes').")
    return name


def _check_capacity(capacity) -> int:
    if capacity is None:
        return current_app.config["DEFAULT_GROUP_CAPACITY"]
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise NeighbourhoodRefused(
            f"Kies een capaciteit van 1 tot en met {MAX_CAPACITY} leden per groep (het maximum van WhatsApp)."
        )
    return capacity


def _check_groups(groups) -> str | int:
    if isinstance(groups, str):
        value = groups.strip().lower()
        if value in ("one", "een", "één", "1"):
            return "one"
        if value in ("per-buurt", "per-area", "per-gebied"):
            return "per-buurt"
        if value.isdigit():
            groups = int(value)
    if isinstance(groups, int) and not isinstance(groups, bool):
        if 1 <= groups <= MAX_GROUPS:
            return "one" if groups == 1 else groups
        raise NeighbourhoodRefused(f"Kies 1 tot en met {MAX_GROUPS} groepen.")
    raise NeighbourhoodRefused(
        f"'{groups}' is geen indeling in groepen: kies 'one' (één groep), 'per-buurt' (een groep per CBS-buurt "
        "of per gebied uit het bestand) of een aantal groepen (bijvoorbeeld 3)."
    )


# --- planning the areas ------------------------------------------------------------------------------


@dataclass(slots=True)
class _PlannedArea:
    key: str
    name: str
    group_name: str
    group_slug: str
    geometry: object  # shapely, lon/lat
    households: int | None = None
    households_source: str | None = None


def _unique(names: list[str]) -> list[str]:
    """Names made distinct by a number where one repeats: Dorp, Dorp -> Dorp 1, Dorp 2."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    result = []
    for name in names:
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            result.append(f"{name} {seen[name]}")
        else:
            result.append(name)
    return result


def _unique_slugs(bases: list[str]) -> list[str]:
    result: list[str] = []
    for base in bases:
        base = (base or "groep")[:70]
        slug, n = base, 2
        while slug in result:
            slug, n = f"{base}-{n}", n + 1
        result.append(slug)
    return result


def _from_buurten(name: str, slug: str, buurten: list[CatalogueBuurt], groups: str | int) -> list[_PlannedArea]:
    geometries = {b.code: shape(b.geometry) for b in buurten}
    if groups == "one":
        regions = [[(b.code, geometries[b.code], True) for b in buurten]]
        labels = [name]
    elif groups == "per-buurt":
        regions = [[(b.code, geometries[b.code], True)] for b in buurten]
        labels = [b.name for b in buurten]
        if len(set(labels)) < len(labels):  # two buurten of the same name (Centrum): add the wijk
            labels = [f"{b.name} ({b.wijk})" if labels.count(b.name) > 1 else b.name for b in buurten]
    else:
        pieces = pieces_from([(b.code, geometries[b.code], b.households) for b in buurten])
        cut = cut_into(pieces, int(groups))
        regions = [[(p.code, p.geometry, p.whole) for p in region] for region in cut]
        names = {b.code: b.name for b in buurten}
        labels = []
        for region in regions:
            codes = {code for code, _, _ in region}
            labels.append(names[next(iter(codes))] if len(codes) == 1 else name)
        labels = _unique(labels)
    slugs = _unique_slugs([slugify(label, 70) for label in labels])
    if groups == "one":
        slugs = [slug]
    planned = []
    for label, group_slug, region in zip(labels, slugs, regions, strict=True):
        geometry = shapely.union_all([g for _, g, _ in region])
        planned.append(_PlannedArea(group_slug, label, f"{GROUP_PREFIX}{label}", group_slug, geometry))
    return planned


def _cbs_households(planned: list[_PlannedArea], buurten: list[CatalogueBuurt]) -> None:
    """Each area's CBS households: whole buurten as CBS counts them, parts by surface; the sum is CBS's."""
    from buurt.areas.households import largest_remainder

    known = [(b, to_rd_geometry(shape(b.geometry))) for b in buurten if b.households is not None]
    if not known:
        return
    raw, partial = [], []
    for area in planned:
        rd = to_rd_geometry(area.geometry)
        total, cut = 0.0, False
        for b, b_rd in known:
            if not rd.intersects(b_rd):
                continue
            share = float(shapely.intersection(rd, b_rd).area) / float(b_rd.area)
            if share * b.households < 0.05:
                continue
            total += b.households * share
            cut = cut or share < 0.999
        raw.append(total)
        partial.append(cut)
    counts = largest_remainder(raw, sum(b.households for b, _ in known))
    for area, n, cut in zip(planned, counts, partial, strict=True):
        area.households = n
        area.households_source = CBS_PART_SOURCE if cut else CBS_WHOLE_SOURCE


def _from_file(spec: NeighbourhoodSpec, groups: str | int) -> tuple[list[_PlannedArea], list]:
    from buurt.areas.files import read_area_file

    try:
        read = read_area_file(spec.boundary, max_bytes=50_000_000 if isinstance(spec.boundary, dict) else None)
    except AreaValidationError as error:
        reasons = " ".join(p.message for p in error.problems[:5])
        raise NeighbourhoodRefused(f"Het grensbestand is niet bruikbaar: {reasons}") from None
    features = read.features
    if not isinstance(groups, str) and groups != len(features):
        raise NeighbourhoodRefused(
            f"Bij een grensbestand wordt elk gebied een groep (--groups per-buurt, hier {len(features)}) of wordt "
            "alles één groep (--groups one); een ander aantal groepen kan daarna in de kaarteditor."
        )
    names = [f.name for f in features]
    if groups == "one":
        group_name = f"{GROUP_PREFIX}{spec.name.strip()}"
        slug = slugify(spec.name, 70) or "groep"
        return [_PlannedArea(f.key[:80], f.name[:120], group_name, slug, f.geometry) for f in features], features
    slugs = _unique_slugs([slugify(n, 70) for n in names])
    planned = [
        _PlannedArea(f.key[:80], f.name[:120], f"{GROUP_PREFIX}{f.name}"[:120], s, f.geometry)
        for f, s in zip(features, slugs, strict=True)
    ]
    return planned, features


def _file_households(planned: list[_PlannedArea], hood: Neighbourhood, features) -> None:
    from buurt.areas.households import household_figures

    figures = household_figures(hood, features, [])
    for area, figure in zip(planned, figures.per_area, strict=True):
        area.households, area.households_source = figure.households, figure.source


def _others_overlap(outline, exclude_id: int | None = None) -> list[tuple[Neighbourhood, float, object]]:
    """(neighbourhood, m², its current areas' union) for each other neighbourhood whose areas overlap ``outline``."""
    rows = db.session.execute(
        db.select(BoundaryGeneration.neighbourhood_id, Area.geometry)
        .join(Area, Area.generation_id == BoundaryGeneration.id)
        .where(BoundaryGeneration.is_current.is_(True))
    ).all()
    by_hood: dict[int, list] = {}
    for hood_id, geometry in rows:
        if hood_id != exclude_id:
            by_hood.setdefault(hood_id, []).append(shape(geometry))
    result = []
    for hood_id, shapes in by_hood.items():
        union = shapely.union_all(shapes)
        if not union.intersects(outline):
            continue
        overlap = area_m2(shapely.intersection(union, outline))
        if overlap > NOISE_M2:
            result.append((db.session.get(Neighbourhood, hood_id), overlap, union))
    return result


def _geojson(geometry) -> dict:
    return json.loads(json.dumps(mapping(geometry)))


# --- adding ------------------------------------------------------------------------------------------


def add_neighbourhood(spec: NeighbourhoodSpec, *, user_id: int | None = None) -> Neighbourhood:
    """Create the neighbourhood, its groups and generation 1 of its areas (one exact coverage), in one
    transaction; NeighbourhoodRefused (Dutch, nothing stored) when it cannot be done as asked."""
    try:
        return _add(spec, user_id)
    except Exception:
        db.session.rollback()  # nothing half-written: a refusal or a fault leaves the database as it was
        raise


def _add(spec: NeighbourhoodSpec, user_id: int | None) -> Neighbourhood:
    cfg = current_app.config
    name = _check_name(spec.name)
    slug = _check_slug((spec.slug or "").strip().lower() if spec.slug else slugify(name), name)
    capacity = _check_capacity(spec.capacity)
    contact_email = _check_email(spec.contact_email)
    signup_url = _check_url(spec.signup_url)
    _check_routing(bool(spec.routing_only), signup_url, contact_email)
    groups = _check_groups(spec.groups)
    terms = tuple(t for t in (spec.buurten or ()) if str(t or "").strip())
    if terms and spec.boundary is not None:
        raise NeighbourhoodRefused("Geef CBS-buurten óf een grensbestand, niet allebei.")
    if not terms and spec.boundary is None:
        raise NeighbourhoodRefused(
            "Geef de CBS-buurten van de nieuwe buurt (--buurt, bijvoorbeeld --buurt Hoornes-West) of een "
            "grensbestand (--file)."
        )
    tolerance = cfg["AREA_SNAP_TOLERANCE_M2"]

    buurten: list[CatalogueBuurt] = []
    features = None
    if terms:
        buurten = resolve_buurten(terms)
        owners = buurt_owners()
        taken = [(b, owners[b.code]) for b in buurten if b.code in owners]
        if taken:
            listed = "; ".join(f"{b.name} ({b.code}) hoort al bij {hood.name}" for b, hood in taken)
            raise NeighbourhoodRefused(
                f"{listed}. Een CBS-buurt hoort bij één buurt; laat deze weg of pas eerst de andere buurt aan."
            )
        if isinstance(groups, int) and groups > MAX_GROUPS:
            raise NeighbourhoodRefused(f"Kies 1 tot en met {MAX_GROUPS} groepen.")
        planned = _from_buurten(name, slug, buurten, groups)
        outline = shapely.union_all([shape(b.geometry) for b in buurten])
    else:
        planned, features = _from_file(spec, groups)
        outline = None

    # one exact coverage: overlaps and gaps up to the tolerance straightened, larger ones refused
    geometries = {a.key: a.geometry for a in planned}
    names = {a.key: a.name for a in planned}
    cleaned = clean_coverage(geometries, outline, tolerance_m2=tolerance, names=names)
    if cleaned.problems:
        reasons = " ".join(p.message for p in cleaned.problems[:3])
        raise NeighbourhoodRefused(f"De gebieden vormen geen nette indeling: {reasons}")
    geometries = dict(cleaned.geometries)
    outline = shapely.union_all(list(geometries.values()))

    # the other neighbourhoods' areas: more than the tolerance is a refusal; less is taken off ours
    overlaps = _others_overlap(outline)
    too_much = [(hood, m2) for hood, m2, _ in overlaps if m2 > tolerance]
    if too_much:
        listed = ", ".join(f"{hood.name} ({m2_text(m2)} m²)" for hood, m2 in too_much)
        raise NeighbourhoodRefused(
            f"De nieuwe buurt overlapt de gebieden van {listed}. Een adres hoort bij één buurt: kies andere "
            "buurten of leg de grens van het bestand op de grens van die buurt."
        )
    if overlaps:
        others = shapely.union_all([union for _, _, union in overlaps])
        geometries = {key: shapely.difference(g, others) for key, g in geometries.items()}
        cleaned = clean_coverage(geometries, shapely.difference(outline, others), tolerance_m2=tolerance, names=names)
        geometries = dict(cleaned.geometries)
        outline = shapely.union_all(list(geometries.values()))
    report = tiling_report(geometries, outline)
    if report["overlap_m2"] > NOISE_M2 or report["gap_m2"] > NOISE_M2 or report["invalid"]:
        raise NeighbourhoodRefused(
            "De gebieden van deze buurt sluiten niet precies op elkaar aan; er is niets opgeslagen. Probeer een "
            "andere indeling in groepen, of een grensbestand."
        )
    for area in planned:
        area.geometry = geometries[area.key]
        if area.geometry.is_empty or area_m2(area.geometry) < 1.0:
            raise NeighbourhoodRefused(
                f"Gebied '{area.name}' valt helemaal binnen een andere buurt; er is niets opgeslagen."
            )

    sort_order = (db.session.scalar(db.select(db.func.max(Neighbourhood.sort_order))) or 0) + 1
    hood = Neighbourhood(
        slug=slug,
        name=name,
        municipality=(spec.municipality or "").strip() or cfg["GEMEENTE_NAME"],
        contact_email=contact_email,
        outline=_geojson(outline),
        buurtcodes=[b.code for b in buurten] if buurten else None,
        routing_only=bool(spec.routing_only),
        signup_url=signup_url,
        sort_order=sort_order,
    )
    if buurten:
        _cbs_households(planned, buurten)
    else:
        from buurt.geo.polygons import AreaFeature

        shaped = [
            AreaFeature(a.key, a.name, a.geometry, dict(f.properties)) for a, f in zip(planned, features, strict=True)
        ]
        _file_households(planned, hood, shaped)
    known = [a.households for a in planned if a.households is not None]
    hood.households = sum(known) if known else None

    generation = BoundaryGeneration(
        neighbourhood=hood,
        number=1,
        is_current=True,
        activated_at=utcnow(),
        created_by_id=user_id,
        source=(CBS_GENERATION_SOURCE if buurten else (spec.source or "grensbestand"))[:200],
        note=(
            "CBS-buurten: " + ", ".join(f"{b.name} ({b.code})" for b in buurten)
            if buurten
            else f"Uit een grensbestand, {len(planned)} gebieden."
        ),
    )
    db.session.add_all([hood, generation])
    groups_by_slug: dict[str, Group] = {}
    for order, area in enumerate(planned):
        group = groups_by_slug.get(area.group_slug)
        if group is None:
            group = Group(
                neighbourhood=hood,
                slug=area.group_slug,
                name=area.group_name[:120],
                capacity=capacity,
                sort_order=len(groups_by_slug),
            )
            groups_by_slug[area.group_slug] = group
        db.session.add(
            Area(
                generation=generation,
                group=group,
                key=area.key,
                name=area.name[:120],
                geometry=_geojson(area.geometry),
                sort_order=order,
                households=area.households,
                households_source=area.households_source,
                area_m2=area_m2(area.geometry),
            )
        )
    db.session.flush()
    entry = audit.record(
        "neighbourhood.add",
        "neighbourhood",
        hood.id,
        groups=len(groups_by_slug),
        areas=len(planned),
        buurten=len(buurten),
        households=hood.households,
    )
    if user_id is not None:
        entry.user_id = user_id
    db.session.commit()
    log.info("neighbourhood %s added: %d groups, %d areas", hood.slug, len(groups_by_slug), len(planned))
    return hood


# --- changing ----------------------------------------------------------------------------------------


def update_neighbourhood(hood: Neighbourhood, *, user_id: int | None = None, **changes) -> Neighbourhood:
    """Change name, contact_email, routing_only, signup_url and/or sort_order; one audit row.

    NeighbourhoodRefused (Dutch, nothing stored) for an empty name, a bad e-mail or link, or a
    routing-only neighbourhood without a sign-up link or contact.
    """
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise TypeError(f"update_neighbourhood() cannot change {', '.join(unknown)}")
    try:
        values = {key: getattr(hood, key) for key in UPDATABLE}
        if "name" in changes:
            values["name"] = _check_name(changes["name"])
        if "contact_email" in changes:
            values["contact_email"] = _check_email(changes["contact_email"])
        if "signup_url" in changes:
            values["signup_url"] = _check_url(changes["signup_url"])
        if "routing_only" in changes:
            values["routing_only"] = bool(changes["routing_only"])
        if "sort_order" in changes:
            order = changes["sort_order"]
            if isinstance(order, bool) or not isinstance(order, int) or not -10_000 <= order <= 10_000:
                raise NeighbourhoodRefused("De volgorde is een heel getal (bijvoorbeeld 3).")
            values["sort_order"] = order
        _check_routing(values["routing_only"], values["signup_url"], values["contact_email"])
        changed = sorted(k for k, v in values.items() if getattr(hood, k) != v)
        for key in changed:
            setattr(hood, key, values[key])
        if changed:
            entry = audit.record("neighbourhood.update", "neighbourhood", hood.id, fields=changed)
            if user_id is not None:
                entry.user_id = user_id
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return hood


def update_group(group: Group, *, invite_link: str | None = None, capacity: int | None = None, user_id=None) -> Group:
    """Set a group's WhatsApp invite link ("" removes it) and/or capacity; one audit row."""
    try:
        changed = {}
        if invite_link is not None:
            link = invite_link.strip() or None
            if link is not None and not INVITE_LINK.match(link):
                raise NeighbourhoodRefused(
                    "Dit is geen WhatsApp-uitnodigingslink. Kopieer de link uit WhatsApp: https://chat.whatsapp.com/…"
                )
            group.invite_link = link
            changed["invite_link"] = link is not None
        if capacity is not None:
            group.capacity = _check_capacity(capacity)
            changed["capacity"] = group.capacity
        if changed:
            entry = audit.record("group.settings", "group", group.id, **changed)
            if user_id is not None:
                entry.user_id = user_id
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return group


def neighbourhood_summary(hood: Neighbourhood) -> dict:
    """Counts for the CLI and the admin list: groups, active members, households."""
    from buurt.models import Resident, ResidentStatus

    groups = [g for g in hood.groups if g.is_active]
    members = db.session.scalar(
        db.select(db.func.count(Resident.id))
        .join(Group, Resident.group_id == Group.id)
        .where(Group.neighbourhood_id == hood.id, Resident.status == ResidentStatus.ADDED)
    )
    return {"groups": len(groups), "members": members or 0, "households": hood.households}


__all__ = [
    "CatalogueBuurt",
    "NeighbourhoodRefused",
    "NeighbourhoodSpec",
    "add_neighbourhood",
    "buurt_owners",
    "cbs_catalogue",
    "neighbourhood_summary",
    "resolve_buurten",
    "slugify",
    "update_group",
    "update_neighbourhood",
]
