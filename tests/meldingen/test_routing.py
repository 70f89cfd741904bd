"""Routing a melding to groups: literal squares and the shipped Rijnsoever areas."""

import math

import pytest

from buurt.areas.services import current_areas
from buurt.geo.coords import metres_per_degree
from buurt.meldingen.routing import (
    RoutedGroup,
    Routing,
    format_distance,
    neighbour_range,
    no_target_message,
    outside_gemeente_message,
    route,
    route_point,
)
from tests.meldingen.conftest import DLAT, DLON, LAT0, LON0

# Metres per degree near lat 52.19 (good to ~1% against RD New distances).
M_LAT, M_LON = metres_per_degree(52.19)

pytestmark = pytest.mark.usefixtures("request_ctx")


def names(groups):
    return [g.group_name for g in groups]


# --- literal squares ------------------------------------------------------------------------------


def test_point_inside_one_square(make_squares):
    make_squares()
    routing = route(LAT0 + DLAT / 2, LON0 + DLON / 2, 100)  # the middle of A, ~136 m from B
    assert names(routing.targets) == ["Vierkant A"]
    assert routing.targets[0].distance_m == 0
    assert routing.targets[0].is_inside
    # Neighbours: within 100 + 500 m, not targets, nearest first; E (~1.2 km) is too far.
    assert names(routing.neighbours) == ["Vierkant B", "Vierkant C", "Vierkant D"]
    assert routing.neighbours[0].distance_m == pytest.approx(DLON / 2 * M_LON, rel=0.02)
    assert routing.nearest is None
    assert no_target_message(routing) is None


def test_point_on_a_shared_edge_goes_to_both_ordered_by_group_order(make_squares):
    groups = make_squares({"a": 1, "b": 0, "c": 2, "d": 3, "e": 4})  # B sorts before A ...
    assert groups["a"].id < groups["b"].id  # ... though A is older: the order, not the id, decides
    routing = route(LAT0 + DLAT / 2, LON0 + DLON, 100)  # on the A|B edge
    assert names(routing.targets) == ["Vierkant B", "Vierkant A"]
    assert [g.distance_m for g in routing.targets] == [0, 0]


def test_at_equal_distance_the_neighbourhoods_order_comes_before_the_groups(make_squares):
    from buurt.extensions import db

    first = make_squares({"a": 0, "b": 1, "c": 2, "d": 3, "e": 4})
    second = make_squares({"a": 1, "b": 0, "c": 2, "d": 3, "e": 4})  # the same squares again
    first["a"].neighbourhood.sort_order, second["a"].neighbourhood.sort_order = 1, 0  # the newer one first
    db.session.commit()
    routing = route(LAT0 + DLAT / 2, LON0 + DLON, 100)  # on the A|B edge of both
    expected = [second["b"], second["a"], first["a"], first["b"]]
    assert [(g.group_id, g.neighbourhood_id) for g in routing.targets] == [(g.id, g.neighbourhood_id) for g in expected]


def test_shared_corner_hits_all_four_deterministically(make_squares):
    make_squares()
    lat, lon = LAT0 + DLAT, LON0 + DLON
    first = route(lat, lon, 100)
    assert names(first.targets) == ["Vierkant A", "Vierkant B", "Vierkant C", "Vierkant D"]
    assert all(g.distance_m == 0 for g in first.targets)
    assert names(route(lat, lon, 100).targets) == names(first.targets)


def test_radius_touching_three_squares(make_squares):
    make_squares()
    # Inside A, 60 m from B (east) and 60 m from C (north): D is ~85 m away on the diagonal.
    lat, lon = LAT0 + DLAT - 60 / M_LAT, LON0 + DLON - 60 / M_LON
    routing = route(lat, lon, 70)
    assert names(routing.targets)[0] == "Vierkant A"
    assert sorted(names(routing.targets)) == ["Vierkant A", "Vierkant B", "Vierkant C"]
    assert names(routing.neighbours)[0] == "Vierkant D"
    assert routing.neighbours[0].distance_m == pytest.approx(85, abs=3)
    distances = [g.distance_m for g in routing.targets]
    assert distances == sorted(distances)


def test_outside_everything_names_the_nearest_group(make_squares):
    make_squares()
    routing = route(52.150, 4.300, 500)  # fields near Wassenaar: kilometres from any area
    assert routing.targets == ()
    assert routing.neighbours == ()
    assert routing.nearest is not None
    assert routing.nearest.group_name == "Vierkant A"
    message = no_target_message(routing)
    assert message.startswith("Geen groep binnen 500 m; dichtstbijzijnde: Vierkant A (")
    assert "km)" in message


def test_the_nearest_group_is_an_active_one_and_ties_go_by_the_groups_order(make_squares):
    from buurt.extensions import db

    groups = make_squares({"a": 1, "b": 0, "c": 2, "d": 3, "e": 4})
    # Straight south of the A|B edge: A and B are equally near (their shared corner); B sorts first.
    south = (LAT0 - 0.02, LON0 + DLON)
    assert route(*south, 100).nearest.group_id == groups["b"].id
    groups["b"].is_active = False
    db.session.commit()
    assert route(*south, 100).nearest.group_id == groups["a"].id  # never an inactive group
    groups["a"].is_active = False
    db.session.commit()
    assert route(*south, 100).nearest.group_id not in (groups["a"].id, groups["b"].id)


def test_several_areas_of_one_group_make_one_target(make_squares):
    groups = make_squares({"a": 0, "c": 1, "d": 2}, extra_areas={"a": ["b"]})  # group A covers squares A and B
    routing = route(LAT0 + DLAT / 2, LON0 + DLON + DLON / 2, 100)  # the middle of square B
    assert names(routing.targets) == ["Vierkant A"]
    target = routing.targets[0]
    assert target.distance_m == 0
    assert len(target.area_ids) == 2
    assert sorted(target.area_names) == ["A", "B"]
    hood = groups["a"].neighbourhood
    assert (target.group_id, target.neighbourhood_id, target.neighbourhood_name) == (groups["a"].id, hood.id, hood.name)


def test_inactive_groups_are_not_routed(make_squares):
    from buurt.extensions import db

    groups = make_squares()
    groups["a"].is_active = False
    db.session.commit()
    routing = route(LAT0 + DLAT / 2, LON0 + DLON / 2, 100)  # the middle of A, nearest of all
    assert routing.targets == ()
    assert names(routing.neighbours) == ["Vierkant B", "Vierkant C", "Vierkant D"]  # the rest still count


def test_without_a_radius_the_configured_default_is_used(app, make_squares):
    make_squares()
    assert route(LAT0 + DLAT / 2, LON0 + DLON / 2).radius_m == 500
    app.config["MELDING_DEFAULT_RADIUS_M"] = 150
    routing = route(LAT0 + DLAT / 2, LON0 + DLON / 2)
    assert routing.radius_m == 150
    assert names(routing.targets) == ["Vierkant A", "Vierkant B", "Vierkant C"]  # ~137 and ~139 m; D ~195 m


def test_neighbour_range_and_bad_input(app):
    assert neighbour_range(100) == 600
    assert neighbour_range(2000) == 4000
    refused = r"^lat, lon and a non-negative radius are required$"
    with pytest.raises(ValueError, match=refused):
        route_point(current_areas(), math.nan, 4.42, 500)
    with pytest.raises(ValueError, match=refused):
        route_point(current_areas(), 52.21, 4.42, -1)


def test_radius_zero_routes_to_the_area_holding_the_point(make_squares):
    make_squares()
    routing = route_point(current_areas(), LAT0 + DLAT / 2, LON0 + DLON / 2, 0)
    assert names(routing.targets) == ["Vierkant A"]
    assert routing.in_gemeente  # route_point's default: route() passes the real answer


def test_new_generation_is_routed_without_restart(app, make_squares):
    before = route(LAT0 + DLAT / 2, LON0 + DLON / 2, 100)
    assert before.targets == ()
    make_squares()
    assert names(route(LAT0 + DLAT / 2, LON0 + DLON / 2, 100).targets) == ["Vierkant A"]


# --- the shipped Rijnsoever areas -----------------------------------------------------------------


def test_shipped_point_inside_one_area(app):
    routing = route(52.2127, 4.413965, 100)  # deep in Rijnsoever-West
    assert names(routing.targets) == ["BuurtAlarm Rijnsoever-West"]
    assert names(routing.neighbours)[0] == "BuurtAlarm Rijnsoever-Midden Noord"


def test_shipped_point_on_the_border_between_the_two_midden_groups(app):
    # The midpoint of the shared edge of Midden Noord and Midden Zuid.
    lat, lon = (52.213148 + 52.211159) / 2, (4.423543 + 4.417208) / 2
    routing = route(lat, lon, 100)
    assert names(routing.targets)[:2] == ["BuurtAlarm Rijnsoever-Midden Noord", "BuurtAlarm Rijnsoever-Midden Zuid"]
    assert routing.targets[0].distance_m == pytest.approx(0, abs=0.01)
    assert routing.targets[1].distance_m == pytest.approx(0, abs=0.01)


def test_shipped_radius_touching_three_areas(app):
    routing = route(52.213456, 4.424538, 100)  # in Noord, 76 m from both Midden groups
    assert names(routing.targets)[0] == "BuurtAlarm Rijnsoever-Noord"
    assert set(names(routing.targets)[1:]) == {
        "BuurtAlarm Rijnsoever-Midden Noord",
        "BuurtAlarm Rijnsoever-Midden Zuid",
    }
    assert [round(g.distance_m) for g in routing.targets[1:]] == [76, 76]
    assert set(names(routing.neighbours)) == {"BuurtAlarm Rijnsoever-Oost", "BuurtAlarm Rijnsoever-West"}


def test_shipped_outside_everything(app):
    routing = route(52.2030, 4.3950, 500)  # Katwijk aan Zee, well outside Rijnsoever
    assert routing.targets == ()
    assert "dichtstbijzijnde: BuurtAlarm Rijnsoever-" in no_target_message(routing)


def test_other_neighbourhoods_are_routed_alongside_rijnsoever(make_squares):
    make_squares()
    routing = route(52.2127, 4.413965, 3000)  # big radius from West: reaches the squares too
    assert "BuurtAlarm Rijnsoever-West" in names(routing.targets)
    assert "Vierkant D" in names(routing.targets)


# --- exact limits (issue 19) ----------------------------------------------------------------------


def test_a_group_at_exactly_the_radius_is_a_target_and_just_past_it_a_neighbour(make_squares):
    """The radius is inclusive: an area at exactly radius_m is reached; a centimetre further it is not."""
    make_squares()
    lat, lon = LAT0 + DLAT / 4, LON0 + DLON / 2 - 30 / M_LON  # inside A, ~166 m from B, ~208 m from C
    everything = route(lat, lon, 5000)
    b = next(g for g in everything.targets if g.group_name == "Vierkant B").distance_m
    assert 150 < b < 180
    at_limit = route(lat, lon, b)
    assert names(at_limit.targets) == ["Vierkant A", "Vierkant B"]
    assert "Vierkant B" not in names(at_limit.neighbours)
    just_short = route(lat, lon, b - 0.01)
    assert names(just_short.targets) == ["Vierkant A"]
    assert names(just_short.neighbours)[0] == "Vierkant B"


def test_a_group_at_exactly_the_neighbour_range_is_a_neighbour_and_just_past_it_not(app, make_squares):
    """The neighbour range is inclusive too, and an explicit range below the radius means the radius."""
    make_squares()
    areas = current_areas()
    lat, lon = LAT0 + DLAT / 2, LON0 + DLON / 2  # the middle of A
    e = next(g for g in route_point(areas, lat, lon, 5000).targets if g.group_name == "Vierkant E").distance_m
    assert 1000 < e < 1400
    assert names(route_point(areas, lat, lon, 100, neighbour_range_m=e).neighbours)[-1] == "Vierkant E"
    short = route_point(areas, lat, lon, 100, neighbour_range_m=e - 0.01)
    assert "Vierkant E" not in names(short.neighbours)
    assert short.neighbour_range_m == pytest.approx(e - 0.01)
    # a range below the radius is widened to the radius: nothing within the radius is lost
    wide = route_point(areas, lat, lon, e, neighbour_range_m=10)
    assert wide.neighbour_range_m == e
    assert "Vierkant E" in names(wide.targets)


# --- the Dutch sentences (user-facing: pinned word for word) ----------------------------------------


def _routing(nearest=None, *, targets=(), in_gemeente=True, radius=500.0):
    return Routing(52.2, 4.4, radius, 2 * radius, targets, (), nearest, in_gemeente)


def test_no_target_sentences(app):
    assert no_target_message(_routing()) == "Geen groep binnen 500 m; er zijn nog geen gebieden ingesteld."
    plain = RoutedGroup(1, "BuurtAlarm Fictief", 1260.0, (1,), ("Fictief",))
    assert (
        no_target_message(_routing(plain)) == "Geen groep binnen 500 m; dichtstbijzijnde: BuurtAlarm Fictief (1,3 km)."
    )
    named = RoutedGroup(1, "BuurtAlarm Fictief", 240.4, (1,), ("Fictief",), 7, "Hoornes")
    assert (
        no_target_message(_routing(named, radius=100.0))
        == "Geen groep binnen 100 m; dichtstbijzijnde: BuurtAlarm Fictief (Hoornes, 240 m)."
    )
    assert no_target_message(_routing(named, in_gemeente=False)) == (
        "Geen groep binnen 500 m; dichtstbijzijnde: BuurtAlarm Fictief (Hoornes, 240 m)."
        " De plek ligt buiten de gemeente Katwijk."
    )
    assert no_target_message(_routing(None, in_gemeente=False)) == (
        "Geen groep binnen 500 m; er zijn nog geen gebieden ingesteld. De plek ligt buiten de gemeente Katwijk."
    )
    inside = RoutedGroup(1, "BuurtAlarm Fictief", 0.0, (1,), ("Fictief",))
    assert no_target_message(_routing(None, targets=(inside,), in_gemeente=False)) is None


def test_outside_gemeente_sentence(app):
    assert outside_gemeente_message() == (
        "Deze plek ligt buiten de gemeente Katwijk. Alleen groepen binnen de straal krijgen de melding."
    )


def test_format_distance_switches_to_km_at_exactly_1000_m():
    assert format_distance(0) == "0 m"
    assert format_distance(999.4) == "999 m"
    assert format_distance(1000) == "1,0 km"
    assert format_distance(1260) == "1,3 km"
    assert format_distance(1051) == "1,1 km"  # a km is 1000 m: 1051 m is not "1,0 km"
    assert format_distance(12345) == "12,3 km"
