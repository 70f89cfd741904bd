"""The beheerder's WhatsApp work per queued person (issue 15, point 3): save the contact (one vCard,
or the whole queue), a wa.me link with the welcome text and the group's invite link, "Toegevoegd"
and its undo, the undo of a task's "Gedaan"; members a page at a time or by a name search."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from buurt.beheer.console import MEMBERS_PER_PAGE, welcome_text
from buurt.extensions import db
from buurt.models import AuditEntry, GroupTask, RemovalReason, Resident, ResidentStatus, Role, TaskKind, utcnow
from tests.beheer.test_exports import parse_vcards, unescape
from tests.security.test_map_xss_browser import IN_MARKUP

#: every character vCard escapes (, ; \ and a newline), and the markup payload of the XSS tests
HOSTILE_NAME = "Fictief, de; Naam\\Test\nTweede regel " + IN_MARKUP[:60]
INVITE = "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"


def _audit(action):
    return list(db.session.scalars(db.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)))


def _fresh(resident_id) -> Resident:
    db.session.expire_all()
    return db.session.get(Resident, resident_id)


# --- save the contact ---------------------------------------------------------------------------------


def test_one_persons_vcard_escapes_a_hostile_name(console_client, group_a, make_resident):
    person = make_resident(group_a, name=HOSTILE_NAME, phone_e164="+31612340001")
    make_resident(group_a, name="Iemand Anders")
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert f'href="/beheer/groep/{group_a.id}/bewoner/{person.id}.vcf"' in html
    response = console_client.get(f"/beheer/groep/{group_a.id}/bewoner/{person.id}.vcf")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="aanmelding-{person.id}.vcf"'
    [card] = parse_vcards(response.get_data(as_text=True), "3.0")  # one card, every line a content line
    assert unescape(card["FN"][0][1]) == HOSTILE_NAME
    assert card["TEL"][0][1] == "+31612340001"
    entry = _audit("export.vcard")[-1]
    assert (entry.target_type, entry.target_id, entry.details["count"]) == ("resident", person.id, 1)
    assert "Fictief" not in str(entry.details)


def test_the_whole_queue_as_one_vcard_file(console_client, group_a, make_resident):
    first = make_resident(group_a, name="Eerste Wachtende", created_at=utcnow() - timedelta(days=3))
    second = make_resident(group_a, name=HOSTILE_NAME)
    make_resident(group_a, status=ResidentStatus.ADDED, name="Al Lid")
    make_resident(group_a, status=ResidentStatus.WAITLIST, name="Op De Wachtlijst")
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert f'href="/beheer/groep/{group_a.id}/wachtrij.vcf"' in html
    response = console_client.get(f"/beheer/groep/{group_a.id}/wachtrij.vcf")
    assert response.headers["Cache-Control"] == "no-store"
    cards = parse_vcards(response.get_data(as_text=True), "3.0")
    assert [unescape(c["FN"][0][1]) for c in cards] == [first.name, second.name]  # pending only, oldest first
    entry = _audit("export.vcard")[-1]
    assert (entry.target_type, entry.target_id, entry.details["count"], entry.details["scope"]) == (
        "group",
        group_a.id,
        2,
        "queue",
    )


def test_vcards_only_for_the_own_group(client, login, make_user, groups, group_a, make_resident):
    person = make_resident(group_a)
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))
    assert client.get(f"/beheer/groep/{group_a.id}/bewoner/{person.id}.vcf").status_code == 403
    assert client.get(f"/beheer/groep/{group_a.id}/wachtrij.vcf").status_code == 403
    # through the own group's address: a person of another group is not found
    assert client.get(f"/beheer/groep/{groups[3].id}/bewoner/{person.id}.vcf").status_code == 404
    assert _audit("export.vcard") == []


def test_a_removed_persons_card_is_gone(console_client, group_a, make_resident):
    person = make_resident(group_a, status=ResidentStatus.REMOVED)
    assert console_client.get(f"/beheer/groep/{group_a.id}/bewoner/{person.id}.vcf").status_code == 404


# --- the WhatsApp message ------------------------------------------------------------------------------


def _wa_href(html: str, resident_id: int) -> str:
    row = html[html.index(f'data-resident="{resident_id}"') :]
    return htmllib.unescape(re.search(r'<a class="button wa" href="([^"]+)"', row).group(1))


def test_the_wa_me_link_carries_the_welcome_text_with_the_invite_link(console_client, group_a, make_resident):
    group_a.invite_link = INVITE
    group_a.name = 'Noord & "Zuid" #1?'  # characters that mean something in a URL
    db.session.commit()
    person = make_resident(group_a, phone_e164="+31612345678")
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    href = _wa_href(html, person.id)
    base, _, encoded = href.partition("?text=")
    assert base == "https://wa.me/31612345678"
    assert not re.search(r"[\s&#?\"<>]", encoded), "the text is percent-encoded for the URL"
    text = unquote(encoded)
    assert text == welcome_text(group_a)
    assert INVITE in text
    assert 'Noord & "Zuid" #1?' in text
    assert "http://localhost/regels" in text
    assert person.name not in text  # wa.me is someone else's server: no more than the number


def test_without_an_invite_link_the_text_says_they_will_be_added(console_client, group_a, make_resident):
    person = make_resident(group_a)
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    text = unquote(_wa_href(html, person.id).partition("?text=")[2])
    assert "binnenkort toe" in text
    assert "chat.whatsapp.com" not in text
    assert "nog geen uitnodigingslink" in html  # and the beheerder is told where to set one


# --- undo "Toegevoegd" -------------------------------------------------------------------------------------


def test_undo_added_within_the_window_puts_them_back_exactly(console_client, group_a, make_resident):
    person = make_resident(group_a, needs_review=True, is_border=True)
    url = f"/beheer/groep/{group_a.id}/bewoner/{person.id}"
    page = console_client.post(f"{url}/toegevoegd", follow_redirects=True).get_data(as_text=True)
    assert _fresh(person.id).status == ResidentStatus.ADDED
    assert f'action="{url}/ongedaan-maken"' in page  # the undo is offered right after the click
    page = console_client.post(f"{url}/ongedaan-maken", follow_redirects=True).get_data(as_text=True)
    assert "weer in de wachtrij" in page
    back = _fresh(person.id)
    assert (back.status, back.added_at, back.added_by_id, back.needs_review) == (
        ResidentStatus.PENDING,
        None,
        None,
        True,
    )
    queue = page[page.index('data-list="pending"') :]
    assert f'data-resident="{person.id}"' in queue
    [undone] = _audit("resident.added_undone")
    assert (undone.target_id, undone.details) == (person.id, {"group": group_a.id})
    # a second undo changes nothing
    page = console_client.post(f"{url}/ongedaan-maken", follow_redirects=True).get_data(as_text=True)
    assert "kan niet meer ongedaan" in page
    assert len(_audit("resident.added_undone")) == 1


def test_undo_added_is_refused_after_the_window(console_client, group_a, make_resident):
    person = make_resident(group_a)
    url = f"/beheer/groep/{group_a.id}/bewoner/{person.id}"
    console_client.post(f"{url}/toegevoegd")
    earlier = utcnow() - timedelta(minutes=16)
    db.session.execute(db.update(Resident).where(Resident.id == person.id).values(added_at=earlier, updated_at=earlier))
    db.session.commit()
    page = console_client.post(f"{url}/ongedaan-maken", follow_redirects=True).get_data(as_text=True)
    assert "15 minuten na de klik" in page
    assert _fresh(person.id).status == ResidentStatus.ADDED
    assert _audit("resident.added_undone") == []


def test_undo_added_is_refused_when_something_changed_since(console_client, group_a, make_resident):
    person = make_resident(group_a)
    url = f"/beheer/groep/{group_a.id}/bewoner/{person.id}"
    console_client.post(f"{url}/toegevoegd")
    member = _fresh(person.id)
    member.name = "Nieuwe Naam Via Mijn Gegevens"  # the ORM moves updated_at on
    db.session.commit()
    page = console_client.post(f"{url}/ongedaan-maken", follow_redirects=True).get_data(as_text=True)
    assert "er is intussen iets veranderd" in page
    assert _fresh(person.id).status == ResidentStatus.ADDED


def test_undo_added_by_a_beheerder_of_another_group_is_forbidden(
    client, login, make_user, groups, group_a, make_resident
):
    first = make_user(Role.BEHEERDER, groups=[group_a])
    person = make_resident(group_a)
    login(first)
    client.post(f"/beheer/groep/{group_a.id}/bewoner/{person.id}/toegevoegd")
    client.post("/uitloggen")
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))
    assert client.post(f"/beheer/groep/{group_a.id}/bewoner/{person.id}/ongedaan-maken").status_code == 403
    assert _fresh(person.id).status == ResidentStatus.ADDED


# --- undo a task's "Gedaan" -------------------------------------------------------------------------------


@pytest.fixture
def task(group_a, make_resident):
    person = make_resident(group_a, status=ResidentStatus.ADDED)
    row = GroupTask(
        group_id=group_a.id,
        kind=TaskKind.REMOVE_FROM_WHATSAPP,
        resident_id=person.id,
        display_name="Fictief Oud Lid",
        phone_e164="+31611112222",
        reason=RemovalReason.MOVED,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _undo_token(page: str) -> str:
    return htmllib.unescape(re.search(r'name="undo" value="([^"]+)"', page).group(1))


def test_undo_task_done_restores_the_task(console_client, group_a, task):
    page = console_client.post(f"/beheer/groep/{group_a.id}/taak/{task.id}/klaar").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(GroupTask, task.id).display_name is None  # erased at once, as before
    token = _undo_token(page)
    page = console_client.post(
        f"/beheer/groep/{group_a.id}/taak/ongedaan-maken", data={"undo": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "de taak staat weer open" in page
    db.session.expire_all()
    back = db.session.get(GroupTask, task.id)
    assert (back.done_at, back.done_by_id, back.display_name, back.phone_e164) == (
        None,
        None,
        "Fictief Oud Lid",
        "+31611112222",
    )
    assert back.resident_id is not None
    assert len(_audit("task.done_undone")) == 1
    # the same token again: the task changed since (it is open)
    page = console_client.post(
        f"/beheer/groep/{group_a.id}/taak/ongedaan-maken", data={"undo": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "kan niet meer ongedaan" in page


def test_undo_task_done_after_the_window_or_forged_is_refused(app, console_client, group_a, task):
    page = console_client.post(f"/beheer/groep/{group_a.id}/taak/{task.id}/klaar").get_data(as_text=True)
    token = _undo_token(page)
    forged = console_client.post(
        f"/beheer/groep/{group_a.id}/taak/ongedaan-maken", data={"undo": token[:-3] + "xyz"}, follow_redirects=True
    )
    assert "kan niet ongedaan" in forged.get_data(as_text=True)
    db.session.execute(
        db.update(GroupTask).where(GroupTask.id == task.id).values(done_at=utcnow() - timedelta(minutes=20))
    )
    db.session.commit()
    late = console_client.post(
        f"/beheer/groep/{group_a.id}/taak/ongedaan-maken", data={"undo": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "kan niet meer ongedaan" in late
    db.session.expire_all()
    assert db.session.get(GroupTask, task.id).display_name is None


def test_undo_task_for_another_group_is_forbidden(client, login, make_user, groups, group_a, task):
    login(make_user(Role.BEHEERDER, groups=[group_a]))
    token = _undo_token(client.post(f"/beheer/groep/{group_a.id}/taak/{task.id}/klaar").get_data(as_text=True))
    client.post("/uitloggen")
    other = groups[3]
    login(make_user(Role.BEHEERDER, groups=[other]))
    assert client.post(f"/beheer/groep/{group_a.id}/taak/ongedaan-maken", data={"undo": token}).status_code == 403
    # the token of group A's task, posted to the own group: refused (the token names its group)
    page = client.post(
        f"/beheer/groep/{other.id}/taak/ongedaan-maken", data={"undo": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "kan niet ongedaan" in page
    db.session.expire_all()
    assert db.session.get(GroupTask, task.id).done_at is not None


# --- members: a page at a time, or by name ----------------------------------------------------------------


def _member_rows(page: str) -> list[str]:
    table = page[page.index('data-list="members"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr data-resident=\"\d+\"><td>([^<]+)</td>", table)


def test_members_come_a_page_at_a_time(console_client, group_a, make_resident):
    total = MEMBERS_PER_PAGE * 2 + 3
    for n in range(total):
        make_resident(group_a, status=ResidentStatus.ADDED, name=f"Lid {n:03d}")
    make_resident(group_a, name="Wachtende")
    first = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert first.index('id="wachtrij"') < first.index('id="leden"')  # the queue stays first
    assert f"Leden ({total})" in first
    assert _member_rows(first) == [f"Lid {n:03d}" for n in range(MEMBERS_PER_PAGE)]
    assert "Pagina 1 van 3" in first
    last = console_client.get(f"/beheer/groep/{group_a.id}?pagina=3").get_data(as_text=True)
    assert _member_rows(last) == [f"Lid {n:03d}" for n in range(MEMBERS_PER_PAGE * 2, total)]
    beyond = console_client.get(f"/beheer/groep/{group_a.id}?pagina=9").get_data(as_text=True)
    assert _member_rows(beyond) == _member_rows(last)


def test_members_search_by_name_is_a_post_and_takes_text_literally(console_client, group_a, make_resident):
    make_resident(group_a, status=ResidentStatus.ADDED, name="Anna de Vries")
    make_resident(group_a, status=ResidentStatus.ADDED, name="Bert Jansen")
    make_resident(group_a, status=ResidentStatus.ADDED, name="100% Zeker")
    url = f"/beheer/groep/{group_a.id}/leden/zoeken"
    assert console_client.get(url).status_code == 405  # never a name in a URL (access logs)
    found = console_client.post(url, data={"q": "  VRIES "}).get_data(as_text=True)
    assert _member_rows(found) == ["Anna de Vries"]
    assert "1 lid gevonden met ‘VRIES’" in found
    assert _member_rows(console_client.post(url, data={"q": "%"}).get_data(as_text=True)) == ["100% Zeker"]
    none = console_client.post(url, data={"q": "_"}).get_data(as_text=True)
    assert 'data-list="members"' not in none
    assert "Geen lid met die naam." in none
    hostile = console_client.post(url, data={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in hostile
    assert "VRIES" not in str([e.details for e in db.session.scalars(db.select(AuditEntry))])


def test_a_too_long_search_is_explained_in_the_form(console_client, group_a, make_resident):
    make_resident(group_a, status=ResidentStatus.ADDED, name="Anna de Vries")
    response = console_client.post(f"/beheer/groep/{group_a.id}/leden/zoeken", data={"q": "x" * 61})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert 'href="#q"' in page
    assert "hoogstens 60 tekens" in page
    assert 'aria-invalid="true"' in page


def test_members_search_for_another_group_is_forbidden(client, login, make_user, groups, group_a):
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))
    assert client.post(f"/beheer/groep/{group_a.id}/leden/zoeken", data={"q": "a"}).status_code == 403


# --- the sub-menu shows each role only what it can open ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path", "shown", "hidden"),
    [
        (
            Role.WIJKAGENT,
            "/beheer/dekking",
            ["Overzicht alle groepen", "Dekkingskaart", "Gebieden"],
            ["Mijn groepen", "Auditlog"],
        ),
        (
            Role.BEHEERDER,
            "/beheer/",
            ["Mijn groepen", "Dekkingskaart", "Gebieden"],
            ["Overzicht alle groepen", "Auditlog"],
        ),
        (Role.COORDINATOR, "/beheer/", ["Mijn groepen", "Overzicht alle groepen", "Auditlog"], []),
    ],
)
def test_the_sub_menu_shows_only_doors_that_open(client, login, make_user, group_a, role, path, shown, hidden):
    login(make_user(role, groups=[group_a] if role == Role.BEHEERDER else []))
    page = client.get(path).get_data(as_text=True)
    nav = page[page.index('class="subnav"') :]
    nav = nav[: nav.index("</nav>")]
    links = {text: href for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}
    for text in shown:
        assert text in links
    for text in hidden:
        assert text not in links
    for href in links.values():  # every door opens
        assert client.get(href).status_code == 200, href
