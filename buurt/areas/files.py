"""The area file (GeoJSON): read it validated, write a generation as one, check the areas in use.

The format is the one `flask buurt areas export` writes and `areas import` (and the browser
upload) reads back: a FeatureCollection whose features carry ``naam``, ``groep`` and, when known,
``huishoudens``. Only activated generations are ever written; proposals (no number yet) are not.
Real boundary files are read too: CBS / PDOK files in RD New (reprojected, see
``buurt.geo.polygons.source_crs``) whose areas are named ``buurtnaam``/``wijknaam``/``statnaam``
and keyed ``buurtcode``/``wijkcode``/``statcode``; the coordinator may choose other properties
(:func:`property_options` lists the usable ones).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import current_app
from shapely.geometry import shape

from buurt.extensions import db
from buurt.geo.polygons import (
    AreaFeature,
    AreaProblem,
    AreaValidationError,
    SourceCrs,
    check_tiling,
    find_overlaps,
    load_json,
    parse_area_collection,
    source_crs,
    to_feature_collection,
)
from buurt.geo.topology import GRID_DEG
from buurt.models import BoundaryGeneration, Neighbourhood


def required_neighbourhood(hood: Neighbourhood | None = None) -> Neighbourhood:
    """``hood``, or the default neighbourhood; AreaValidationError when `flask buurt init` has not run."""
    if hood is not None:
        return hood
    from buurt.areas.services import default_neighbourhood

    found = default_neighbourhood()
    if found is None:
        raise AreaValidationError(
            [AreaProblem("no_neighbourhood", "Er is nog geen buurt. Draai eerst `flask buurt init`.")]
        )
    return found


def current_generation(hood: Neighbourhood) -> BoundaryGeneration | None:
    """The generation in use for ``hood`` (never a proposal: a proposal is not current)."""
    return db.session.scalar(db.select(BoundaryGeneration).filter_by(neighbourhood_id=hood.id, is_current=True))


# --- reading ---------------------------------------------------------------------------------------

#: Name properties tried in this order when the coordinator chose none: buurt's own export, then
#: English, then the CBS wijk- en buurtkaart (buurtnaam/wijknaam; statnaam in cartomap's files).
NAME_PROPERTIES = ("naam", "name", "buurtnaam", "wijknaam", "statnaam")
#: Key properties tried in this order, then the feature's own ``id`` (FEATURE_ID).
KEY_PROPERTIES = ("key", "sleutel", "buurtcode", "wijkcode", "statcode")
#: The key choice "the feature's ``id`` member" (no property can be called this: it starts with '@').
FEATURE_ID = "@id"
#: Property names longer than this, or more than MAX_LISTED of them, are not offered as a choice.
MAX_PROPERTY_NAME = 60
MAX_LISTED = 40


@dataclass(frozen=True, slots=True)
class PropertyOptions:
    """Which properties of a file can name or key its areas (present on every feature)."""

    names: tuple[str, ...]  # a non-empty text or number on every feature, mostly distinct
    keys: tuple[str, ...]  # a distinct non-empty text or number on every feature (FEATURE_ID: the ids)

    @property
    def default_name(self) -> str | None:
        return next((p for p in NAME_PROPERTIES if p in self.names), None)

    @property
    def default_key(self) -> str | None:
        found = next((p for p in KEY_PROPERTIES if p in self.keys), None)
        return found or (FEATURE_ID if FEATURE_ID in self.keys else None)


@dataclass(frozen=True, slots=True)
class AreaFile:
    """A read area file: its areas (WGS84), the system its coordinates were in, and the properties used."""

    features: list[AreaFeature]
    crs: SourceCrs
    name_property: str
    key_property: str | None  # None: the name is the key
    options: PropertyOptions


def _value(raw: Any) -> str:
    """A property value usable as a name or key: text or a number (not a bool, list or object), else ''."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return ""
    return str(raw).strip()[:120]


def _raw_features(document: Any) -> list[dict]:
    if not isinstance(document, dict):
        return []
    features = document.get("features") if document.get("type") == "FeatureCollection" else [document]
    return [f for f in features if isinstance(f, dict)] if isinstance(features, list) else []


def _properties(feature: dict) -> dict:
    props = feature.get("properties")
    return props if isinstance(props, dict) else {}


def property_options(document: Any) -> PropertyOptions:
    """The properties (and the feature ids) that can name or key the areas of a parsed GeoJSON document."""
    features = _raw_features(document)
    if not features:
        return PropertyOptions((), ())
    columns: dict[str, list[str]] = {}
    first = _properties(features[0])
    for name in list(first)[:MAX_LISTED]:
        if isinstance(name, str) and len(name) <= MAX_PROPERTY_NAME and not name.startswith("@"):
            columns[name] = [_value(_properties(f).get(name)) for f in features]
    columns[FEATURE_ID] = [_value(f.get("id")) for f in features]
    names, keys = [], []
    for name, values in columns.items():
        if not all(values):
            continue
        distinct = len(set(values))
        if distinct == len(values):
            keys.append(name)
        if name != FEATURE_ID and 2 * distinct >= len(values):
            names.append(name)
    return PropertyOptions(tuple(names), tuple(keys))


def _choice_problem(code: str, message: str) -> AreaValidationError:
    return AreaValidationError([AreaProblem(code, message)])


def _listed(options: tuple[str, ...]) -> str:
    shown = [("id (van het object)" if o == FEATURE_ID else o) for o in options]
    return ", ".join(shown) if shown else "geen"


def _check_choice(document: Any, options: PropertyOptions, name_property: str | None, key_property: str | None):
    """(name property, key property) to use: the coordinator's, else the defaults; AreaValidationError when unusable."""
    features = _raw_features(document)
    if name_property is None:
        name_property = options.default_name or "naam"  # parse_area_collection then says which name is missing
    elif name_property not in options.names:
        missing = sum(1 for f in features if not _value(_properties(f).get(name_property)))
        why = (
            f"{missing} van de {len(features)} gebieden hebben geen eigenschap '{name_property}'"
            if missing
            else f"de eigenschap '{name_property}' heeft bij te veel gebieden dezelfde waarde"
        )
        raise _choice_problem(
            "unknown_property",
            f"De naam kan niet uit '{name_property}' komen: {why}. Kies een van: {_listed(options.names)}.",
        )
    if key_property is None:
        key_property = options.default_key
    elif key_property not in options.keys:
        values = [
            _value(f.get("id") if key_property == FEATURE_ID else _properties(f).get(key_property)) for f in features
        ]
        twice = next((v for v, n in Counter(values).items() if v and n > 1), None)
        shown = "id" if key_property == FEATURE_ID else key_property
        why = (
            f"de waarde '{twice}' komt meer dan eens voor"
            if twice is not None
            else f"{sum(1 for v in values if not v)} van de {len(values)} gebieden hebben er geen waarde voor"
        )
        raise _choice_problem(
            "unknown_key_property",
            f"De sleutel kan niet uit '{shown}' komen: {why}. Een sleutel moet bij elk gebied anders zijn; "
            f"kies een van: {_listed(options.keys)}.",
        )
    return name_property, key_property


def _keyed(document: Any, key_property: str | None) -> Any:
    """A copy of the document whose feature ids are the chosen keys (parse_area_collection keys on ``id``)."""
    if key_property == FEATURE_ID:
        return document
    for feature in _raw_features(document):
        if key_property is None:
            feature.pop("id", None)  # the name is the key
        else:
            feature["id"] = _value(_properties(feature).get(key_property))
    return document


def read_area_file(
    data: bytes | str | dict,
    *,
    name_property: str | None = None,
    key_property: str | None = None,
    max_bytes: int | None = None,
    unique_names: bool = True,
) -> AreaFile:
    """Validated areas from GeoJSON (WGS84 or RD New), named and keyed by the chosen (or default) properties.

    AreaValidationError (Dutch problems) when unusable. Size, nesting, number of areas and vertices
    are capped (AREA_UPLOAD_MAX_BYTES, AREA_MAX_FEATURES, AREA_MAX_VERTICES, AREA_MAX_VERTICES_PER_AREA)
    before any geometry is built, so no file keeps a worker busy for long. Overlaps between the
    areas are no reason to refuse the file here: the import cleans them (small ones resolved, large
    ones shown on a map, ``buurt.areas.cleaning``); :func:`check_current` reports them for the areas in use.
    """
    cfg = current_app.config
    if max_bytes is None:
        max_bytes = cfg["AREA_UPLOAD_MAX_BYTES"]
    document = json.loads(json.dumps(data)) if isinstance(data, dict) else load_json(data, max_bytes)
    options = property_options(document)
    name_property, key_property = _check_choice(document, options, name_property, key_property)
    crs = source_crs(document)
    features = parse_area_collection(
        _keyed(document, key_property),
        name_property=name_property,
        max_bytes=max_bytes,
        max_features=cfg["AREA_MAX_FEATURES"],
        max_vertices=cfg["AREA_MAX_VERTICES"],
        max_vertices_per_area=cfg["AREA_MAX_VERTICES_PER_AREA"],
        crs=crs,
        unique_names=unique_names,
        overlap_tolerance_m2=None,
    )
    return AreaFile(features, crs, name_property, key_property, options)


def read_areas(data: bytes | str | dict, *, max_bytes: int | None = None) -> list[AreaFeature]:
    """Validated areas from GeoJSON with the default name and key properties (see read_area_file)."""
    return read_area_file(data, max_bytes=max_bytes).features


# --- writing and checking --------------------------------------------------------------------------


#: Decimals of an exported generation: those of the grid the areas are stored on
#: (buurt.geo.topology.GRID_DEG), so an untouched export reads back to the very same areas. With 6
#: (about 0.1 m) a vertex on a neighbour's edge or on the outline moved up to 5 cm off it, and a
#: re-upload of an untouched export had slivers of several m² to straighten.
EXPORT_DECIMALS = round(-math.log10(GRID_DEG))


def generation_collection(generation: BoundaryGeneration) -> dict:
    """An activated generation as GeoJSON that `areas import` reads back to the same groups."""
    features = []
    for area in generation.areas:
        props: dict[str, Any] = {"groep": area.group.slug, "groepsnaam": area.group.name}
        if area.households is not None:
            props["huishoudens"] = area.households
            props["huishoudens_bron"] = area.households_source or "bestand"
        features.append(AreaFeature(key=area.key, name=area.name, geometry=shape(area.geometry), properties=props))
    collection = to_feature_collection(features, decimals=EXPORT_DECIMALS)
    collection["buurt"] = generation.neighbourhood.slug
    collection["generatie"] = generation.number
    collection["bron"] = "CBS / Kadaster, CC BY 4.0 (bewerkt)"
    return collection


def current_collection(hood: Neighbourhood | None = None) -> dict:
    generation = current_generation(required_neighbourhood(hood))
    if generation is None:
        return {"type": "FeatureCollection", "features": []}
    return generation_collection(generation)


#: Overlaps of the areas in use above this are reported by :func:`check_current` (m²): areas are
#: cleaned on import (one exact coverage), so an overlap larger than rounding is a fault.
CURRENT_OVERLAP_TOLERANCE_M2 = 1.0


def check_current(hood: Neighbourhood | None = None) -> list[AreaProblem]:
    """Problems with the areas in use now: overlaps above CURRENT_OVERLAP_TOLERANCE_M2, then gaps,
    uncovered parts and parts outside the outline above AREA_GAP_TOLERANCE_M2."""
    hood = required_neighbourhood(hood)
    try:
        features = read_areas(current_collection(hood), max_bytes=10**9)
    except AreaValidationError as error:
        return error.problems
    outline = shape(hood.outline) if hood.outline else None
    return find_overlaps(features, tolerance_m2=CURRENT_OVERLAP_TOLERANCE_M2) + check_tiling(
        features, outline, gap_tolerance_m2=current_app.config["AREA_GAP_TOLERANCE_M2"]
    )
