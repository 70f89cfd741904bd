"""The area file (GeoJSON): read it validated, write a generation as one, check the areas in use.

The format is the one `flask buurt areas export` writes and `areas import` (and the browser
upload) reads back: a FeatureCollection whose features carry ``naam``, ``groep`` and, when known,
``huishoudens``. Only activated generations are ever written; proposals (no number yet) are not.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from shapely.geometry import shape

from buurt.extensions import db
from buurt.geo.polygons import (
    AreaFeature,
    AreaProblem,
    AreaValidationError,
    check_tiling,
    load_json,
    parse_area_collection,
    to_feature_collection,
)
from buurt.models import BoundaryGeneration, Neighbourhood

KEY_PROPERTIES = ("key", "sleutel")


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


def _document(data: bytes | str | dict, max_bytes: int) -> Any:
    """JSON with feature ids filled in from a key property.

    AreaValidationError when the file is too large, nested too deep or no JSON (load_json checks
    size and depth before parsing: json.loads itself recurses per level).
    """
    document = json.loads(json.dumps(data)) if isinstance(data, dict) else load_json(data, max_bytes)
    if isinstance(document, dict):
        features = document.get("features") if document.get("type") == "FeatureCollection" else [document]
        for feature in features if isinstance(features, list) else []:
            if not isinstance(feature, dict):
                continue
            props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            if feature.get("id") in (None, ""):
                for name in KEY_PROPERTIES:
                    if props.get(name):
                        feature["id"] = str(props[name])
                        break
            if "naam" not in props and props.get("name"):
                props["naam"] = props["name"]
    return document


def read_areas(data: bytes | str | dict, *, max_bytes: int | None = None) -> list[AreaFeature]:
    """Validated areas from GeoJSON; AreaValidationError (Dutch problems) when unusable.

    Size, nesting, number of areas and vertices are capped (AREA_UPLOAD_MAX_BYTES, AREA_MAX_FEATURES,
    AREA_MAX_VERTICES, AREA_MAX_VERTICES_PER_AREA) before any geometry is built, so no file keeps a
    worker busy for long.
    """
    cfg = current_app.config
    if max_bytes is None:
        max_bytes = cfg["AREA_UPLOAD_MAX_BYTES"]
    return parse_area_collection(
        _document(data, max_bytes),
        name_property="naam",
        max_bytes=max_bytes,
        max_features=cfg["AREA_MAX_FEATURES"],
        max_vertices=cfg["AREA_MAX_VERTICES"],
        max_vertices_per_area=cfg["AREA_MAX_VERTICES_PER_AREA"],
    )


# --- writing and checking --------------------------------------------------------------------------


def generation_collection(generation: BoundaryGeneration) -> dict:
    """An activated generation as GeoJSON that `areas import` reads back to the same groups."""
    features = []
    for area in generation.areas:
        props: dict[str, Any] = {"groep": area.group.slug, "groepsnaam": area.group.name}
        if area.households is not None:
            props["huishoudens"] = area.households
            props["huishoudens_bron"] = area.households_source or "bestand"
        features.append(AreaFeature(key=area.key, name=area.name, geometry=shape(area.geometry), properties=props))
    collection = to_feature_collection(features)
    collection["buurt"] = generation.neighbourhood.slug
    collection["generatie"] = generation.number
    collection["bron"] = "CBS / Kadaster, CC BY 4.0 (bewerkt)"
    return collection


def current_collection(hood: Neighbourhood | None = None) -> dict:
    generation = current_generation(required_neighbourhood(hood))
    if generation is None:
        return {"type": "FeatureCollection", "features": []}
    return generation_collection(generation)


def check_current(hood: Neighbourhood | None = None) -> list[AreaProblem]:
    """Problems with the areas in use now (overlaps, gaps)."""
    hood = required_neighbourhood(hood)
    try:
        features = read_areas(current_collection(hood), max_bytes=10**9)
    except AreaValidationError as error:
        return error.problems
    outline = shape(hood.outline) if hood.outline else None
    return check_tiling(features, outline, gap_tolerance_m2=current_app.config["AREA_GAP_TOLERANCE_M2"])
