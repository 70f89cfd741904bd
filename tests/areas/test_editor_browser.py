"""The map editor in headless Chromium (issue 17): a coordinator draws a new border, previews, confirms,
and undoes it; the same edit typed as text; the page on a phone; a split proposal opened as a line.

The default indeling's Midden Noord and Midden Zuid share a straight border from P1 (east) to P2
(west). The coordinator draws P1 -> M -> P2, where M lies 0.0006° (about 67 m) north of the
border's middle: the triangle between the old border and the new line goes from Midden Noord to
Midden Zuid. Residents live in that triangle (they move, with WhatsApp tasks for the members) and
elsewhere (they stay). Pixel positions come from the page's own map (area-editor.js exposes
``areaEditor.point(lat, lon)`` on the map element), so the drawing does not depend on the layout.
"""

from __future__ import annotations

import re

import pytest
import shapely
import shapely.ops
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from shapely.geometry import LineString, Point, shape

from buurt.areas import files
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.geo.topology import tiling_report
from buurt.models import BoundaryGeneration, Group, GroupTask, Resident, ResidentStatus, Role, TaskKind
from tests.browser_support.fixtures import frames_late
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MID_NORTH, MID_SOUTH, WEST = "rijnsoever-midden-noord", "rijnsoever-midden-zuid", "rijnsoever-west"
SHIFT = 0.0006  # degrees of latitude the border's middle moves north (about 67 m)
PREVIEW = re.compile(r".*/beheer/gebieden/voorstel/(\d+)$")


# --- helpers ---------------------------------------------------------------------------------------


def _log_in(page, live_server, user) -> None:
    page.goto(live_server.url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/inloggen" not in url)


def _open_editor(page, url: str) -> None:
    page.goto(url)
    page.locator("[data-area-editor][data-ready]").wait_for()


def _at(page, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) is in the window now (the map may have scrolled into view since)."""
    x, y = page.evaluate(
        "([lat, lon]) => document.querySelector('[data-area-editor]').areaEditor.point(lat, lon)", [lat, lon]
    )
    return x, y


def _click_map(page, lat: float, lon: float) -> None:
    page.mouse.click(*_at(page, lat, lon))


# Leaflet.draw 1.0.4's line tool ignores a press until a 50 ms timer after the previous point has run.
# On a loaded machine that timer runs late, and Chromium handles a waiting click before an overdue
# timer: a fixed pause between clicks lost the middle point (CI, stop 29: 2 points of 3). The test
# waits for the tool itself instead: its points (private fields of that version, read only here).
# If a press is not taken, the failure says what the tool held and what each press landed on (that
# is how the second cause showed: a press during the editor's first zoom hit an area, not the tool).
_WATCH_LINE_TOOL = """() => {
  const proto = L.Draw.Polyline.prototype;
  if (proto.testWatched) { return; }
  const addHooks = proto.addHooks;
  proto.addHooks = function () { window.testLineTool = this; return addHooks.apply(this, arguments); };
  proto.testWatched = true;
  window.testPresses = [];
  for (const type of ["mousedown", "mouseup"]) {
    document.addEventListener(type, (e) => window.testPresses.push(
      [type, e.clientX, e.clientY, e.target.getAttribute("class"), Math.round(performance.now())]), true);
  }
}"""
_LINE_IN_TEXT = "document.querySelector('#lijn').value.trim().split('\\n').length >= 2"  # a finished line
_LINE_TOOL_TAKES_POINT = """(points) => {
  const tool = window.testLineTool;
  return !!tool && !!tool._markers && tool._markers.length === points && !tool._disableMarkers;
}"""


def _start_line_tool(page, tap: bool = False) -> None:
    page.evaluate(_WATCH_LINE_TOOL)
    button = page.locator(".leaflet-draw-draw-polyline")
    button.tap() if tap else button.click()
    page.wait_for_function(_LINE_TOOL_TAKES_POINT, arg=0, polling=50)


_LINE_TOOL_STATE = """() => {
  const tool = window.testLineTool;
  if (!tool) { return null; }
  return {
    enabled: tool.enabled(), points: (tool._markers || []).map((m) => [m.getLatLng().lat, m.getLatLng().lng]),
    disabled: !!tool._disableMarkers, clickHandled: !!tool._clickHandled, touchHandled: !!tool._touchHandled,
    downAt: tool._mouseDownOrigin ? [tool._mouseDownOrigin.x, tool._mouseDownOrigin.y] : null,
    center: tool._map.getCenter(), zoom: tool._map.getZoom(), scrollY: window.scrollY,
    presses: window.testPresses, now: Math.round(performance.now()),
  };
}"""


def _point_taken(page, points: int) -> None:
    """Wait until the line tool holds `points` points and takes the next press."""
    try:
        page.wait_for_function(_LINE_TOOL_TAKES_POINT, arg=points, polling=50, timeout=10_000)
    except PlaywrightTimeoutError:
        raise AssertionError(f"the line tool did not take point {points}: {page.evaluate(_LINE_TOOL_STATE)}") from None


def _draw_line(page, points: list[tuple[float, float]]) -> None:
    """Leaflet.draw's line tool: a click per point, a second click on the last one finishes."""
    _start_line_tool(page)
    for n, (lat, lon) in enumerate(points, start=1):
        _click_map(page, lat, lon)
        _point_taken(page, n)
    _click_map(page, *points[-1])
    page.wait_for_function(_LINE_IN_TEXT)


def _rows(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in row.split(",")) for row in text.strip().splitlines()]


def _shapes(generation: BoundaryGeneration) -> dict:
    return {a.key: shape(a.geometry) for a in generation.areas}


def _border(geoms: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """The ends of the Midden Noord / Midden Zuid border as (lat, lon), east end first."""
    shared = shapely.line_merge(shapely.intersection(geoms[MID_NORTH].boundary, geoms[MID_SOUTH].boundary))
    coords = shapely.get_coordinates(shared)
    assert shared.geom_type == "LineString", shared.wkt  # the test's premise: one straight border
    assert len(coords) == 2, shared.wkt
    (lon1, lat1), (lon2, lat2) = max(coords.tolist()), min(coords.tolist())
    return (lat1, lon1), (lat2, lon2)


def _moved_border_line(geoms: dict) -> list[tuple[float, float]]:
    (lat1, lon1), (lat2, lon2) = _border(geoms)
    return [(lat1, lon1), ((lat1 + lat2) / 2 + SHIFT, (lon1 + lon2) / 2), (lat2, lon2)]


def _triangle(geoms: dict):
    """The piece between the old border and the new line (lon, lat): what goes to Midden Zuid."""
    (lat1, lon1), (lat2, lon2) = _border(geoms)
    (_, _), (mlat, mlon), (_, _) = _moved_border_line(geoms)
    return shapely.Polygon([(lon1, lat1), (mlon, mlat), (lon2, lat2)])


def _inside(geom, margin_deg: float = 0.00025) -> Point:
    """A point well inside ``geom`` (about 20 m from every edge): pixels off by a few metres stay in."""
    inner = geom.buffer(-margin_deg)
    if inner.geom_type == "MultiPolygon":
        inner = max(inner.geoms, key=lambda g: g.area)
    return shapely.ops.polylabel(inner, tolerance=1e-6)


def _confirm_preview(page) -> int:
    """On the preview: tick 'yes, these people move' when asked, then Bevestigen. The proposal's id."""
    page.wait_for_url(PREVIEW)
    proposal_id = int(PREVIEW.match(page.url).group(1))
    box = page.locator("input[name=confirm_moves]")
    if box.count():
        box.check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Bevestigen")).click()
    assert "/voorstel/" not in page.url, page.locator("main").inner_text()[:500]
    return proposal_id


def _tasks() -> set[tuple[int, TaskKind, int]]:
    return {(t.resident_id, t.kind, t.group_id) for t in db.session.scalars(db.select(GroupTask))}


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def by_slug(groups) -> dict[str, Group]:
    return {g.slug: g for g in groups}


# --- the "Done when": draw, preview, confirm, restore ---------------------------------------------


def test_move_a_border_by_drawing_then_restore_it(live_server, page, coordinator, by_slug, make_resident):
    first = files.current_generation(db.session.scalar(db.select(Group)).neighbourhood)
    original = _shapes(first)
    outline = shape(first.neighbourhood.outline)
    line = _moved_border_line(original)
    triangle = _triangle(original)
    assert area_m2(triangle) > 10_000  # the piece that moves is a real piece of street (about 1.5 ha)

    # residents: members and a sign-up in the triangle (they move), members elsewhere (they stay)
    (lat1, lon1), (mlat, _), (lat2, lon2) = line
    inside = []
    for t in (0.35, 0.5, 0.65, 0.5):  # along the border, at 40 % of the way up to the new line
        lon = lon1 + (lon2 - lon1) * t
        old_lat = lat1 + (lat2 - lat1) * t
        new_lat = (lat1 + (mlat - lat1) * t / 0.5) if t <= 0.5 else (mlat + (lat2 - mlat) * (t - 0.5) / 0.5)
        inside.append(Point(lon, old_lat + (new_lat - old_lat) * (0.4 if len(inside) < 3 else 0.6)))
    for p in inside:
        assert triangle.buffer(-0.0001).contains(p)  # about 10 m from the old border and the new line
    movers = [make_resident(by_slug[MID_NORTH], status=ResidentStatus.ADDED, lat=p.y, lon=p.x) for p in inside[:3]]
    pending_mover = make_resident(by_slug[MID_NORTH], status=ResidentStatus.PENDING, lat=inside[3].y, lon=inside[3].x)
    north_rest = _inside(shapely.difference(original[MID_NORTH], triangle))
    south_rest = _inside(original[MID_SOUTH])
    west = _inside(original[WEST])
    stayers = [
        make_resident(by_slug[MID_NORTH], status=ResidentStatus.ADDED, lat=north_rest.y, lon=north_rest.x),
        make_resident(by_slug[MID_SOUTH], status=ResidentStatus.ADDED, lat=south_rest.y, lon=south_rest.x),
        make_resident(by_slug[WEST], status=ResidentStatus.ADDED, lat=west.y, lon=west.x),
    ]
    for r in [*movers, pending_mover]:
        assert triangle.contains(Point(r.lon, r.lat))
    groups_before = {r.id: r.group_id for r in [*movers, pending_mover, *stayers]}

    # the preview computes the impact and draws a map in a frame: seconds on a busy 2-core machine
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    _log_in(page, live_server, coordinator)
    _open_editor(page, live_server.url + "/beheer/gebieden/bewerken")

    # two clicks on the map choose the two areas; the selects stay the truth
    _click_map(page, north_rest.y, north_rest.x)
    _click_map(page, south_rest.y, south_rest.x)
    assert page.input_value("#gebied_a") == MID_NORTH
    assert page.input_value("#gebied_b") == MID_SOUTH
    status = page.locator("#editor-status")
    assert "Eerste gebied: Rijnsoever-Midden Noord." in status.inner_text()
    assert "Tweede gebied: Rijnsoever-Midden Zuid." in status.inner_text()

    # the new border, drawn with the mouse, zoomed in on it (a pixel is about 1.5 m at zoom 16)
    page.evaluate(
        "([lat, lon]) => document.querySelector('[data-area-editor]').areaEditor.map.setView([lat, lon], 16, "
        "{animate: false})",
        [(line[0][0] + line[2][0]) / 2, (line[0][1] + line[2][1]) / 2],
    )
    _draw_line(page, line)
    drawn = _rows(page.input_value("#lijn"))
    assert len(drawn) == 3
    for (lat, lon), (want_lat, want_lon) in zip(drawn, line, strict=True):
        assert abs(lat - want_lat) < 0.00005, (drawn, line)  # a few pixels
        assert abs(lon - want_lon) < 0.00008, (drawn, line)
    assert "Lijn met 3 punten." in status.inner_text()
    assert page.locator("#lijn-wissen").is_visible()

    page.locator("#editor-form button[type=submit]").click()
    page.wait_for_url(PREVIEW)
    assert "Rijnsoever-Midden Zuid" in page.locator("main").inner_text()
    _confirm_preview(page)
    assert page.errors == []

    # the new areas tile the neighbourhood, the triangle changed hands
    db.session.expire_all()
    second = files.current_generation(first.neighbourhood)
    assert second.number == 2
    moved = _shapes(second)
    report = tiling_report(moved, outline)
    assert report["overlap_m2"] == 0, report
    assert report["invalid"] == 0, report
    assert area_m2(shapely.symmetric_difference(shapely.union_all(list(moved.values())), outline)) < 0.01
    for a in moved:
        for b in moved:
            if a < b:
                assert area_m2(shapely.intersection(moved[a], moved[b])) == 0, (a, b)
    gained = shapely.difference(moved[MID_SOUTH], original[MID_SOUTH])
    as_drawn = shapely.Polygon(
        [(line[0][1], line[0][0]), *((lon, lat) for lat, lon in drawn[1:-1]), (line[2][1], line[2][0])]
    )
    # within the pixels: an end a pixel inside the union is snapped onto its edge, one outside is kept
    assert abs(area_m2(gained) - area_m2(as_drawn)) < 0.1 * area_m2(as_drawn)

    # the residents in the triangle moved group; members got their WhatsApp tasks; the rest stayed
    residents = {r.id: r for r in db.session.scalars(db.select(Resident))}
    south_id, north_id = by_slug[MID_SOUTH].id, by_slug[MID_NORTH].id
    assert {residents[r.id].group_id for r in [*movers, pending_mover]} == {south_id}
    assert {r.id: residents[r.id].group_id for r in stayers} == {r.id: groups_before[r.id] for r in stayers}
    add, remove = TaskKind.ADD_TO_WHATSAPP, TaskKind.REMOVE_FROM_WHATSAPP
    after_edit = _tasks()
    assert after_edit == {(r.id, add, south_id) for r in movers} | {(r.id, remove, north_id) for r in movers}

    # undo: the old generation's page, its restore button, the same preview, confirm
    page.goto(f"{live_server.url}/beheer/gebieden/{first.id}")
    with page.expect_navigation():
        page.locator("[data-action=terugzetten]").click()
    _confirm_preview(page)
    assert page.errors == []

    db.session.expire_all()
    third = files.current_generation(first.neighbourhood)
    assert third.number == 3
    restored = _shapes(third)
    assert restored.keys() == original.keys()
    for key, geometry in original.items():
        assert area_m2(shapely.symmetric_difference(restored[key], geometry)) < 0.01, key
    residents = {r.id: r for r in db.session.scalars(db.select(Resident))}
    assert {rid: residents[rid].group_id for rid in groups_before} == groups_before
    back = _tasks() - after_edit
    assert back == {(r.id, add, north_id) for r in movers} | {(r.id, remove, south_id) for r in movers}


# --- the same edit without the map ---------------------------------------------------------------


def test_the_text_path_needs_no_map_click(live_server, page, coordinator):
    original = _shapes(files.current_generation(db.session.scalar(db.select(Group)).neighbourhood))
    line = _moved_border_line(original)
    _log_in(page, live_server, coordinator)
    _open_editor(page, live_server.url + "/beheer/gebieden/bewerken")
    page.check("input[name=bewerking][value=grens]")
    page.select_option("#gebied_a", MID_NORTH)
    page.select_option("#gebied_b", MID_SOUTH)
    page.fill("#lijn", "\n".join(f"{lat:.6f}, {lon:.6f}" for lat, lon in line))
    status = page.locator("#editor-status")
    assert "Tweede gebied: Rijnsoever-Midden Zuid." in status.inner_text()  # a changed select re-highlights
    assert "Lijn met 3 punten." in status.inner_text()  # the typed line is drawn
    page.locator("#editor-form button[type=submit]").click()
    page.wait_for_url(PREVIEW)
    proposal_id = int(PREVIEW.match(page.url).group(1))
    db.session.expire_all()
    waiting = db.session.get(BoundaryGeneration, proposal_id)
    assert waiting is not None
    assert waiting.activated_at is None  # stored, not yet in use
    assert page.errors == []


# --- a phone ---------------------------------------------------------------------------------------


def test_on_a_phone_the_form_works_and_a_refusal_keeps_the_input(live_server, phone_page, coordinator):
    page = phone_page
    _log_in(page, live_server, coordinator)
    _open_editor(page, live_server.url + "/beheer/gebieden/bewerken")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the editor scrolls sideways"
    assert page.locator("#area-editor-map").is_visible()
    assert page.locator("table.editor-areas tbody tr").count() == 5  # the map's text equivalent
    # a merge needs no line: the line and the new part's fields go away
    page.check("input[name=bewerking][value=samenvoegen]")
    assert not page.locator("#lijn").is_visible()
    assert not page.locator("#nieuwe_naam").is_visible()
    page.check("input[name=bewerking][value=grens]")
    page.select_option("#gebied_a", MID_NORTH)
    page.select_option("#gebied_b", MID_SOUTH)
    swapped = "4.423500, 52.213100\n4.420300, 52.212700"  # lon, lat: refused with a hint
    page.fill("#lijn", swapped)
    page.locator("#editor-form button[type=submit]").tap()
    page.locator("#editor-error").wait_for()
    assert page.locator("#editor-error").get_attribute("role") == "alert"
    assert page.locator("#editor-error").inner_text().strip()
    assert page.input_value("#lijn").strip() == swapped  # every input kept
    assert page.input_value("#gebied_a") == MID_NORTH
    assert page.input_value("#gebied_b") == MID_SOUTH
    page.locator("[data-area-editor][data-ready]").wait_for()
    assert "Lijn met 2 punten." in page.locator("#editor-status").inner_text()  # and drawn again
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert [e for e in page.errors if "status of 422" not in e] == []


def test_the_editor_is_ready_with_its_view_final_on_a_slow_page(live_server, page, coordinator):
    """data-ready came while the first zoom to the areas was still to run (Leaflet animates from the
    next frame): on a slow page a press in that time hit an area under the moving map, not the line
    tool, and was lost (CI, stop 29). area-editor.js now fits the areas at once."""
    frames_late(page)
    line = _moved_border_line(_shapes(files.current_generation(db.session.scalar(db.select(Group)).neighbourhood)))
    _log_in(page, live_server, coordinator)
    _open_editor(page, live_server.url + "/beheer/gebieden/bewerken")
    view = """() => {
      const map = document.querySelector('[data-area-editor]').areaEditor.map;
      const areas = L.latLngBounds([]);  /* the area layers: the ones with a name label */
      map.eachLayer((layer) => { if (layer.getTooltip && layer.getTooltip()) { areas.extend(layer.getBounds()); } });
      const fits = map.getBoundsZoom(areas, false, L.point(16, 16));
      return {zoom: map.getZoom(), fits: fits, moving: !!map._animatingZoom};
    }"""
    ready = page.evaluate(view)
    assert ready == {"zoom": ready["fits"], "fits": ready["fits"], "moving": False}, ready
    _draw_line(page, line)  # at once, as a quick person would
    drawn = _rows(page.input_value("#lijn"))
    assert len(drawn) == 3, drawn
    for (lat, lon), (want_lat, want_lon) in zip(drawn, line, strict=True):
        assert abs(lat - want_lat) < 0.0001, (drawn, line)  # a few pixels at the neighbourhood's zoom
        assert abs(lon - want_lon) < 0.00015, (drawn, line)
    assert page.evaluate(view) == ready  # nothing moved the map since
    assert page.errors == []


def test_a_line_drawn_with_a_finger_keeps_every_point(live_server, phone_page, coordinator):
    """Leaflet.draw 1.0.4 on Leaflet 1.9 ended a tapped line after two points (area-editor.js guards it)."""
    page = phone_page
    line = _moved_border_line(_shapes(files.current_generation(db.session.scalar(db.select(Group)).neighbourhood)))
    _log_in(page, live_server, coordinator)
    _open_editor(page, live_server.url + "/beheer/gebieden/bewerken")
    page.locator("#area-editor-map").scroll_into_view_if_needed()
    page.evaluate(
        "([lat, lon]) => document.querySelector('[data-area-editor]').areaEditor.map.setView([lat, lon], 16, "
        "{animate: false})",
        [(line[0][0] + line[2][0]) / 2, (line[0][1] + line[2][1]) / 2],
    )
    _start_line_tool(page, tap=True)
    for n, (lat, lon) in enumerate(line, start=1):
        page.touchscreen.tap(*_at(page, lat, lon))
        _point_taken(page, n)
        page.wait_for_timeout(600)  # a person's taps are further apart than the guard (500 ms)
    page.touchscreen.tap(*_at(page, *line[-1]))  # the last point again: that ends the line
    page.wait_for_function(_LINE_IN_TEXT)
    assert len(_rows(page.input_value("#lijn"))) == 3
    assert page.input_value("#gebied_a") == ""  # taps while drawing choose no area
    assert "Lijn met 3 punten." in page.locator("#editor-status").inner_text()
    assert page.errors == []


# --- a split proposal opens as a line ------------------------------------------------------------


def test_a_split_proposal_opens_as_a_line_to_adjust(live_server, page, coordinator, by_slug):
    group = by_slug[WEST]
    _log_in(page, live_server, coordinator)
    _open_editor(page, f"{live_server.url}/beheer/gebieden/bewerken?splits={group.id}")
    assert page.is_checked("input[name=bewerking][value=splitsen]")
    assert page.input_value("#gebied_a") == WEST
    assert not page.locator("#gebied_b").is_visible()  # a split has one area
    assert page.locator("#nieuwe_naam").is_visible()
    rows = _rows(page.input_value("#lijn"))
    assert len(rows) >= 2
    status = page.locator("#editor-status").inner_text()
    assert f"Lijn met {len(rows)} punten." in status
    assert "Te splitsen gebied: Rijnsoever-West." in status
    # the line is on the map: the edit tool moves a point, Opslaan writes it into the text
    page.locator(".leaflet-draw-edit-edit:not(.leaflet-disabled)").click()
    x, y = _at(page, *rows[0])  # the first point's handle (between two points sits a handle that adds one)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=4)
    page.mouse.up()
    page.locator(".leaflet-draw-actions a", has_text="Opslaan").click()
    adjusted = _rows(page.input_value("#lijn"))
    assert len(adjusted) == len(rows)
    assert adjusted[0] != rows[0]
    rest = [v for row in rows[1:] for v in row]
    assert [v for row in adjusted[1:] for v in row] == pytest.approx(rest, abs=1e-6)  # 6 decimals now
    page.locator("#lijn-wissen").click()
    assert page.input_value("#lijn") == ""
    assert "Lijn gewist." in page.locator("#editor-status").inner_text()
    assert page.locator(".leaflet-draw-edit-edit.leaflet-disabled").count() == 1
    assert page.errors == []


def test_the_line_helpers_agree_with_the_areas():
    """The test's own geometry: the border's ends are the shared border's, the triangle lies in Midden Noord."""
    square = {MID_NORTH: shapely.box(0, 1, 2, 2), MID_SOUTH: shapely.box(0, 0, 2, 1)}
    (lat1, lon1), (lat2, lon2) = _border(square)
    assert (lat1, lon1, lat2, lon2) == (1, 2, 1, 0)
    assert LineString([(lon1, lat1), (lon2, lat2)]).length == 2
    assert _triangle(square).within(square[MID_NORTH])
