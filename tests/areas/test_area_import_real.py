"""Area import of real boundary files (issue 14, point 3): CBS / PDOK files in RD New or WGS84.

Data (see tests/areas/data/README.md): the project's own shipped `buurt/data/katwijk_buurten_2024.geojson`
(42 CBS buurten, WGS84), the same 42 in RD New from cartomap/nl `rd/buurt_2024.geojson` (CBS / Kadaster,
CC BY 4.0), and a reconstruction of a PDOK WFS answer with its `crs` member. The dry runs use the
full fictional demo (`buurt.demo`: 5 groups, ~1,045 residents with coordinates).
"""

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from buurt.areas import files, households, imports, proposals
from buurt.areas.imports import CHOICES_MEMBER, ImportChoices
from buurt.demo import load_demo
from buurt.extensions import db
from buurt.geo.polygons import AreaValidationError, source_crs
from buurt.models import BoundaryGeneration, Group, Resident, ResidentStatus, Role

ROOT = Path(__file__).resolve().parents[2]
WGS84_FILE = ROOT / "buurt" / "data" / "katwijk_buurten_2024.geojson"
RD_FILE = Path(__file__).parent / "data" / "cbs_buurt_2024_gm0537_rd.geojson"
PDOK_FILE = Path(__file__).parent / "data" / "pdok_wfs_buurten_2024_katwijk_noord_reconstructed.geojson"
RD_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


@pytest.fixture
def demo(groups):
    """The fictional demo on the default 5 groups; returns residents (with coordinates) per group slug."""
    load_demo()
    return _members()


def _members() -> dict[str, set[int]]:
    rows = db.session.execute(
        db.select(Resident.id, Group.slug)
        .join(Group, Resident.group_id == Group.id)
        .where(Resident.status != ResidentStatus.REMOVED, Resident.lat.is_not(None))
    ).all()
    found: dict[str, set[int]] = {}
    for rid, slug in rows:
        found.setdefault(slug, set()).add(rid)
    return found


def _generations() -> int:
    return db.session.scalar(db.select(db.func.count(BoundaryGeneration.id)))


def _check_cbs_plan(plan, demo):
    """What a CBS buurt file must do to the demo: nobody in West/Oost/Noord moves, no new groups,
    the 38 other buurten skipped, and Midden Zuid merged into Midden Noord (shown, needs the extra yes)."""
    assert len(plan.areas) == 4
    assert len(plan.skipped) == 38
    assert "BU05370201" in {s.key for s in plan.skipped}
    assert plan.new_groups == []
    by_name = {a.name: a.group.slug for a in plan.areas}
    assert by_name == {
        "Rijnsoever-West": "rijnsoever-west",
        "Rijnsoever-Oost": "rijnsoever-oost",
        "Rijnsoever-Noord": "rijnsoever-noord",
        "Rijnsoever-Midden": "rijnsoever-midden-noord",
    }
    moved = {m.resident_id for m in plan.moves}
    for slug in ("rijnsoever-west", "rijnsoever-oost", "rijnsoever-noord", "rijnsoever-midden-noord"):
        assert not moved & demo[slug], slug
    assert moved == demo["rijnsoever-midden-zuid"]
    assert [g.slug for g in plan.dropped] == ["rijnsoever-midden-zuid"]
    assert plan.residents_counted == sum(len(v) for v in demo.values())
    assert plan.needs_move_confirmation
    (line,) = plan.move_counts()
    assert line[:2] == ("BuurtAlarm Rijnsoever-Midden Zuid", "BuurtAlarm Rijnsoever-Midden Noord")


# --- the project's own file, WGS84 and RD -----------------------------------------------------------


def test_shipped_wgs84_cbs_file_dry_run_on_demo_moves_no_one_who_should_not(demo, runner):
    assert sum(len(v) for v in demo.values()) > 1000
    plan = imports.plan_import(WGS84_FILE.read_bytes(), max_bytes=10**8)
    _check_cbs_plan(plan, demo)
    assert plan.notes[0] == "Coördinaten in WGS84 (EPSG:4326), herkend aan de getallen."
    # The demo's fictional register holds an address per household (3,145): the register decides
    # the households, not the file's huishoudens_2024 (issue 17: no numbers carried along in a file).
    assert any(n.startswith("Huishoudens uit het adresregister: 3.145 adressen in Rijnsoever") for n in plan.notes)
    assert {a.name: a.households for a in plan.areas} == {
        "Rijnsoever-West": 755,
        "Rijnsoever-Oost": 820,
        "Rijnsoever-Noord": 465,
        "Rijnsoever-Midden": 1105,
    }
    assert {a.households_source for a in plan.areas} == {households.REGISTER_SOURCE}

    result = runner.invoke(
        args=["buurt", "areas", "import", str(WGS84_FILE), "--dry-run", "--name-property", "buurtnaam"]
    )
    assert result.exit_code == 0, result.output
    assert "38 gebied(en) liggen buiten Rijnsoever en worden overgeslagen" in result.output
    assert "(nieuwe groep)" not in result.output
    assert "Rijnsoever-Oost -> " not in result.output
    assert "Proefdraai" in result.output
    assert _generations() == 1


def test_real_rd_file_dry_run_apply_needs_confirm_moves(demo, runner):
    """cartomap's RD file (no crs member) with the name property chosen on the command line."""
    args = ["buurt", "areas", "import", str(RD_FILE), "--name-property", "statnaam"]
    result = runner.invoke(args=[*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Coördinaten in RD New (EPSG:28992), herkend aan de getallen; omgerekend naar WGS84." in result.output
    assert "Namen uit de eigenschap 'statnaam', sleutels uit 'statcode'." in result.output
    plan = imports.plan_import(RD_FILE.read_bytes(), max_bytes=10**8, choices=ImportChoices("statnaam"))
    _check_cbs_plan(plan, demo)

    refused = runner.invoke(args=[*args, "--yes"])
    assert refused.exit_code == 1
    share = imports.percent_text(plan.move_share)
    assert f"verplaatst {len(plan.moves)} van de {plan.residents_counted} bewoners ({share})" in refused.output
    assert "--confirm-moves" in refused.output
    assert _generations() == 1
    assert _members() == demo

    applied = runner.invoke(args=[*args, "--yes", "--confirm-moves"])
    assert applied.exit_code == 0, applied.output
    db.session.expire_all()
    after = _members()
    assert after["rijnsoever-midden-noord"] == demo["rijnsoever-midden-noord"] | demo["rijnsoever-midden-zuid"]
    for slug in ("rijnsoever-west", "rijnsoever-oost", "rijnsoever-noord"):
        assert after[slug] == demo[slug]
    assert db.session.scalar(db.select(Group).filter_by(slug="rijnsoever-midden-zuid")).is_active is False
    assert db.session.scalar(db.select(db.func.count(Group.id))) == 5  # no new groups


def test_service_refuses_many_moves_without_the_extra_yes(demo):
    with pytest.raises(AreaValidationError) as caught:
        imports.apply_import(WGS84_FILE.read_bytes(), max_bytes=10**8)
    assert [p.code for p in caught.value.problems] == ["moves_need_confirmation"]
    assert "boven 10 % is een extra bevestiging nodig" in caught.value.message
    assert _generations() == 1


# --- coordinate systems -------------------------------------------------------------------------------


def test_pdok_wfs_answer_with_crs_member_is_read_as_rd(groups):
    plan = imports.plan_import(PDOK_FILE.read_bytes())
    assert plan.notes[0] == "Coördinaten in RD New (EPSG:28992); omgerekend naar WGS84."
    assert plan.notes[1] == "Namen uit de eigenschap 'buurtnaam', sleutels uit 'buurtcode'."
    assert sorted(s.name for s in plan.skipped) == ["Hoornes-Oost", "Hoornes-West"]
    assert {a.key for a in plan.areas} == {"BU05370101", "BU05370102", "BU05370105", "BU05370106"}
    assert plan.new_groups == []


@pytest.mark.parametrize(
    ("crs", "epsg", "declared"),
    [
        (None, 28992, False),
        (RD_CRS, 28992, True),
        ("EPSG:28992", 28992, True),
        ({"type": "EPSG", "properties": {"code": 28992}}, 28992, True),
        ({"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/EPSG/0/28992"}}, 28992, True),
    ],
)
def test_rd_is_read_from_the_crs_member_or_the_numbers(crs, epsg, declared):
    document = json.loads(RD_FILE.read_text())
    if crs is not None:
        document["crs"] = crs
    found = source_crs(document)
    assert (found.epsg, found.declared) == (epsg, declared)


@pytest.mark.parametrize(
    "crs", ["EPSG:4326", {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "CRS84"]
)
def test_wgs84_crs_members(crs):
    document = json.loads(WGS84_FILE.read_text())
    document["crs"] = crs
    assert (source_crs(document).epsg, source_crs(document).declared) == (4326, True)


def test_other_or_contradicting_crs_is_refused_in_one_dutch_sentence(groups):
    document = json.loads(RD_FILE.read_text())
    # GeoServer's member for web mercator, as in a real WFS answer (see data/README.md)
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(document))
    (problem,) = caught.value.problems
    assert problem.code == "unsupported_crs"
    assert "'3857'" in problem.message
    assert "EPSG:4326" in problem.message
    document["crs"] = "EPSG:4326"  # says WGS84, numbers are RD
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(document))
    assert [p.code for p in caught.value.problems] == ["crs_mismatch"]
    document["crs"] = {"type": "name", "properties": {"name": "x" * 5000}}
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(document))
    assert len(caught.value.message) < 400


def test_rd_outside_the_netherlands_still_says_so(groups):
    document = json.loads(RD_FILE.read_text())
    document["features"] = document["features"][:1]
    document["features"][0]["geometry"]["coordinates"] = [
        [[900000, 469334], [900100, 469334], [900000, 469434], [900000, 469334]]
    ]
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(document))
    assert "buiten Nederland" in caught.value.message


# --- properties and group mapping --------------------------------------------------------------------


def test_property_options_of_the_cbs_file():
    options = files.property_options(json.loads(WGS84_FILE.read_text()))
    assert "buurtnaam" in options.names
    assert "gemeentenaam" not in options.names  # the same on every feature
    assert "buurtcode" in options.keys
    assert "wijkcode" not in options.keys  # not unique
    assert (options.default_name, options.default_key) == ("buurtnaam", "buurtcode")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--name-property", "onbekend"], "De naam kan niet uit 'onbekend' komen: 42 van de 42 gebieden"),
        (["--name-property", "gemeentenaam"], "heeft bij te veel gebieden dezelfde waarde"),
        (["--key-property", "wijkcode"], "De sleutel kan niet uit 'wijkcode' komen: de waarde 'WK053701' komt meer"),
        (["--group", "BU05370101=bestaat-niet"], "De groep 'bestaat-niet' bestaat niet. Kies een van: rijnsoever-west"),
        (["--group", "BU99999999=rijnsoever-west"], "Gebied 'BU99999999' staat niet in het bestand"),
        (["--group", "BU05370201=rijnsoever-west"], "Gebied 'BU05370201' ligt buiten de buurt"),
    ],
)
def test_hostile_options_give_one_dutch_sentence_and_change_nothing(groups, runner, extra, expected):
    result = runner.invoke(args=["buurt", "areas", "import", str(WGS84_FILE), "--yes", *extra])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert _generations() == 1


def test_group_option_without_equals_sign_is_a_usage_error(groups, runner):
    result = runner.invoke(args=["buurt", "areas", "import", str(WGS84_FILE), "--group", "BU05370101"])
    assert result.exit_code == 2
    assert "GEBIEDSSLEUTEL=GROEPSCODE" in result.output


def test_group_choice_and_new_group_names_cannot_be_confused(demo):
    choices = ImportChoices(groups={"BU05370106": "rijnsoever-midden-zuid", "BU05370102": imports.NEW_GROUP})
    plan = imports.plan_import(WGS84_FILE.read_bytes(), max_bytes=10**8, choices=choices)
    by_key = {a.key: a for a in plan.areas}
    assert by_key["BU05370106"].group.slug == "rijnsoever-midden-zuid"
    assert by_key["BU05370106"].matched_by == "uw keuze"
    new = by_key["BU05370102"].group
    assert new.is_new
    assert new.name == "BuurtAlarm Rijnsoever-Oost (nieuw)"
    assert new.slug == "bu05370102"
    counts = Counter((a, b) for a, b, _n in plan.move_counts())
    assert ("BuurtAlarm Rijnsoever-Oost", "BuurtAlarm Rijnsoever-Oost (nieuw) (nieuwe groep)") in counts
    assert ("BuurtAlarm Rijnsoever-Midden Noord", "BuurtAlarm Rijnsoever-Midden Zuid") in counts
    assert all(a != b for a, b in counts)


def test_a_slug_an_existing_group_has_is_never_planned_twice(groups):
    """A key whose slug is taken (here: 'Rijnsoever West' -> rijnsoever-west) gets its own slug."""
    doc = files.current_collection()
    for feature in doc["features"]:
        feature["properties"].pop("groep")
    west = next(f for f in doc["features"] if f["id"] == "rijnsoever-west")
    west["id"] = "Rijnsoever West"
    plan = imports.plan_import(doc, choices=ImportChoices(groups={"Rijnsoever West": imports.NEW_GROUP}))
    (new,) = plan.new_groups
    assert new.slug == "rijnsoever-west-2"
    assert new.name == "BuurtAlarm Rijnsoever-West (nieuw)"


def test_group_property_still_wins_over_overlap(groups):
    document = json.loads(WGS84_FILE.read_text())
    for feature in document["features"]:
        if feature["properties"]["buurtcode"] == "BU05370106":
            feature["properties"]["groep"] = "rijnsoever-midden-zuid"
    plan = imports.plan_import(json.dumps(document), max_bytes=10**8)
    midden = next(a for a in plan.areas if a.key == "BU05370106")
    assert (midden.group.slug, midden.matched_by) == ("rijnsoever-midden-zuid", "eigenschap groep")


# --- the browser flow --------------------------------------------------------------------------------


def _upload(client, path: Path):
    return client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data",
    )


def test_web_upload_of_rd_file_choices_and_extra_confirmation(demo, client, login, make_user):
    login(make_user(Role.COORDINATOR))
    response = _upload(client, RD_FILE)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Coördinaten in RD New (EPSG:28992), herkend aan de getallen; omgerekend naar WGS84." in html
    assert "38 gebied(en) liggen buiten de buurt en worden overgeslagen" in html
    assert 'name="confirm_moves"' in html
    assert '<option value="statnaam"' in html
    proposal_id = int(preview.rsplit("/", 1)[1])

    # the coordinator puts Rijnsoever-Midden in Midden Zuid: Midden Noord's residents move instead
    areas = imports.plan_import(RD_FILE.read_bytes(), max_bytes=10**8).areas
    form = {
        "name_property": "statnaam",
        "key_property": "",
        "gebied": [a.key for a in areas],
        "groep": ["rijnsoever-midden-zuid" if a.key == "BU05370106" else "" for a in areas],
    }
    assert client.post(preview + "/keuzes", data=form).status_code == 302
    db.session.expire_all()
    stored = db.session.get(BoundaryGeneration, proposal_id)
    assert stored.document[CHOICES_MEMBER] == {
        "naam": "statnaam",
        "sleutel": None,
        "groepen": {"BU05370106": "rijnsoever-midden-zuid"},
    }
    plan = proposals.plan_proposal(stored)
    assert {m.resident_id for m in plan.moves} == demo["rijnsoever-midden-noord"]

    # hostile choices: a property not in the list, a group that does not exist: a message, no 500, nothing stored
    bad = client.post(preview + "/keuzes", data={**form, "name_property": "bestaat-niet"})
    assert bad.status_code == 302
    bad = client.post(
        preview + "/keuzes", data={**form, "groep": ["bestaat-niet", *form["groep"][1:]]}, follow_redirects=True
    )
    assert bad.status_code == 200
    assert "De groep &#39;bestaat-niet&#39; bestaat niet" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BoundaryGeneration, proposal_id).document[CHOICES_MEMBER]["naam"] == "statnaam"

    # confirm without the extra box: refused server-side, nothing changed
    refused = client.post(preview + "/bevestigen", data={}, follow_redirects=True)
    assert "Zet het vinkje" in refused.get_data(as_text=True)
    assert _generations() == 2  # the current one and the proposal
    assert _members() == demo
    done = client.post(preview + "/bevestigen", data={"confirm_moves": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    after = _members()
    assert after["rijnsoever-midden-zuid"] == demo["rijnsoever-midden-zuid"] | demo["rijnsoever-midden-noord"]
    assert after["rijnsoever-west"] == demo["rijnsoever-west"]


def test_web_upload_without_usable_default_name_keeps_the_proposal_for_a_choice(groups, client, login, make_user):
    """A file whose names sit in an unexpected property ('titel') is kept; the preview offers the choice."""
    document = json.loads(PDOK_FILE.read_text())
    for feature in document["features"]:
        feature["properties"]["titel"] = feature["properties"].pop("buurtnaam")
    login(make_user(Role.COORDINATOR))
    response = client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(json.dumps(document).encode()), "wfs.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview = response.headers["Location"]
    page = client.get(preview)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "heeft geen naam (eigenschap &#39;naam&#39;)" in html
    assert '<option value="titel"' in html
    assert client.post(preview + "/keuzes", data={"name_property": "titel", "key_property": ""}).status_code == 302
    assert client.get(preview).status_code == 200
