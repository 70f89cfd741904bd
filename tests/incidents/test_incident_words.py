"""Words on the incident pages (issue 15, point 10): an incident is an "incident", never a "melding" (that is
the police meldkamer's alert); counts go through ngettext; "u", never "je"; 112 and 0900-8844 are tel: links."""

from __future__ import annotations

import re
from html import unescape

import pytest

from buurt.extensions import db
from buurt.models import Role
from tests.incidents.conftest import report_data
from tests.link_support import open_link, submit_link

#: "melding" where it really means the police alert: the map's layer of police meldingen
POLICE_ALERTS = ("politiemeldingen",)
#: the resident's own act of reporting on the thank-you page ("Bedankt voor uw melding"): kept, because other
#: owners' tests (tests/privacy) find the page by it
THANKS = ("Bedankt voor uw melding",)


def main_text(html: str) -> str:
    """The visible words of <main> (tags and attributes out, entities decoded)."""
    main = html.split('<main id="inhoud">', 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", main))


def attributes(html: str) -> str:
    """title, aria-label and alt texts in <main>: read out too."""
    main = html.split('<main id="inhoud">', 1)[1].split("</main>", 1)[0]
    return " ".join(unescape(v) for v in re.findall(r'(?:title|aria-label|alt)="([^"]*)"', main))


def main_html(html: str) -> str:
    """<main> only: the footer has its own 112 link."""
    return html.split('<main id="inhoud">', 1)[-1].split("</main>", 1)[0]


def meldingen_words(text: str, allowed=()) -> list[str]:
    for phrase in allowed:
        text = text.replace(phrase, "")
    return re.findall(r"\b\w*melding\w*\b", text, flags=re.I)


def assert_words(html: str, allowed=()) -> None:
    text = main_text(html) + " " + attributes(html)
    assert meldingen_words(text, allowed) == []
    assert re.findall(r"\b(je|jij|jouw|jou)\b", text, flags=re.I) == []


@pytest.fixture
def coordinator(make_user, login):
    user = make_user(Role.COORDINATOR)
    login(user)
    return user


def test_wijkagent_page_says_incidenten_and_counts_with_ngettext(client, make_user, login, make_incident):
    login(make_user(Role.WIJKAGENT))
    make_incident(hours_ago=3)
    one = client.get("/incidenten/").get_data(as_text=True)
    assert_words(one, POLICE_ALERTS)
    assert "1 incident " in main_text(one).replace("\n", " ")
    assert "1 incidenten" not in main_text(one)
    make_incident(hours_ago=4)
    two = main_text(client.get("/incidenten/").get_data(as_text=True))
    assert re.search(r"\b2 incidenten\b", two)


def test_filter_summary_names_the_filter_in_words(client, make_user, login, groups):
    login(make_user(Role.WIJKAGENT))
    html = client.get(
        "/incidenten/", query_string={"categorie": ["brand", "overlast"], "periode": "7d", "groep": groups[0].id}
    ).get_data(as_text=True)
    summary = main_text(html.split('id="filter-summary"', 1)[1].split("</p>", 1)[0])
    assert "Periode: Afgelopen 7 dagen" in summary
    assert "Soorten: Overlast, Brand" in summary
    assert f"Groep: {groups[0].name}" in summary
    assert "Gebied: alle" in summary
    ranged = client.get("/incidenten/", query_string={"periode": "range", "van": "2026-01-05", "tot": "2026-02-01"})
    assert "Periode: 05-01-2026 tot en met 01-02-2026" in main_text(ranged.get_data(as_text=True))


def test_detail_and_moderation_forms_say_incident(client, coordinator, make_incident):
    incident = make_incident()
    make_incident(hours_ago=2.1)  # a possible duplicate: the merge button shows
    html = client.get(f"/incidenten/{incident.id}").get_data(as_text=True)
    assert f"Incident #{incident.id}" in html
    assert_words(html)


def test_merge_error_is_in_the_error_summary(client, coordinator, make_incident):
    incident = make_incident()
    response = client.post(f"/incidenten/{incident.id}/samenvoegen", data={"keep_id": incident.id})
    html = response.get_data(as_text=True)
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Een incident kan niet met zichzelf worden samengevoegd." in summary
    assert 'class="flash error"' not in html
    assert_words(html)


def test_correct_error_links_to_its_field(client, coordinator, make_incident):
    incident = make_incident()
    response = client.post(
        f"/incidenten/{incident.id}/corrigeren",
        data={"category": "brand", "occurred_date": "", "occurred_time": "10:00"},
    )
    summary = response.get_data(as_text=True).split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#occurred_date">Vul de datum in.</a>' in summary


def test_report_form_words_summary_and_tel_links(client, resident_link):
    page = open_link(client, resident_link).get_data(as_text=True)
    assert '<a href="tel:112">112</a>' in main_html(page)
    assert '<a href="tel:09008844">0900-8844</a>' in main_html(page)
    assert_words(page)
    refused = submit_link(client, resident_link, data=report_data(lat="", lon="", address=""))
    html = refused.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert "Niet alles is goed ingevuld. Kijk bij de velden" not in html  # the old ad-hoc alert is gone
    assert_words(html)
    thanks = submit_link(client, resident_link, data=report_data()).get_data(as_text=True)
    assert "Bedankt voor uw melding" in thanks
    assert_words(thanks, THANKS)


def test_public_picture_words_plurals_and_tel_links(client, make_incident):
    make_incident(hours_ago=72)
    html = client.get("/incidenten/openbaar").get_data(as_text=True)
    assert_words(html)
    text = main_text(html)
    assert re.search(r"Afgelopen 7 dagen: 1 incident\b", text)
    assert re.search(r"Afgelopen 3 maanden: 1 incident\b", text)
    assert "melding(en)" not in text
    assert '<a href="tel:112">112</a>' in main_html(html)
    assert '<a href="tel:09008844">0900-8844</a>' in main_html(html)


def test_invalid_report_link_page_has_tel_links(client):
    response = open_link(client, "/incidenten/melden/bewoner#niet-geldig")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert '<a href="tel:112">112</a>' in main_html(html)
    assert '<a href="tel:09008844">0900-8844</a>' in main_html(html)
    assert_words(html)


def test_every_table_region_on_the_pages_can_be_reached(client, make_user, login, make_incident):
    """Every table wrapper is a named region in the tab order (axe scrollable-region-focusable)."""
    make_incident(hours_ago=72)
    login(make_user(Role.WIJKAGENT))
    for path in ("/incidenten/", "/incidenten/openbaar"):
        html = client.get(path).get_data(as_text=True)
        wraps = re.findall(r'<div class="table-wrap"[^>]*>', html)
        tables = html.count("<table")
        assert len(wraps) == tables, path
        for wrap in wraps:
            assert 'tabindex="0"' in wrap, wrap
            assert 'role="region"' in wrap, wrap
            assert 'aria-label="' in wrap, wrap


def test_no_incident_is_called_a_melding_in_the_flash_messages(client, coordinator, make_incident):
    incident = make_incident()
    client.post(f"/incidenten/{incident.id}/verbergen")
    html = client.get(f"/incidenten/{incident.id}").get_data(as_text=True)
    assert "Incident verborgen." in html
    assert_words(html)
    assert db.session.get(type(incident), incident.id).status == "hidden"
