"""Meldingen never wait on the mail server; the page shows per group whether the beheerders were mailed."""

from __future__ import annotations

import logging
import re
import threading

import pytest

from buurt.extensions import db
from buurt.meldingen import services
from buurt.meldingen.errors import MeldingClosed
from buurt.models import AuditEntry, Melding, OutboxMessage, User, utcnow
from buurt.outbox import deliver_due
from tests.conftest import relay_answers


@pytest.fixture
def app_config(silent_smtp_server):
    """The relay accepts the connection and never answers."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": silent_smtp_server.port, "MAIL_TIMEOUT": 1}


@pytest.fixture
def beheerders(make_user, groups):
    """One beheerder with an e-mail address per default group."""
    return [make_user("beheerder", groups=[g], email=f"beheerder-{g.slug}@example.org") for g in groups]


def form_data():
    return {
        "received_text": "Politiebericht: verdachte man bij de Fictieweg te Katwijk. Informatie? Bel 112.",
        "category": "verdachte_situatie",
        "occurred_at": "2025-03-04T14:05",
        "location": "",
        "lat": "52.2115",
        "lon": "4.4210",
        "radius_m": "2000",  # every default group is a target
    }


def queued(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(kind=kind).order_by(OutboxMessage.id)))


def mail_line(html: str, id_: str) -> str:
    match = re.search(rf'id="{id_}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no #{id_} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_a_melding_with_a_silent_relay_is_stored_at_once_and_mailed_once_it_answers(
    app, client, login, coordinator, beheerders, groups, silent_smtp_server, smtp_server
):
    login(coordinator)
    response = client.post("/meldingen/nieuw", data=form_data())
    assert response.status_code == 302
    melding = db.session.scalar(db.select(Melding))
    assert silent_smtp_server.connections() == 0  # the request never talked SMTP
    messages = queued("melding")
    assert sorted(m.group_id for m in messages) == sorted(g.id for g in groups)
    assert {m.melding_id for m in messages} == {melding.id}

    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert mail_line(html, "mail-melding") == "E-mail aan de beheerders: 0 van 5 groepen gemaild, 5 wachten."
    assert html.count("wacht op verzending") == 5

    assert deliver_due().retrying == 5  # the silent relay: every group waits for a retry
    relay_answers(app, smtp_server)
    later = max(m.next_attempt_at for m in queued("melding"))
    assert deliver_due(now=later, limit=3).sent == 3
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert mail_line(html, "mail-melding") == "E-mail aan de beheerders: 3 van 5 groepen gemaild, 2 wachten."
    assert deliver_due(now=later).sent == 2
    assert deliver_due(now=later).attempted == 0
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert mail_line(html, "mail-melding") == "E-mail aan de beheerders: 5 van 5 groepen gemaild."
    assert sorted(m["To"] for m in smtp_server.inbox.messages) == sorted(b.email for b in beheerders)


def test_closing_with_a_silent_relay_answers_at_once_and_queues_the_closing_mails(
    app, client, login, coordinator, beheerders, groups, silent_smtp_server
):
    login(coordinator)
    client.post("/meldingen/nieuw", data=form_data())
    melding = db.session.scalar(db.select(Melding))
    response = client.post(f"/meldingen/{melding.id}/afmelden", data={"result": "niet_gevonden", "note": ""})
    assert response.status_code == 302
    assert silent_smtp_server.connections() == 0
    assert len(queued("melding_closed")) == 5
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert mail_line(html, "mail-afmelding") == "E-mail aan de beheerders: 0 van 5 groepen gemaild, 5 wachten."


def test_a_mail_given_up_shows_as_not_sent(app, client, login, coordinator, beheerders, make_melding):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)  # one target group: West
    [message] = queued("melding")
    message.gave_up_at = utcnow()
    db.session.commit()
    login(coordinator)
    html = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert mail_line(html, "mail-melding") == "E-mail aan de beheerders: 0 van 1 groep gemaild, 1 niet verzonden."
    assert 'data-mail="failed"' in html


def test_no_mail_line_without_a_mail_server(app, client, login, coordinator, beheerders, make_melding):
    app.config["MAIL_SERVER"] = None
    melding = make_melding()
    assert queued("melding") == []
    login(coordinator)
    assert 'id="mail-melding"' not in client.get(f"/meldingen/{melding.id}").get_data(as_text=True)


def test_two_closes_at_once_close_once_and_queue_the_closing_mails_once(app, beheerders, make_melding, coordinator):
    melding = make_melding(radius=2000)
    targets = len(services.reached_targets(melding))
    user_id = coordinator.id
    start = threading.Barrier(2)
    outcomes = []

    def close(result):
        with app.test_request_context():
            mine, user = db.session.get(Melding, melding.id), db.session.get(User, user_id)
            start.wait()
            try:
                services.close_melding(mine, user, result, None)
            except MeldingClosed:
                outcomes.append("already")
            else:
                outcomes.append(result)

    threads = [threading.Thread(target=close, args=(r,)) for r in ("gevonden", "niet_gevonden")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("already") == 1
    [winner] = [o for o in outcomes if o != "already"]
    db.session.expire_all()
    closed = db.session.get(Melding, melding.id)
    assert closed.result.value == winner
    assert len(queued("melding_closed")) == targets
    assert len(db.session.scalars(db.select(AuditEntry).filter_by(action="melding.close")).all()) == 1


def test_marking_forwarded_twice_at_once_marks_once(app, beheerders, make_melding, coordinator):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)
    group_id, user_id = melding.targets[0].group_id, coordinator.id
    start = threading.Barrier(2)
    outcomes = []

    def forward():
        with app.test_request_context():
            mine = db.session.get(Melding, melding.id)
            target, user = services.get_target(mine, group_id), db.session.get(User, user_id)
            start.wait()
            outcomes.append(services.mark_forwarded(mine, target, user))

    threads = [threading.Thread(target=forward) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False, True]


def test_the_closing_mail_carries_the_closing_text_and_links_to_it(app, beheerders, make_melding, coordinator, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)  # one target group: West
    services.close_melding(melding, coordinator, "gevonden", None)
    [mail] = queued("melding_closed")
    west = groups[0]
    name = services.group_labels()(west)
    assert mail.group_id == west.id
    assert mail.subject == f"Afmelding politiebericht voor {name}: Verdachte situatie"
    assert mail.body.startswith(
        f"De melding is afgemeld. Plak deze afmelding in de groep {name}:\n\n{services.closing_text_for(melding)}\n\n"
    )
    assert f"/meldingen/{melding.id}#afmelding-{west.id}\n" in mail.body
    [first] = queued("melding")
    assert f"/meldingen/{melding.id}#groep-{west.id}\n" in first.body


def test_groups_without_an_active_beheerder_are_skipped_and_the_rest_mailed(
    app, beheerders, make_melding, coordinator, caplog
):
    melding = make_melding(radius=2000)  # every default group is a target
    reached = services.reached_targets(melding)
    assert len(reached) == 5
    first = next(b for b in beheerders if reached[0].group in b.groups)
    first.active = False  # the first group in routing order has nobody to mail
    db.session.commit()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="buurt.meldingen.services"):
        assert services.notify_beheerders(melding) == 4
        assert services.notify_beheerders(melding, closing=True) == 4
    assert [r.getMessage() for r in caplog.records if r.name == "buurt.meldingen.services"] == [
        f"melding {melding.id}: 4 group mail(s) queued",
        f"melding {melding.id}: 4 group mail(s) queued (closing)",
    ]
    assert reached[0].group_id not in {m.group_id for m in queued("melding_closed")}
