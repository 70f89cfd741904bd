"""Roles per neighbourhood (issue 18, point 5), for what the GET matrix (tests/test_role_matrix.py)
cannot show: POSTs that would change another neighbourhood's areas, uploads that reach into another
neighbourhood, the console's headings per neighbourhood, and the audit log's scope.

Rijnsoever (the default) and Hoornes (the ``hoornes`` fixture, straight from the CBS buurten); all
people are fictional.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from shapely.geometry import box, mapping, shape

from buurt.areas import files, proposals
from buurt.areas.imports import ProposalGone
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.models import AuditEntry, BoundaryGeneration, Role
from tests.conftest import PASSWORD


@pytest.fixture
def people(app, groups, hoornes, make_user):
    """A coordinator of each neighbourhood, a gemeente-wide one, a wijkagent, each with a logged-in client."""
    users = {
        "a": make_user(Role.COORDINATOR, neighbourhood=groups[0].neighbourhood),
        "b": make_user(Role.COORDINATOR, neighbourhood=hoornes),
        "gemeente": make_user(Role.COORDINATOR),
        "wijkagent": make_user(Role.WIJKAGENT),
    }
    clients = {}
    for key, user in users.items():
        client = app.test_client()
        with app.app_context():
            assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302
        clients[key] = client
    return users, clients


def _generations() -> list[tuple[int, int, int | None, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        db.select(
            BoundaryGeneration.id,
            BoundaryGeneration.neighbourhood_id,
            BoundaryGeneration.number,
            BoundaryGeneration.is_current,
        ).order_by(BoundaryGeneration.id)
    )
    return [tuple(r) for r in rows]


def _area_rows() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(AuditEntry.action.like("areas%")))


def test_a_coordinator_of_rijnsoever_changes_nothing_of_hoornes(app, groups, hoornes, people):
    _users, clients = people
    a = clients["a"]
    proposal = proposals.save_proposal(files.current_collection(hoornes), neighbourhood=hoornes, source="test")
    current_h = files.current_generation(hoornes)
    old_h = BoundaryGeneration(neighbourhood_id=hoornes.id, number=0, is_current=False, source="oud (test)")
    old_h.activated_at = current_h.activated_at
    db.session.add(old_h)
    db.session.commit()
    before, audit_before = _generations(), _area_rows()
    url = f"/beheer/gebieden/voorstel/{proposal.id}"
    assert a.post(url + "/bevestigen", data={"confirm_moves": "y"}).status_code == 403
    assert a.post(url + "/annuleren").status_code == 403
    assert a.post(url + "/keuzes", data={"name_property": "naam"}).status_code == 403
    assert a.post(f"/beheer/gebieden/{old_h.id}/terugzetten").status_code == 403
    upload = {"file": (io.BytesIO(json.dumps(files.current_collection(hoornes)).encode()), "h.geojson")}
    assert a.post("/beheer/gebieden/nieuw?buurt=hoornes", data=upload).status_code == 403
    assert a.post("/beheer/gebieden/nieuw", data={"buurt": "hoornes"}).status_code == 403  # the hidden field too
    edit = {"buurt": "hoornes", "bewerking": "samenvoegen", "gebied_a": "hoornes-west", "gebied_b": "hoornes-oost"}
    assert a.post("/beheer/gebieden/bewerken", data=edit).status_code == 403
    assert a.post("/beheer/gebieden/bewerken", data={**edit, "voorstel": str(proposal.id)}).status_code == 403
    with pytest.raises(ProposalGone):  # the service never confirms it against Rijnsoever either
        proposals.confirm_proposal(proposal.id, neighbourhood=groups[0].neighbourhood, confirm_moves=True)
    assert proposals.discard_proposal(proposal.id, neighbourhood=groups[0].neighbourhood) is False
    assert _generations() == before  # no proposal confirmed, discarded or added; nothing activated
    assert _area_rows() == audit_before
    # the same POSTs from Rijnsoever's own pages still work: the editor merges two of its areas
    merge = {"bewerking": "samenvoegen", "gebied_a": groups[0].slug, "gebied_b": groups[1].slug}
    response = a.post("/beheer/gebieden/bewerken?buurt=rijnsoever", data=merge)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    made = db.session.get(BoundaryGeneration, int(response.headers["Location"].rsplit("/", 1)[-1]))
    assert made.neighbourhood_id == groups[0].neighbourhood_id


def test_a_hoornes_proposal_is_confirmed_against_hoornes_only(app, groups, hoornes, people):
    users, clients = people
    rijnsoever_current = files.current_generation(groups[0].neighbourhood).id
    collection = files.current_collection(hoornes)
    proposal = proposals.save_proposal(collection, neighbourhood=hoornes, source="test", user_id=users["b"].id)
    page = clients["gemeente"].get(f"/beheer/gebieden/voorstel/{proposal.id}")
    assert page.status_code == 200
    assert "Buurt: Hoornes" in page.get_data(as_text=True)
    response = clients["b"].post(f"/beheer/gebieden/voorstel/{proposal.id}/bevestigen", data={"confirm_moves": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert files.current_generation(hoornes).id == proposal.id
    assert files.current_generation(hoornes).number == 2
    assert files.current_generation(groups[0].neighbourhood).id == rijnsoever_current  # Rijnsoever untouched
    assert all(g.is_active for g in groups)


def _hoornes_file_reaching_into_rijnsoever(hoornes, groups) -> tuple[dict, float]:
    """Hoornes' own areas, the first one with a block of about 7,000 m² of Rijnsoever-West added."""
    collection = files.current_collection(hoornes)
    west = shape(files.current_generation(groups[0].neighbourhood).areas[0].geometry)
    point = west.representative_point()
    block = west.intersection(box(point.x - 0.0006, point.y - 0.0004, point.x + 0.0006, point.y + 0.0004))
    first = collection["features"][0]
    first["geometry"] = mapping(shape(first["geometry"]).union(block))
    return json.loads(json.dumps(collection)), area_m2(block)


def test_an_upload_reaching_into_another_neighbourhood_is_shown_on_the_map_and_refused(app, groups, hoornes, people):
    _users, clients = people
    b = clients["b"]
    document, surface = _hoornes_file_reaching_into_rijnsoever(hoornes, groups)
    assert 3_000 < surface < 12_000
    before = _generations()
    upload = {"file": (io.BytesIO(json.dumps(document).encode()), "hoornes.geojson"), "buurt": "hoornes"}
    response = b.post("/beheer/gebieden/nieuw", data=upload)
    assert response.status_code == 302  # kept as a proposal: the preview shows the problem on a map
    proposal_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert db.session.get(BoundaryGeneration, proposal_id).neighbourhood_id == hoornes.id
    page = b.get(f"/beheer/gebieden/voorstel/{proposal_id}")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "in de huidige gebieden van Rijnsoever" in text
    shown = [int(n.replace(".", "")) for n in re.findall(r"voor ([\d.]+) m² in de huidige", text)]
    assert len(shown) == 1
    assert abs(shown[0] - surface) < 0.02 * surface
    assert f"/beheer/gebieden/voorstel/{proposal_id}/kaart" in text
    map_html = b.get(f"/beheer/gebieden/voorstel/{proposal_id}/kaart").get_data(as_text=True)
    assert "Rijnsoever" in map_html  # the problem, with its message as tooltip
    confirm = b.post(f"/beheer/gebieden/voorstel/{proposal_id}/bevestigen", data={"confirm_moves": "y"})
    assert confirm.status_code == 302
    assert [g for g in _generations() if g[0] != proposal_id] == before  # nothing activated
    assert files.current_generation(hoornes).number == 1


def test_the_console_has_a_heading_per_neighbourhood_and_only_the_users_groups(app, groups, hoornes, people):
    _users, clients = people
    twin = hoornes.groups[0]
    twin.name = groups[0].name  # group names repeat across neighbourhoods
    db.session.commit()
    gemeente = clients["gemeente"].get("/beheer/").get_data(as_text=True)
    assert (
        gemeente.index('id="buurt-rijnsoever"') < gemeente.index(groups[0].name) < gemeente.index('id="buurt-hoornes"')
    )
    assert gemeente.index('id="buurt-hoornes"') < gemeente.rindex(groups[0].name)
    own = clients["a"].get("/beheer/").get_data(as_text=True)
    assert 'id="buurt-rijnsoever"' in own
    assert "Hoornes" not in own
    assert f"/beheer/groep/{twin.id}" not in own
    overview_b = clients["b"].get("/beheer/overzicht").get_data(as_text=True)
    assert "BuurtAlarm Hoornes-Oost" in overview_b
    assert groups[1].name not in overview_b
    overview_w = clients["wijkagent"].get("/beheer/overzicht").get_data(as_text=True)
    assert overview_w.count('class="hood-heading"') == 2
    assert overview_w.count(groups[0].name) == 2  # once under each heading
    assert f"/beheer/groep/{twin.id}" not in overview_w  # never a link to a member list


def test_coverage_and_area_pages_pick_the_neighbourhood(app, groups, hoornes, people):
    _users, clients = people
    assert clients["a"].get("/beheer/dekking?buurt=hoornes").status_code == 403
    assert clients["a"].get("/beheer/dekking/kaart?buurt=hoornes").status_code == 403
    assert clients["a"].get("/beheer/gebieden?buurt=hoornes").status_code == 403
    assert clients["a"].get("/beheer/dekking?buurt=nergens").status_code == 404
    own = clients["b"].get("/beheer/dekking").get_data(as_text=True)  # no argument: their own
    assert "Dekkingskaart van Hoornes" in own
    assert "buurt=hoornes" in own
    areas = clients["b"].get("/beheer/gebieden").get_data(as_text=True)
    assert "/beheer/gebieden/bewerken?buurt=hoornes" in areas
    assert f"/beheer/gebieden/{files.current_generation(hoornes).id}" in areas
    assert f'/beheer/gebieden/{files.current_generation(groups[0].neighbourhood).id}"' not in areas
    editor = clients["b"].get("/beheer/gebieden/bewerken").get_data(as_text=True)
    assert "hoornes-west" in editor
    assert groups[0].slug not in editor
    for who in ("wijkagent", "gemeente"):
        page = clients[who].get("/beheer/dekking?buurt=hoornes")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Dekkingskaart van Hoornes" in text
        assert 'name="buurt"' in text
    default = clients["wijkagent"].get("/beheer/dekking").get_data(as_text=True)
    assert "Dekkingskaart van Rijnsoever" in default


def test_the_audit_log_of_a_neighbourhood_coordinator_is_about_their_neighbourhood(app, groups, hoornes, people):
    _users, clients = people
    twin = hoornes.groups[0]
    assert clients["gemeente"].get(f"/beheer/groep/{groups[0].id}").status_code == 200
    assert clients["gemeente"].get(f"/beheer/groep/{twin.id}").status_code == 200
    assert clients["b"].get(f"/beheer/groep/{twin.id}").status_code == 200
    cell = "group #{}</td>"
    for who, sees, not_sees in (("b", twin, groups[0]), ("a", groups[0], twin)):
        text = clients[who].get("/beheer/audit").get_data(as_text=True)
        assert cell.format(sees.id) in text, who
        assert cell.format(not_sees.id) not in text, who
        assert "uw eigen acties" in text
    everything = clients["gemeente"].get("/beheer/audit").get_data(as_text=True)
    assert cell.format(twin.id) in everything
    assert cell.format(groups[0].id) in everything
