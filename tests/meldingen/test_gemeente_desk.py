"""The meldingen desk for all of Katwijk (issue 18.4): routing across neighbourhoods, who sees which
melding (list in SQL, paged; detail, map and every POST), texts and mails naming the neighbourhood.

Rijnsoever (the seeded default) and Hoornes (the CBS buurten Hoornes-West and -Oost, `hoornes`)
share a border. All meldingen, names and addresses here are fictional test data.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from buurt.areas.services import in_gemeente
from buurt.extensions import db
from buurt.meldingen import services
from buurt.meldingen.location import Location
from buurt.meldingen.routing import no_target_message, route
from buurt.models import Group, Melding, MeldingTarget, OutboxMessage

# Inside Hoornes-Oost, ~166 m from Rijnsoever-Oost and ~400 m from Hoornes-West (CBS 2024 buurten).
BORDER = (52.20485, 4.42590)
# Deep in Hoornes-West: ~440 m from Hoornes-Oost and from Rijnsoever.
HOORNES_WEST = (52.20559, 4.41275)
# Rijnsoever-Noord (targets Noord; Midden Noord and Zuid 76 m away), far from Hoornes.
RIJNSOEVER_NOORD = (52.213456, 4.424538)
# Molenwijk, Katwijk aan den Rijn: in the gemeente, kilometres from both neighbourhoods.
MOLENWIJK = (52.18687, 4.42341)
# Noordwijk: outside the gemeente Katwijk.
NOORDWIJK = (52.2400, 4.4450)


def group(name: str) -> Group:
    return db.session.scalar(db.select(Group).filter_by(name=name))


def melding_ids(html: str) -> list[int]:
    """The meldingen a list page shows: the links in its table."""
    table = html[html.index('id="meldingen"') : html.index("</table>")]
    return [int(i) for i in re.findall(r'href="/meldingen/(\d+)"', table)]


def count_heading(html: str) -> int:
    match = re.search(r'<h2 id="lijst-titel">(\d+) melding', html)
    assert match, "no count heading"
    return int(match.group(1))


def all_pages(client, query: str = "") -> tuple[list[int], int, int]:
    """(every melding id over all pages in order, the count the page states, how many pages)."""
    seen, page, total = [], 1, None
    while True:
        html = client.get(f"/meldingen/?pagina={page}{query}").get_data(as_text=True)
        total = count_heading(html) if total is None else total
        assert count_heading(html) == total  # the count does not change between pages
        ids = melding_ids(html)
        if not ids:
            return seen, total, page - 1
        assert len(ids) <= 25
        seen.extend(ids)
        page += 1


@pytest.fixture
def make(app, coordinator):
    """make(point, radius=100, user=None) -> a stored melding, routed as the form would."""

    def do(point, radius=100, user=None, text="Fictief politiebericht: verdachte persoon (testgegevens)."):
        lat, lon = point
        with app.test_request_context():
            return services.create_melding(
                user=user or coordinator,
                received_text=text,
                category="verdachte_situatie",
                occurred_at=datetime(2025, 3, 4, 14, 5),
                location=Location(lat, lon, "Punt op de kaart (test)", "Omgeving Fictieweg, Katwijk", "kaart"),
                radius_m=radius,
            )

    return do


# --- routing --------------------------------------------------------------------------------------


def test_routing_crosses_the_border_and_names_each_neighbourhood(app, hoornes, request_ctx):
    routing = route(*BORDER, 100)
    assert [(g.group_name, g.neighbourhood_name) for g in routing.targets] == [("BuurtAlarm Hoornes-Oost", "Hoornes")]
    neighbours = {g.group_name: g.neighbourhood_name for g in routing.neighbours}
    assert neighbours["BuurtAlarm Hoornes-West"] == "Hoornes"
    rijnsoever = [g for g in routing.neighbours if g.neighbourhood_name == "Rijnsoever"]
    assert rijnsoever, "a Rijnsoever group ~166 m away is a neighbour to consider"
    assert min(g.distance_m for g in rijnsoever) == pytest.approx(166, abs=25)
    assert routing.in_gemeente
    # with a wider radius the Rijnsoever group becomes a target too
    wide = route(*BORDER, 300)
    assert {g.neighbourhood_name for g in wide.targets} == {"Hoornes", "Rijnsoever"}


def test_routing_uses_every_neighbourhoods_current_areas(app, hoornes, request_ctx):
    assert route(*HOORNES_WEST, 100).targets[0].group_name == "BuurtAlarm Hoornes-West"
    assert route(*RIJNSOEVER_NOORD, 100).targets[0].group_name == "BuurtAlarm Rijnsoever-Noord"


def test_no_target_names_the_nearest_group_and_its_neighbourhood(app, hoornes, request_ctx):
    routing = route(*MOLENWIJK, 500)
    assert routing.targets == ()
    assert routing.in_gemeente
    message = no_target_message(routing)
    assert message.startswith(f"Geen groep binnen 500 m; dichtstbijzijnde: {routing.nearest.group_name} (")
    assert f"({routing.nearest.neighbourhood_name}, " in message
    assert routing.nearest.neighbourhood_name in ("Hoornes", "Rijnsoever")
    assert "buiten de gemeente" not in message


def test_a_melding_with_only_neighbour_groups_says_none_is_within_the_radius(app, client, login, coordinator, make):
    """Without Hoornes' groups, BORDER lies ~166 m from Rijnsoever-Oost: no group within 100 m, but
    Rijnsoever's groups are neighbours to consider. The page must still say that no group is hit."""
    melding = make(BORDER, radius=100)
    assert melding.targets
    assert all(t.is_neighbour for t in melding.targets)
    login(coordinator)
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert "Geen groep binnen 100 m; dichtstbijzijnde: BuurtAlarm Rijnsoever-" in html


def test_a_melding_outside_the_gemeente_says_so(app, client, login, coordinator, hoornes, make, request_ctx):
    assert not in_gemeente(*NOORDWIJK)
    routing = route(*NOORDWIJK, 500)
    assert not routing.in_gemeente
    assert "De plek ligt buiten de gemeente Katwijk." in no_target_message(routing)
    melding = make(NOORDWIJK, radius=500)
    login(coordinator)
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert 'id="buiten-gemeente"' in html
    assert "Deze plek ligt buiten de gemeente Katwijk." in html


# --- who sees which melding: the list, in SQL, over pages -------------------------------------------


def test_the_list_shows_each_role_exactly_its_meldingen_over_every_page(
    app, client, login, make_user, coordinator, hoornes, rijnsoever, make
):
    app.config["MELDING_NEIGHBOUR_MARGIN_M"] = 100  # neighbours within 200 m: clear-cut sets below
    hw, ho = group("BuurtAlarm Hoornes-West"), group("BuurtAlarm Hoornes-Oost")
    beheerder_hw = make_user("beheerder", groups=[hw])
    hoornes_only = [make(HOORNES_WEST).id for _ in range(26)]
    rijnsoever_only = [make(RIJNSOEVER_NOORD).id for _ in range(3)]
    entered_by_beheerder = make(RIJNSOEVER_NOORD, user=beheerder_hw).id  # a Rijnsoever melding they entered
    border = [make(BORDER).id for _ in range(2)]
    nowhere = make(MOLENWIJK).id
    # preconditions of the sets: the border meldingen reach Hoornes-Oost, Rijnsoever only as a neighbour
    for mid in border:
        targets = db.session.get(Melding, mid).targets
        assert {t.group_id for t in targets if not t.is_neighbour} == {ho.id}
        assert any(t.is_neighbour and t.group.neighbourhood_id == rijnsoever.id for t in targets)
    assert all(t.group.neighbourhood_id == hoornes.id for m in hoornes_only for t in db.session.get(Melding, m).targets)
    everything = set(hoornes_only + rijnsoever_only + border + [entered_by_beheerder, nowhere])
    expected = {
        "beheerder Hoornes-West": (beheerder_hw, set(hoornes_only) | {entered_by_beheerder}),
        "coördinator Rijnsoever": (
            make_user("coordinator", neighbourhood=rijnsoever),
            set(rijnsoever_only) | {entered_by_beheerder} | set(border),
        ),
        "coördinator Hoornes": (make_user("coordinator", neighbourhood=hoornes), set(hoornes_only) | set(border)),
        "coördinator gemeente": (coordinator, everything),
        "wijkagent": (make_user("wijkagent"), everything),
    }
    for who, (user, visible) in expected.items():
        client.post("/uitloggen")
        login(user)
        ids, total, pages = all_pages(client)
        assert set(ids) == visible, who
        assert len(ids) == len(set(ids)) == total == len(visible), who
        assert pages == (len(visible) + 24) // 25, who
        # a neighbourhood filter the user may not use leaks nothing (ignored, never widened)
        ids, total, _pages = all_pages(client, "&buurt=hoornes")
        if who in ("coördinator gemeente", "wijkagent"):
            assert set(ids) == set(hoornes_only) | set(border), who
        else:
            assert set(ids) == visible, who
        assert total == len(ids), who
    # the gemeente coordinator's filter per neighbourhood is what that neighbourhood's coordinator sees
    client.post("/uitloggen")
    login(coordinator)
    html = client.get("/meldingen/").get_data(as_text=True)
    assert 'name="buurt"' in html
    assert '<option value="hoornes">Hoornes</option>' in html
    assert set(all_pages(client, "&buurt=rijnsoever")[0]) == expected["coördinator Rijnsoever"][1]
    assert set(all_pages(client, "&buurt=onbekend")[0]) == everything  # unknown slug: no filter, no error
    # groups are named with their neighbourhood in the list
    assert "BuurtAlarm Hoornes-Oost (Hoornes)" in html


def test_a_beheerder_of_one_neighbourhood_gets_no_buurt_filter(client, login, make_user, hoornes):
    login(make_user("beheerder", groups=[group("BuurtAlarm Hoornes-West")]))
    html = client.get("/meldingen/").get_data(as_text=True)
    assert 'name="buurt"' not in html
    # their group filter offers their own group only
    assert "BuurtAlarm Hoornes-West (Hoornes)" in html
    assert "Rijnsoever-West" not in html


# --- one melding: detail, map and every POST -------------------------------------------------------


def _posts(melding_id: int, group_id: int) -> list[str]:
    return [
        f"/meldingen/{melding_id}/doorgestuurd/{group_id}",
        f"/meldingen/{melding_id}/doorgestuurd/{group_id}/ongedaan",
        f"/meldingen/{melding_id}/afmelding-doorgestuurd/{group_id}",
        f"/meldingen/{melding_id}/afmelding-doorgestuurd/{group_id}/ongedaan",
        f"/meldingen/{melding_id}/afmelden",
    ]


def test_another_neighbourhoods_melding_is_403_everywhere(app, client, login, make_user, hoornes, rijnsoever, make):
    app.config["MELDING_NEIGHBOUR_MARGIN_M"] = 100  # Rijnsoever (~440 m) not even a neighbour to consider
    in_hoornes = make(HOORNES_WEST)
    assert all(t.group.neighbourhood_id == hoornes.id for t in in_hoornes.targets)
    hw = group("BuurtAlarm Hoornes-West")
    for user in (
        make_user("coordinator", neighbourhood=rijnsoever),
        make_user("beheerder", groups=[group("BuurtAlarm Rijnsoever-West")]),
    ):
        client.post("/uitloggen")
        login(user)
        assert client.get(f"/meldingen/{in_hoornes.id}").status_code == 403
        assert client.get(f"/meldingen/{in_hoornes.id}/kaart").status_code == 403
        for url in _posts(in_hoornes.id, hw.id):
            assert client.post(url, data={"result": "gevonden"}).status_code == 403, url
    db.session.expire_all()
    melding = db.session.get(Melding, in_hoornes.id)
    assert melding.is_open
    assert all(t.forwarded_at is None for t in melding.targets)


def test_a_beheerder_who_enters_a_melding_elsewhere_opens_it_but_marks_only_their_own_groups(
    client, login, make_user, hoornes, make
):
    rw = group("BuurtAlarm Rijnsoever-West")
    beheerder = make_user("beheerder", groups=[rw], name="Beheerder Fictief Rijnsoever")
    login(beheerder)
    html = client.get("/meldingen/nieuw").get_data(as_text=True)
    assert re.search(r'data-center="52\.21\d+,4\.42\d+" data-zoom="14"', html)  # over their own neighbourhood
    response = client.post(
        "/meldingen/nieuw",
        data={
            "received_text": "Fictief politiebericht: inbraak gemeld (testgegevens).",
            "category": "woninginbraak",
            "occurred_at": "2025-03-04T14:05",
            "location": "",
            "lat": str(HOORNES_WEST[0]),
            "lon": str(HOORNES_WEST[1]),
            "radius_m": "100",
        },
    )
    assert response.status_code == 302
    melding = db.session.scalar(db.select(Melding).order_by(Melding.id.desc()))
    assert melding.created_by_id == beheerder.id
    assert [t.group.name for t in melding.targets if not t.is_neighbour] == ["BuurtAlarm Hoornes-West"]
    assert client.get(f"/meldingen/{melding.id}").status_code == 200
    assert client.get(f"/meldingen/{melding.id}/kaart").status_code == 200
    hw = group("BuurtAlarm Hoornes-West")
    assert client.post(f"/meldingen/{melding.id}/doorgestuurd/{hw.id}").status_code == 403
    assert client.post(f"/meldingen/{melding.id}/afmelden", data={"result": "gevonden"}).status_code == 403
    assert db.session.scalar(db.select(MeldingTarget.forwarded_at).filter_by(group_id=hw.id)) is None
    assert melding.id in melding_ids(client.get("/meldingen/").get_data(as_text=True))


def test_coordinators_forward_only_to_their_neighbourhoods_groups(
    client, login, make_user, coordinator, hoornes, rijnsoever, make
):
    border = make(BORDER)
    ho = group("BuurtAlarm Hoornes-Oost")
    rijn = next(t.group for t in border.targets if t.group.neighbourhood_id == rijnsoever.id)
    login(make_user("coordinator", neighbourhood=hoornes))
    assert client.post(f"/meldingen/{border.id}/doorgestuurd/{rijn.id}").status_code == 403
    assert client.post(f"/meldingen/{border.id}/doorgestuurd/{ho.id}").status_code == 302
    client.post("/uitloggen")
    login(make_user("coordinator", neighbourhood=rijnsoever))
    assert client.get(f"/meldingen/{border.id}").status_code == 200  # a neighbour group of theirs
    assert client.post(f"/meldingen/{border.id}/doorgestuurd/{ho.id}").status_code == 403
    assert client.post(f"/meldingen/{border.id}/afmelden", data={"result": "gevonden"}).status_code == 403
    assert client.post(f"/meldingen/{border.id}/doorgestuurd/{rijn.id}").status_code == 302  # after all
    client.post("/uitloggen")
    login(coordinator)  # gemeente-wide: the page lists both neighbourhoods, who forwarded when
    html = client.get(f"/meldingen/{border.id}").get_data(as_text=True)
    groups_section = html[html.index('id="groepen-titel"') : html.index('id="wachtend"')]
    assert groups_section.index(">Hoornes</h3>") < groups_section.index("BuurtAlarm Hoornes-Oost")
    assert groups_section.index(">Rijnsoever</h4>") < groups_section.index(rijn.name)
    assert groups_section.count("doorgestuurd</span>") == 2
    assert f'id="groep-{ho.id}" data-group-id="{ho.id}" data-neighbourhood="hoornes"' in html
    assert f'id="groep-{rijn.id}" data-group-id="{rijn.id}" data-neighbourhood="rijnsoever"' in html
    assert f"Doorgestuurd naar {rijn.name} (Rijnsoever)" in html  # the timeline


def test_texts_and_mails_name_the_right_neighbourhood(app, client, login, make_user, coordinator, hoornes, make):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only: these tests deliver nothing
    ho = group("BuurtAlarm Hoornes-Oost")
    make_user("beheerder", groups=[ho], email="beheerder-hoornes-oost@example.org")
    melding = make(BORDER)
    mails = list(db.session.scalars(db.select(OutboxMessage).filter_by(kind="melding")))
    assert [m.subject for m in mails] == ["Politiebericht voor BuurtAlarm Hoornes-Oost (Hoornes): Verdachte situatie"]
    assert "uw groep BuurtAlarm Hoornes-Oost (Hoornes)" in mails[0].body
    assert f"/meldingen/{melding.id}#groep-{ho.id}" in mails[0].body
    # the WhatsApp text itself assumes no neighbourhood: no Rijnsoever in a Hoornes group's text
    target = next(t for t in melding.targets if t.group_id == ho.id)
    text = services.forward_text_for(melding, target)
    assert "Rijnsoever" not in text
    assert "📏 In of aan de rand van ons gebied" in text
    login(coordinator)
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert "tekst voor BuurtAlarm Hoornes-Oost (Hoornes)" in html
    client.post(f"/meldingen/{melding.id}/afmelden", data={"result": "gevonden"})
    closing = list(db.session.scalars(db.select(OutboxMessage).filter_by(kind="melding_closed")))
    assert [m.subject for m in closing] == [
        "Afmelding politiebericht voor BuurtAlarm Hoornes-Oost (Hoornes): Verdachte situatie"
    ]
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert f'id="afmelding-{ho.id}" data-neighbourhood="hoornes"' in html
    assert "afmelding voor BuurtAlarm Hoornes-Oost (Hoornes)" in html


def test_the_route_command_names_the_neighbourhoods_across_the_border(runner, hoornes):
    result = runner.invoke(
        args=["buurt", "route", "--lat", str(BORDER[0]), "--lon", str(BORDER[1]), "--radius", "100", "--neighbours"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "BuurtAlarm Hoornes-Oost (Hoornes)\t0 m"
    assert "(buurgroep) BuurtAlarm Hoornes-West (Hoornes)\t" in result.output
    assert re.search(r"\(buurgroep\) BuurtAlarm Rijnsoever-\S+ \(Rijnsoever\)\t1\d\d m", result.output)


def test_the_incident_maps_meldingen_layer_can_follow_the_same_rule(app, make_user, hoornes, rijnsoever, make):
    from datetime import UTC

    app.config["MELDING_NEIGHBOUR_MARGIN_M"] = 100
    in_hoornes, in_rijnsoever = make(HOORNES_WEST), make(RIJNSOEVER_NOORD)
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    coordinator_r = make_user("coordinator", neighbourhood=rijnsoever)
    assert [r["id"] for r in services.meldingen_for_map(since, until, user=coordinator_r)] == [in_rijnsoever.id]
    assert {r["id"] for r in services.meldingen_for_map(since, until)} == {in_hoornes.id, in_rijnsoever.id}
