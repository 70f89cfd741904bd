"""`flask buurt neighbourhoods …`, `users create --buurt/--gemeente` and `areas … --buurt`, through the CLI runner.

The README's three commands to add a neighbourhood are run end to end here (test_three_commands).
"""

from __future__ import annotations

import json

from buurt.extensions import db
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, Role, User


def _run(runner, *args, **kwargs):
    return runner.invoke(args=["buurt", *args], **kwargs)


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _hood(slug: str) -> Neighbourhood | None:
    return db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug))


def test_three_commands(runner, rijnsoever):
    """The README: add a neighbourhood, its coordinator, its invite links."""
    result = _run(
        runner,
        "neighbourhoods",
        "add",
        "Hoornes",
        "--buurt",
        "Hoornes-West",
        "--buurt",
        "hoornes oost",
        "--groups",
        "per-buurt",
        "--contact",
        "hoornes@example.org",
    )
    assert result.exit_code == 0, result.output
    assert "Buurt Hoornes toegevoegd: 2 groep(en), 2.615 huishoudens" in result.output
    assert "BuurtAlarm Hoornes-West [hoornes-west]: 1.670 huishoudens" in result.output
    assert "Pagina: http://localhost/hoornes/" in result.output
    hood = _hood("hoornes")
    assert [g.slug for g in hood.groups] == ["hoornes-west", "hoornes-oost"]

    result = _run(
        runner, "users", "create", "coord.hoornes@example.org", "--role", "coordinator", "--buurt", "hoornes", "--link"
    )
    assert result.exit_code == 0, result.output
    assert "coördinator van Hoornes" in result.output
    assert "/wachtwoord-herstellen#" in result.output
    user = db.session.scalar(db.select(User).filter_by(email="coord.hoornes@example.org"))
    assert user.role == Role.COORDINATOR
    assert user.neighbourhood_id == hood.id

    link = "https://chat.whatsapp.com/AbCdEfGhIj1234567890"
    result = _run(
        runner, "neighbourhoods", "group", "hoornes", "hoornes-west", "--invite-link", link, "--capacity", "200"
    )
    assert result.exit_code == 0, result.output
    group = db.session.scalar(db.select(Group).filter_by(neighbourhood_id=hood.id, slug="hoornes-west"))
    assert (group.invite_link, group.capacity) == (link, 200)
    result = _run(runner, "neighbourhoods", "groups", "hoornes")
    assert "BuurtAlarm Hoornes-West [hoornes-west]: 1.670 huishoudens" in result.output
    assert "capaciteit 200, uitnodigingslink: ja" in result.output
    assert "BuurtAlarm Hoornes-Oost [hoornes-oost]: 945 huishoudens" in result.output


def test_add_refusal_exits_1_with_the_dutch_reason_and_stores_nothing(runner, rijnsoever):
    before = (_count(Neighbourhood), _count(Group), _count(BoundaryGeneration), _count(Area))
    for args, reason in (
        (["Rijnsoever-West", "--buurt", "BU05370101"], "hoort al bij Rijnsoever"),
        (["Beheer", "--buurt", "Hoornes-West"], "gebruikt de site zelf"),
        (["Hoornes", "--slug", "welke-groep", "--buurt", "Hoornes-West"], "gebruikt de site zelf"),
        (["Hoornes", "--buurt", "Centrum"], "BU05370700"),
        (["Hoornes", "--buurt", "Hoornes-West", "--capacity", "0"], "capaciteit"),
        (["Hoornes", "--buurt", "Hoornes-West", "--routing-only"], "aanmeldlink"),
        (["Hoornes"], "Geef de CBS-buurten"),
        (["Hoornes", "--file", "/nergens/grenzen.geojson"], "Kan /nergens/grenzen.geojson niet lezen"),
    ):
        result = _run(runner, "neighbourhoods", "add", *args)
        assert result.exit_code == 1, (args, result.output)
        assert reason in result.output, (args, result.output)
    assert (_count(Neighbourhood), _count(Group), _count(BoundaryGeneration), _count(Area)) == before


def test_add_from_a_file_routing_only(runner, rijnsoever, tmp_path):
    from buurt.neighbourhoods.services import cbs_catalogue

    dorp = next(b for b in cbs_catalogue() if b.code == "BU05370800")
    path = tmp_path / "valkenburg.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"naam": "Dorp"}, "geometry": dorp.geometry}],
            }
        )
    )
    result = _run(
        runner,
        "neighbourhoods",
        "add",
        "Valkenburg",
        "--file",
        str(path),
        "--routing-only",
        "--signup-url",
        "https://example.org/aanmelden",
    )
    assert result.exit_code == 0, result.output
    hood = _hood("valkenburg")
    assert hood.routing_only
    assert hood.buurtcodes is None
    assert hood.generations[0].source == "valkenburg.geojson"
    assert "740 huishoudens" in result.output


def test_list_show_set_and_buurten(runner, rijnsoever, hoornes):
    result = _run(runner, "neighbourhoods", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:2] == ["rijnsoever", "Rijnsoever"]
    assert "(standaard)" in lines[1]
    assert lines[2].split()[:5] == ["hoornes", "Hoornes", "2", "0", "2.615"]

    result = _run(runner, "neighbourhoods", "show", "hoornes")
    assert result.exit_code == 0, result.output
    assert "Hoornes-West (BU05370103), Hoornes-Oost (BU05370104)" in result.output
    assert "http://localhost/hoornes/" in result.output

    result = _run(
        runner, "neighbourhoods", "set", "hoornes", "--name", "Hoornes Katwijk", "--routing-only", "--order", "5"
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (hoornes.name, hoornes.routing_only, hoornes.sort_order) == ("Hoornes Katwijk", True, 5)
    result = _run(runner, "neighbourhoods", "set", "hoornes", "--contact", "", "--signup-url", "")
    assert result.exit_code == 1
    assert "aanmeldlink" in result.output
    result = _run(runner, "neighbourhoods", "set", "hoornes", "--own-signup")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not hoornes.routing_only
    assert _run(runner, "neighbourhoods", "show", "nergens").exit_code == 1

    result = _run(runner, "neighbourhoods", "buurten")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("BU0537")}
    assert len(rows) == 42
    assert rows["BU05370103"].rstrip().endswith("hoornes")
    assert rows["BU05370101"].rstrip().endswith("rijnsoever")
    assert rows["BU05370800"].rstrip().endswith("-")
    assert "1.670" in rows["BU05370103"]


def test_group_command_refusals(runner, hoornes):
    result = _run(
        runner, "neighbourhoods", "group", "hoornes", "hoornes-west", "--invite-link", "https://example.org/x"
    )
    assert result.exit_code == 1
    assert "geen WhatsApp-uitnodigingslink" in result.output
    result = _run(runner, "neighbourhoods", "group", "hoornes", "rijnsoever-west", "--capacity", "10")
    assert result.exit_code == 1
    assert "geen groep 'rijnsoever-west'" in result.output


def test_users_create_scoping(runner, rijnsoever):
    # one neighbourhood on the site: a coordinator without --buurt is that neighbourhood's (never wider)
    result = _run(runner, "users", "create", "eerste@example.org", "--role", "coordinator", "--link")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User.neighbourhood_id).filter_by(email="eerste@example.org")) == rijnsoever.id

    from tests.conftest import make_second_neighbourhood

    hoornes = make_second_neighbourhood()
    result = _run(runner, "users", "create", "wie@example.org", "--role", "coordinator", "--link")
    assert result.exit_code == 1
    assert "Van welke buurt" in result.output
    assert "--gemeente" in result.output
    assert db.session.scalar(db.select(User.id).filter_by(email="wie@example.org")) is None

    result = _run(runner, "users", "create", "katwijk@example.org", "--role", "coordinator", "--gemeente", "--link")
    assert result.exit_code == 0, result.output
    assert "coördinator van heel Katwijk" in result.output
    user = db.session.scalar(db.select(User).filter_by(email="katwijk@example.org"))
    assert user.neighbourhood_id is None

    result = _run(runner, "users", "create", "x@example.org", "--role", "wijkagent", "--gemeente", "--link")
    assert result.exit_code == 1
    result = _run(runner, "users", "create", "x@example.org", "--role", "coordinator", "--buurt", "nergens", "--link")
    assert result.exit_code == 1
    assert "Er is geen buurt 'nergens'" in result.output

    # a beheerder's groups are found within --buurt
    result = _run(
        runner,
        "users",
        "create",
        "beheer.hoornes@example.org",
        "--role",
        "beheerder",
        "--buurt",
        "hoornes",
        "--group",
        "BuurtAlarm Hoornes-Oost",
        "--link",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="beheer.hoornes@example.org"))
    assert [g.neighbourhood_id for g in user.groups] == [hoornes.id]
    assert user.neighbourhood_id is None

    result = _run(runner, "users", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "bereik: coördinator van Rijnsoever" in lines["eerste@example.org"]
    assert "bereik: coördinator van heel Katwijk" in lines["katwijk@example.org"]
    assert "bereik: beheerder in Hoornes" in lines["beheer.hoornes@example.org"]
    assert "BuurtAlarm Hoornes-Oost (hoornes)" in lines["beheer.hoornes@example.org"]


def test_users_create_group_names_shared_by_two_neighbourhoods(runner, rijnsoever):
    from tests.conftest import make_second_neighbourhood

    make_second_neighbourhood(("BU05370504",), "kaz-centrum", "Centrum aan Zee")
    make_second_neighbourhood(("BU05370700",), "rijnsburg-centrum", "Centrum Rijnsburg")
    result = _run(runner, "users", "create", "b@example.org", "--role", "beheerder", "--group", "centrum", "--link")
    assert result.exit_code == 1
    assert "bestaat in meer buurten" in result.output
    result = _run(
        runner, "users", "create", "b@example.org", "--role", "beheerder", "--group", "centrum", "--buurt",
        "rijnsburg-centrum", "--link",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_areas_export_check_import_per_neighbourhood(runner, rijnsoever, hoornes, tmp_path):
    result = _run(runner, "areas", "export", "--buurt", "hoornes")
    assert result.exit_code == 0, result.output
    collection = json.loads(result.output)
    assert collection["buurt"] == "hoornes"
    assert [f["properties"]["groep"] for f in collection["features"]] == ["hoornes-west", "hoornes-oost"]
    default = json.loads(_run(runner, "areas", "export").output)
    assert default["buurt"] == "rijnsoever"
    assert len(default["features"]) == 5

    result = _run(runner, "areas", "check", "--buurt", "hoornes")
    assert result.exit_code == 0, result.output

    path = tmp_path / "hoornes.geojson"
    path.write_text(json.dumps(collection))
    result = _run(runner, "areas", "import", str(path), "--buurt", "hoornes", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Nieuwe indeling voor Hoornes: generatie 2, 2 gebieden." in result.output
    assert "Proefdraai" in result.output
    assert _run(runner, "areas", "export", "--buurt", "nergens").exit_code == 1
