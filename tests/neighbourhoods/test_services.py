"""buurt.neighbourhoods.services: the CBS catalogue, resolving buurten, adding and changing neighbourhoods.

Every area set is measured as a tiling (buurt.geo.topology.tiling_report): no overlap, no gap, union =
the stored outline. Refusals are checked to leave every table as it was (row counts).
"""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import mapping, shape

from buurt.areas.services import current_areas, place
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.geo.topology import tiling_report
from buurt.models import Area, AuditEntry, BoundaryGeneration, Group, Neighbourhood
from buurt.neighbourhoods.services import (
    CBS_PART_SOURCE,
    CBS_WHOLE_SOURCE,
    NeighbourhoodRefused,
    NeighbourhoodSpec,
    add_neighbourhood,
    cbs_catalogue,
    resolve_buurten,
    update_neighbourhood,
)

HOORNES_WEST, HOORNES_OOST = "BU05370103", "BU05370104"


def _catalogue(code: str):
    return next(b for b in cbs_catalogue() if b.code == code)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
        for model in (Neighbourhood, Group, BoundaryGeneration, Area, AuditEntry)
    }


def _current(hood: Neighbourhood) -> BoundaryGeneration:
    return db.session.scalar(db.select(BoundaryGeneration).filter_by(neighbourhood_id=hood.id, is_current=True))


def _assert_exact_tiling(hood: Neighbourhood) -> dict[str, shapely.Geometry]:
    """The current areas tile the stored outline: pairwise overlap 0, no gap, nothing outside."""
    generation = _current(hood)
    geometries = {a.key: shape(a.geometry) for a in generation.areas}
    outline = shape(hood.outline)
    report = tiling_report(geometries, outline)
    assert report["invalid"] == 0
    assert report["overlap_m2"] == pytest.approx(0, abs=1e-6)
    assert report["gap_m2"] <= 0.01
    assert report["outside_m2"] <= 0.01
    union = shapely.union_all(list(geometries.values()))
    assert area_m2(shapely.symmetric_difference(union, outline)) <= 0.01
    for area in generation.areas:
        assert area.area_m2 == pytest.approx(area_m2(shape(area.geometry)), rel=1e-9)
    return geometries


# --- catalogue and resolving ---------------------------------------------------------------------------


def test_catalogue_is_the_42_cbs_buurten_in_code_order(app):
    catalogue = cbs_catalogue()
    assert len(catalogue) == 42
    assert [b.code for b in catalogue] == sorted(b.code for b in catalogue)
    west = _catalogue(HOORNES_WEST)
    assert (west.name, west.wijk, west.households) == ("Hoornes-West", "Katwijk Noord", 1670)
    assert _catalogue("BU05370201").households is None  # 't Heen-Zuid: CBS keeps it secret
    assert shape(west.geometry).is_valid


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("BU05370103", HOORNES_WEST),
        ("bu05370104", HOORNES_OOST),
        ("05370104", HOORNES_OOST),
        ("hoornes west", HOORNES_WEST),
        ("HOORNES-OOST", HOORNES_OOST),
        ("Hóórnes-Wést", HOORNES_WEST),  # accents ignored
        ("\u2019t Heen-Noord", "BU05370202"),  # a typographic apostrophe
        ("Centrum (Rijnsburg)", "BU05370700"),  # a name two buurten share, with its wijk
        ("Katwijk aan Zee Centrum", "BU05370504"),
        ("Dôrp, Valkenburg", "BU05370800"),
    ],
)
def test_resolve_by_code_or_name(app, term, code):
    assert [b.code for b in resolve_buurten([term])] == [code]


def test_resolve_keeps_order_and_each_buurt_once(app):
    found = resolve_buurten(["Hoornes-Oost", "BU05370103", "hoornes oost", " "])
    assert [b.code for b in found] == [HOORNES_OOST, HOORNES_WEST]


def test_resolve_refuses_ambiguous_and_unknown_with_candidates(app):
    with pytest.raises(NeighbourhoodRefused) as ambiguous:
        resolve_buurten(["Centrum"])
    assert "BU05370504" in ambiguous.value.message
    assert "BU05370700" in ambiguous.value.message
    assert "meer dan één" in ambiguous.value.message
    with pytest.raises(NeighbourhoodRefused) as unknown:
        resolve_buurten(["Hornes-West"])
    assert "geen CBS-buurt" in unknown.value.message
    assert "Hoornes-West (BU05370103" in unknown.value.message
    with pytest.raises(NeighbourhoodRefused) as foreign:
        resolve_buurten(["BU03630000"])  # Amsterdam
    assert "hoort niet bij de gemeente Katwijk" in foreign.value.message


# --- adding from CBS buurten ---------------------------------------------------------------------------


def test_add_per_buurt_by_name_and_code(app, rijnsoever):
    before = _counts()
    hood = add_neighbourhood(
        NeighbourhoodSpec(
            "Hoornes", buurten=("Hoornes-West", HOORNES_OOST), groups="per-buurt", contact_email="Hoornes@Example.org"
        ),
        user_id=None,
    )
    assert (hood.slug, hood.name, hood.municipality) == ("hoornes", "Hoornes", "Katwijk")
    assert hood.buurtcodes == [HOORNES_WEST, HOORNES_OOST]
    assert hood.households == 1670 + 945
    assert hood.contact_email == "hoornes@example.org"
    assert hood.sort_order == rijnsoever.sort_order + 1
    assert [(g.name, g.slug, g.capacity) for g in hood.groups] == [
        ("BuurtAlarm Hoornes-West", "hoornes-west", 256),
        ("BuurtAlarm Hoornes-Oost", "hoornes-oost", 256),
    ]
    generation = _current(hood)
    assert generation.number == 1
    assert generation.activated_at is not None
    assert [(a.households, a.households_source) for a in generation.areas] == [
        (1670, CBS_WHOLE_SOURCE),
        (945, CBS_WHOLE_SOURCE),
    ]
    geometries = _assert_exact_tiling(hood)
    # the outline is the union of the two CBS buurten
    cbs = shapely.union_all([shape(_catalogue(c).geometry) for c in (HOORNES_WEST, HOORNES_OOST)])
    assert area_m2(shapely.symmetric_difference(shape(hood.outline), cbs)) <= 0.01
    # no overlap with Rijnsoever's areas either
    rijnsoever_union = shapely.union_all([shape(a.geometry) for a in _current(rijnsoever).areas])
    assert area_m2(shapely.intersection(rijnsoever_union, shapely.union_all(list(geometries.values())))) <= 0.01
    after = _counts()
    assert after["Neighbourhood"] == before["Neighbourhood"] + 1
    assert after["Group"] == before["Group"] + 2
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="neighbourhood.add"))
    assert entry.target_id == hood.id
    assert entry.details["groups"] == 2


def test_lookup_right_after_adding_places_into_the_new_group(app, rijnsoever):
    inside = shape(_catalogue(HOORNES_OOST).geometry).representative_point()
    current_areas()  # the cache holds Rijnsoever only
    assert place(inside.y, inside.x).area is None
    hood = add_neighbourhood(NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West", "Hoornes-Oost"), groups="per-buurt"))
    placed = place(inside.y, inside.x)
    assert placed.area is not None
    assert placed.area.neighbourhood_id == hood.id
    assert placed.area.group_name == "BuurtAlarm Hoornes-Oost"


@pytest.mark.parametrize(
    ("buurten", "n"),
    [
        (("Hoornes-West",), 2),  # one buurt, cut by a straight line
        (("Hoornes-West", "Hoornes-Oost"), 3),  # Oost whole, West in two
        (("BU05370800", "BU05370801", "BU05370802"), 4),  # Valkenburg
    ],
)
def test_add_n_groups_tiles_exactly_with_balanced_cbs_households(app, buurten, n):
    hood = add_neighbourhood(NeighbourhoodSpec("Proefbuurt", slug="proef", buurten=buurten, groups=n, capacity=80))
    assert len(hood.groups) == n
    assert len({g.slug for g in hood.groups}) == n
    assert len({g.name for g in hood.groups}) == n
    assert all(g.capacity == 80 and g.name.startswith("BuurtAlarm ") for g in hood.groups)
    generation = _current(hood)
    assert len(generation.areas) == n
    _assert_exact_tiling(hood)
    cbs_total = sum(b.households for b in resolve_buurten(buurten))
    households = [a.households for a in generation.areas]
    assert sum(households) == cbs_total == hood.households
    ideal = cbs_total / n
    assert max(abs(h - ideal) for h in households) <= 0.25 * ideal, households
    assert CBS_PART_SOURCE in {a.households_source for a in generation.areas}


def test_add_one_group_for_several_buurten(app):
    hood = add_neighbourhood(NeighbourhoodSpec("Katwijk Noord-Oost", buurten=("Hoornes-West", "Hoornes-Oost")))
    assert hood.slug == "katwijk-noord-oost"
    assert [(g.name, g.slug) for g in hood.groups] == [("BuurtAlarm Katwijk Noord-Oost", "katwijk-noord-oost")]
    (area,) = _current(hood).areas
    assert area.households == 2615
    assert area.households_source == CBS_WHOLE_SOURCE
    _assert_exact_tiling(hood)


def test_routing_only_neighbourhood(app):
    hood = add_neighbourhood(
        NeighbourhoodSpec(
            "Valkenburg",
            buurten=("Dorp (Valkenburg)",),
            routing_only=True,
            signup_url="https://example.org/valkenburg-aanmelden",
        )
    )
    assert hood.routing_only
    assert hood.signup_url == "https://example.org/valkenburg-aanmelden"


# --- refusals: a Dutch reason, nothing stored ------------------------------------------------------------


def _file(*codes: str, shift_m: float = 0.0) -> dict:
    features = []
    for code in codes:
        b = _catalogue(code)
        geometry = shape(b.geometry)
        if shift_m:
            geometry = shapely.affinity.translate(geometry, xoff=shift_m / 68_000)
        features.append({"type": "Feature", "properties": {"naam": b.name}, "geometry": mapping(geometry)})
    return json.loads(json.dumps({"type": "FeatureCollection", "features": features}))


REFUSALS = [
    (NeighbourhoodSpec("Rijnsoever-West", slug="rw", buurten=("Rijnsoever-West",)), "hoort al bij Rijnsoever"),
    (NeighbourhoodSpec("Beheer", buurten=("Hoornes-West",)), "gebruikt de site zelf"),
    (NeighbourhoodSpec("Welke groep", buurten=("Hoornes-West",)), "gebruikt de site zelf"),
    (NeighbourhoodSpec("Hoornes", slug="rijnsoever", buurten=("Hoornes-West",)), "al van de buurt Rijnsoever"),
    (NeighbourhoodSpec("Hoornes", slug="Hoornes West!", buurten=("Hoornes-West",)), "kleine letters"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), capacity=0), "capaciteit"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), capacity=5000), "capaciteit"),
    (NeighbourhoodSpec("  ", buurten=("Hoornes-West",)), "naam"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), routing_only=True), "aanmeldlink"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), contact_email="geen-adres"), "geen e-mailadres"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), signup_url="javascript:alert(1)"), "geen webadres"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), groups="veel"), "indeling in groepen"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), groups=0), "groepen"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hornes",)), "geen CBS-buurt"),
    (NeighbourhoodSpec("Centrum", buurten=("Centrum",)), "meer dan één"),
    (NeighbourhoodSpec("Hoornes"), "Geef de CBS-buurten"),
    (NeighbourhoodSpec("Hoornes", buurten=("Hoornes-West",), boundary=_file(HOORNES_WEST)), "niet allebei"),
    (NeighbourhoodSpec("Hoornes", boundary={"type": "Point", "coordinates": [4.4, 52.2]}), "niet bruikbaar"),
    (NeighbourhoodSpec("Hoornes", boundary=_file(HOORNES_WEST, HOORNES_OOST), groups=3), "grensbestand"),
    # a file over Rijnsoever's areas: refused by surface, naming Rijnsoever and the m²
    (NeighbourhoodSpec("Rijnsoever bis", boundary=_file("BU05370101")), "overlapt de gebieden van Rijnsoever ("),
    # Hoornes-West shifted 60 m east, over Rijnsoever's edge
    (NeighbourhoodSpec("Scheef", boundary=_file(HOORNES_WEST, shift_m=60)), "overlapt de gebieden van Rijnsoever"),
]


@pytest.mark.parametrize(("spec", "reason"), REFUSALS, ids=[f"{i}-{r[:20]}" for i, (_, r) in enumerate(REFUSALS)])
def test_refusals_store_nothing(app, rijnsoever, spec, reason):
    before = _counts()
    with pytest.raises(NeighbourhoodRefused) as refused:
        add_neighbourhood(spec)
    assert reason in refused.value.message
    db.session.expire_all()
    assert _counts() == before


def test_overlap_refused_by_surface_when_buurtcodes_are_not_recorded(app, rijnsoever):
    rijnsoever.buurtcodes = None  # a neighbourhood made from its own file: only its areas can tell
    db.session.commit()
    before = _counts()
    with pytest.raises(NeighbourhoodRefused) as refused:
        add_neighbourhood(NeighbourhoodSpec("Rijnsoever-West", slug="rw", buurten=("Rijnsoever-West",)))
    assert "overlapt de gebieden van Rijnsoever (" in refused.value.message
    assert "m²" in refused.value.message
    assert _counts() == before


def test_buurt_taken_by_a_second_neighbourhood_names_it(app, hoornes):
    with pytest.raises(NeighbourhoodRefused) as refused:
        add_neighbourhood(NeighbourhoodSpec("Noord", buurten=("Hoornes-Oost", "Rijnsoever-Noord")))
    assert "Hoornes-Oost (BU05370104) hoort al bij Hoornes" in refused.value.message
    assert "Rijnsoever-Noord (BU05370105) hoort al bij Rijnsoever" in refused.value.message


# --- from a boundary file --------------------------------------------------------------------------------


def test_add_from_a_boundary_file_one_group_per_feature(app):
    hood = add_neighbourhood(
        NeighbourhoodSpec("Hoornes", boundary=_file(HOORNES_WEST, HOORNES_OOST), groups="per-buurt", source="h.geojson")
    )
    assert hood.buurtcodes is None
    assert [g.name for g in hood.groups] == ["BuurtAlarm Hoornes-West", "BuurtAlarm Hoornes-Oost"]
    generation = _current(hood)
    assert generation.source == "h.geojson"
    assert [a.households for a in generation.areas] == [1670, 945]  # CBS by surface: the buurten themselves
    assert hood.households == 2615
    _assert_exact_tiling(hood)


def test_add_from_a_boundary_file_as_one_group(app):
    hood = add_neighbourhood(NeighbourhoodSpec("Hoornes", boundary=_file(HOORNES_WEST, HOORNES_OOST)))
    (group,) = hood.groups
    assert group.name == "BuurtAlarm Hoornes"
    assert len(_current(hood).areas) == 2
    assert {a.group_id for a in _current(hood).areas} == {group.id}
    _assert_exact_tiling(hood)


def test_small_overlap_with_a_neighbour_is_taken_off_the_new_areas(app, rijnsoever):
    # Hoornes-West 5 cm east: a strip of some m² over Rijnsoever (within AREA_SNAP_TOLERANCE_M2)
    boundary = _file(HOORNES_WEST, shift_m=0.05)
    rijnsoever_union = shapely.union_all([shape(a.geometry) for a in _current(rijnsoever).areas])
    overlap = area_m2(shapely.intersection(rijnsoever_union, shape(boundary["features"][0]["geometry"])))
    assert 1 < overlap < app.config["AREA_SNAP_TOLERANCE_M2"]
    hood = add_neighbourhood(NeighbourhoodSpec("Scheef", boundary=boundary))
    _assert_exact_tiling(hood)
    assert area_m2(shapely.intersection(rijnsoever_union, shape(hood.outline))) <= 0.01


# --- changing --------------------------------------------------------------------------------------------


def test_update_neighbourhood_and_its_refusals(app, hoornes):
    update_neighbourhood(
        hoornes, name="Hoornes (Katwijk)", contact_email="nieuw@example.org", sort_order=7, signup_url=None
    )
    db.session.expire_all()
    assert (hoornes.name, hoornes.contact_email, hoornes.sort_order) == ("Hoornes (Katwijk)", "nieuw@example.org", 7)
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="neighbourhood.update"))
    assert entry.target_id == hoornes.id
    assert entry.details["fields"] == ["contact_email", "name", "sort_order"]
    before = _counts()
    for changes, reason in (
        ({"name": ""}, "naam"),
        ({"routing_only": True, "contact_email": ""}, "aanmeldlink"),
        ({"signup_url": "ftp://x"}, "geen webadres"),
    ):
        with pytest.raises(NeighbourhoodRefused) as refused:
            update_neighbourhood(hoornes, **changes)
        assert reason in refused.value.message
    db.session.expire_all()
    assert hoornes.name == "Hoornes (Katwijk)"
    assert not hoornes.routing_only
    assert _counts() == before
    update_neighbourhood(hoornes, routing_only=True)  # the contact is enough to point residents to
    assert hoornes.routing_only
    with pytest.raises(TypeError):
        update_neighbourhood(hoornes, slug="anders")
