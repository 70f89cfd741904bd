"""Creating, forwarding and closing meldingen: stored routing, audit log, timeline, mail, map data."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from buurt.extensions import db
from buurt.meldingen import history, services
from buurt.meldingen.errors import MeldingClosed, MeldingStillOpen
from buurt.meldingen.texts import SAAR_LINE
from buurt.models import AuditEntry, MeldingResult
from buurt.outbox import MailState
from tests.meldingen.conftest import DLAT, DLON, LAT0, LON0

pytestmark = pytest.mark.usefixtures("request_ctx")


def audit_actions():
    return [
        (e.action, e.target_id, e.details) for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_create_stores_targets_and_neighbours_nearest_first(make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100)  # Noord, 76 m from both Midden groups
    targets = [t for t in melding.targets if not t.is_neighbour]
    neighbours = [t for t in melding.targets if t.is_neighbour]
    assert next(t.group.name for t in targets) == "BuurtAlarm Rijnsoever-Noord"
    assert len(targets) == 3
    assert {t.group.name for t in neighbours} == {"BuurtAlarm Rijnsoever-Oost", "BuurtAlarm Rijnsoever-West"}
    assert melding.occurred_at == datetime(2025, 3, 4, 13, 5, tzinfo=UTC)  # 14:05 Amsterdam, stored UTC
    assert melding.is_open
    assert audit_actions()[-1] == (
        "melding.create",
        melding.id,
        {"targets": 3, "neighbours": 2, "category": "verdachte_situatie"},
    )
    assert [t.group_id for t in services.waiting_groups(melding)] == [t.group_id for t in targets]


def test_received_text_is_cleaned_and_capped(make_melding):
    melding = make_melding(text="Tekst\x00 met controle\x07tekens " + "x" * 5000)
    assert "\x00" not in melding.received_text
    assert len(melding.received_text) == 4000


def test_forward_is_logged_once_and_shows_in_the_timeline(make_melding, make_user, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)  # West
    west = groups[0]
    beheerder = make_user("beheerder", groups=[west], name="Beheerder Fictief")
    target = services.get_target(melding, west.id)
    assert services.mark_forwarded(melding, target, beheerder) is True
    assert services.mark_forwarded(melding, target, beheerder) is False  # second click changes nothing
    assert target.forwarded_by.name == "Beheerder Fictief"
    assert services.waiting_groups(melding) == []
    forwards = [a for a in audit_actions() if a[0] == "melding.forward"]
    assert forwards == [("melding.forward", melding.id, {"group_id": west.id, "neighbour": False})]
    events = history.timeline(melding)
    assert [e.kind for e in events] == ["created", "forward"]
    assert events[1].text == "Doorgestuurd naar BuurtAlarm Rijnsoever-West"
    assert events[1].who == "Beheerder Fictief"


def test_close_then_close_forward(make_melding, coordinator, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)
    west = services.get_target(melding, groups[0].id)
    services.mark_forwarded(melding, west, coordinator)
    with pytest.raises(MeldingStillOpen):
        services.mark_close_forwarded(melding, west, coordinator)
    services.close_melding(melding, coordinator, MeldingResult.FOUND, "Man \x00aangehouden.")
    assert melding.result == MeldingResult.FOUND
    assert melding.result_note == "Man aangehouden."
    with pytest.raises(MeldingClosed):
        services.close_melding(melding, coordinator, "ingetrokken", None)
    with pytest.raises(MeldingClosed):
        services.mark_forwarded(melding, services.get_target(melding, groups[1].id), coordinator)
    closing = services.closing_texts(melding)
    assert [c.group_id for c in closing] == [groups[0].id]  # only the groups it went to
    assert "Afgemeld: gevonden" in closing[0].text
    assert "Man aangehouden." in closing[0].text
    assert services.mark_close_forwarded(melding, west, coordinator) is True
    assert services.mark_close_forwarded(melding, west, coordinator) is False
    actions = [a[0] for a in audit_actions()]
    assert actions == ["melding.create", "melding.forward", "melding.close", "melding.close_forward"]
    assert [e.kind for e in history.timeline(melding)] == ["created", "forward", "close", "close_forward"]


def test_a_neighbour_forwarded_after_all_counts_as_reached(make_melding, coordinator, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)
    neighbour = next(t for t in melding.targets if t.is_neighbour)
    assert neighbour not in services.reached_targets(melding)
    services.mark_forwarded(melding, neighbour, coordinator)
    assert neighbour in services.reached_targets(melding)
    assert neighbour not in services.waiting_groups(melding)


def test_forward_texts_per_group(make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100)
    texts = services.forward_texts(melding)
    assert len(texts) == len(melding.targets)
    assert "In of aan de rand van ons gebied" in texts[0].text
    assert "Ca. 80 m van ons gebied" in texts[1].text
    assert all("*Verdachte situatie*" in t.text and "Omgeving Fictieweg, Katwijk" in t.text for t in texts)
    assert all("Politiebericht: verdachte man bij de Fictieweg." in t.text for t in texts)  # the police's own words


def test_meldingen_for_map(make_melding, groups):
    inside = make_melding(lat=52.2127, lon=4.413965, radius=100)  # West only
    far = make_melding(lat=52.2030, lon=4.3950, radius=100)  # no group
    since = datetime(2025, 3, 1, tzinfo=UTC)
    until = datetime(2025, 3, 5, tzinfo=UTC)
    rows = services.meldingen_for_map(since, until)
    assert [r["id"] for r in rows] == [inside.id, far.id]
    assert rows[0] == {
        "lat": 52.2127,
        "lon": 4.413965,
        "category": "verdachte_situatie",
        "occurred_at": datetime(2025, 3, 4, 13, 5, tzinfo=UTC),
        "id": inside.id,
    }
    assert [r["id"] for r in services.meldingen_for_map(since, until, group_ids=[groups[0].id])] == [inside.id]
    assert services.meldingen_for_map(since, until, group_ids=[groups[4].id]) == []  # Oost: not a target
    assert services.meldingen_for_map(until, until + timedelta(days=1)) == []


class TestMail:
    @pytest.fixture
    def app_config(self, mail_app_config):
        return mail_app_config

    def test_beheerders_of_target_groups_get_the_text(self, make_melding, make_user, groups, deliver_mail):
        west_beheerder = make_user("beheerder", groups=[groups[0]], email="west@example.org")
        make_user("beheerder", groups=[groups[4]], email="oost@example.org")  # Oost: not a target
        melding = make_melding(lat=52.2127, lon=4.413965, radius=100)
        messages = deliver_mail()
        assert [m["To"] for m in messages] == [west_beheerder.email]
        assert messages[0]["Subject"] == "Politiebericht voor BuurtAlarm Rijnsoever-West: Verdachte situatie"
        body = messages[0].get_body(("plain",)).get_content()
        assert "*Politiebericht* 🚨" in body
        assert SAAR_LINE in body
        assert f"http://localhost/meldingen/{melding.id}#groep-{groups[0].id}" in body.splitlines()  # their own text
        assert services.mail_summary(melding).total == 1
        assert services.mail_summary(melding, closing=True).total == 0  # no closing mail yet
        services.close_melding(melding, west_beheerder, "niet_gevonden", None)
        assert len(deliver_mail()) == 2
        assert services.mail_summary(melding, closing=True).states == {groups[0].id: MailState.SENT}
        assert " ".join(messages[1]["Subject"].split()).startswith(
            "Afmelding politiebericht voor BuurtAlarm Rijnsoever-West"
        )


def test_no_mail_without_smtp(make_melding, make_user, groups):
    make_user("beheerder", groups=[groups[0]])
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)
    assert services.notify_beheerders(melding) == 0


def test_per_neighbourhood_puts_the_nearest_groups_neighbourhood_first_then_the_neighbourhoods_order(
    make_squares, make_melding, rijnsoever
):
    first = make_squares()["a"].neighbourhood
    second = make_squares()["a"].neighbourhood  # the same squares again, in a second neighbourhood
    first.sort_order, second.sort_order, rijnsoever.sort_order = 0, 0, 1
    db.session.commit()
    melding = make_melding(lat=LAT0 + DLAT / 2, lon=LON0 + DLON / 2, radius=5000)  # reaches Rijnsoever too
    sections = services.per_neighbourhood(melding.targets)
    assert [s.neighbourhood.id for s in sections] == [first.id, second.id, rijnsoever.id]
    for section in sections:
        assert {t.group.neighbourhood_id for t in section.targets} == {section.neighbourhood.id}
    assert sum(len(s.targets) for s in sections) == len(melding.targets)


def test_the_nearest_groups_neighbourhood_comes_first_even_when_it_is_last_in_the_order(
    make_squares, make_melding, rijnsoever
):
    squares = make_squares()["a"].neighbourhood
    squares.sort_order, rijnsoever.sort_order = 2, 1
    db.session.commit()
    melding = make_melding(lat=LAT0 + DLAT / 2, lon=LON0 + DLON / 2, radius=5000)  # reaches Rijnsoever too
    assert melding.targets[0].group.neighbourhood_id == squares.id
    sections = services.per_neighbourhood(melding.targets)
    assert [s.neighbourhood.id for s in sections] == [squares.id, rijnsoever.id]


def test_a_melding_without_text_is_refused_in_dutch_and_not_stored(make_melding):
    from buurt.meldingen.errors import MeldingError
    from buurt.models import Melding

    with pytest.raises(MeldingError, match=r"^Plak de tekst van de melding\.$"):
        make_melding(text=" \x00\x07 ")
    assert db.session.scalar(db.select(Melding)) is None


def test_a_melding_stores_its_place_as_resolved_cut_to_its_columns(app, caplog):
    """The label and street are what the beheerders read back (String(200) columns: PostgreSQL would
    refuse 201 characters); no street is NULL, not ""; a melding made without a user (a script)
    has no author; the audit row names the melding."""
    from buurt.meldingen.location import Location

    def create(label, street):
        with app.test_request_context():
            return services.create_melding(
                user=None,
                received_text="Fictief politiebericht: verdachte persoon (testgegevens).",
                category="verdachte_situatie",
                occurred_at=datetime(2025, 3, 4, 14, 5),
                location=Location(52.2127, 4.413965, label, street, "kaart"),
                radius_m=100,
            )

    with caplog.at_level(logging.INFO, logger="buurt.meldingen.services"):
        long = create("Fictieweg 1, Katwijk " + "l" * 250, "Fictieweg " + "s" * 250)
    # the log says which melding and how many groups, never its text or place
    assert f"melding {long.id} created: 1 target group(s)" in [r.getMessage() for r in caplog.records]
    assert "Fictieweg" not in caplog.text
    assert (long.location_label, long.location_street) == (
        ("Fictieweg 1, Katwijk " + "l" * 250)[:200],
        ("Fictieweg " + "s" * 250)[:200],
    )
    assert long.created_by_id is None
    assert [create("Punt op de kaart", s).location_street for s in ("", None)] == [None, None]
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="melding.create")).first()
    assert (entry.target_type, entry.target_id) == ("melding", long.id)
