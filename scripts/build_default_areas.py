"""Build buurt/data/rijnsoever_areas.geojson: the 5 indicative group areas of Rijnsoever.

The 4 CBS buurten of Rijnsoever become 5 areas by cutting the largest buurt,
Rijnsoever-Midden (1,105 households), in two halves of equal surface with a
straight line across its long axis. Households of the two halves are estimated
in proportion to surface. Run once; the output is committed.

    .venv/bin/python scripts/build_default_areas.py
"""

import json
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, mapping, shape
from shapely.ops import split

DATA = Path(__file__).resolve().parent.parent / "buurt" / "data"
_TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)
_TO_WGS = Transformer.from_crs(28992, 4326, always_xy=True)


def _project(transformer):
    def apply(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply


def transform(tf, geom):
    return shapely.transform(geom, _project(tf))


TO_RD, TO_WGS = _TO_RD, _TO_WGS

GROUPS = {
    "BU05370101": ("rijnsoever-west", "BuurtAlarm Rijnsoever-West"),
    "BU05370102": ("rijnsoever-oost", "BuurtAlarm Rijnsoever-Oost"),
    "BU05370105": ("rijnsoever-noord", "BuurtAlarm Rijnsoever-Noord"),
}


def split_in_halves(poly_wgs):
    """Cut a polygon in two parts of equal surface, across its long axis (in RD New)."""
    poly = transform(TO_RD, poly_wgs)
    rect = poly.minimum_rotated_rectangle
    corners = list(rect.exterior.coords)[:4]
    edges = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
    a, b = max(edges, key=lambda e: LineString(e).length)
    # long edge a->b; cut lines are perpendicular to it
    ux, uy = b[0] - a[0], b[1] - a[1]
    length = (ux**2 + uy**2) ** 0.5
    ux, uy = ux / length, uy / length
    px, py = -uy * 5000, ux * 5000
    lo, hi = 0.0, length
    for _ in range(60):
        t = (lo + hi) / 2
        mx, my = a[0] + ux * t, a[1] + uy * t
        parts = split(poly, LineString([(mx - px, my - py), (mx + px, my + py)])).geoms
        first = sum(p.area for p in parts if _side(p, a, ux, uy) < t)
        if first < poly.area / 2:
            lo = t
        else:
            hi = t
    parts = sorted(parts, key=lambda p: -p.centroid.y)  # north first
    return [transform(TO_WGS, p) for p in parts]


def _side(p, a, ux, uy):
    c = p.representative_point()
    return (c.x - a[0]) * ux + (c.y - a[1]) * uy


def main():
    buurten = json.loads((DATA / "katwijk_buurten_2024.geojson").read_text())["features"]
    features = []
    for f in buurten:
        props = f["properties"]
        if not props["in_rijnsoever"]:
            continue
        geom = shape(f["geometry"])
        code, hh = props["buurtcode"], props["huishoudens_2024"]
        if code in GROUPS:
            key, name = GROUPS[code]
            features.append((key, name, code, geom, hh, "CBS"))
            continue
        north, south = split_in_halves(geom)
        total = north.area + south.area
        hh_north = round(hh * north.area / total)
        features.append(
            (
                "rijnsoever-midden-noord",
                "BuurtAlarm Rijnsoever-Midden Noord",
                code,
                north,
                hh_north,
                "geschat naar oppervlakte",
            )
        )
        features.append(
            (
                "rijnsoever-midden-zuid",
                "BuurtAlarm Rijnsoever-Midden Zuid",
                code,
                south,
                hh - hh_north,
                "geschat naar oppervlakte",
            )
        )
    order = [
        "rijnsoever-west",
        "rijnsoever-midden-noord",
        "rijnsoever-midden-zuid",
        "rijnsoever-noord",
        "rijnsoever-oost",
    ]
    features.sort(key=lambda t: order.index(t[0]))
    out = {
        "type": "FeatureCollection",
        "metadata": {
            "source": "CBS / Kadaster, Wijk- en buurtkaart 2024 (gegeneraliseerd), CC BY 4.0",
            "note": "Indicatieve groepsgebieden: de 4 CBS-buurten van Rijnsoever, Rijnsoever-Midden "
            "in tweeen gedeeld. Beheerders vervangen ze door hun eigen gebieden.",
        },
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "key": key,
                    "naam": name,
                    "buurtcode": code,
                    "huishoudens": hh,
                    "huishoudens_bron": src,
                },
                "geometry": mapping(geom),
            }
            for key, name, code, geom, hh, src in features
        ],
    }
    (DATA / "rijnsoever_areas.geojson").write_text(json.dumps(out, indent=1) + "\n")
    u = shapely.union_all([shape(f["geometry"]) for f in out["features"]])
    print(len(out["features"]), "areas; union area RD m2:", round(transform(TO_RD, u).area))


if __name__ == "__main__":
    main()
