"""The WhatsApp texts: required parts, cleaning, escaping on the page, length cap."""

import re
from datetime import UTC, datetime

from buurt.meldingen import texts

WHEN = datetime(2025, 3, 4, 13, 5, tzinfo=UTC)  # 14:05 in Amsterdam (winter time)
POLICE = (
    "Politiebericht: i.v.m. een woninginbraak in de omgeving van de Fictieweg te Katwijk graag uitkijken naar "
    "een man, ca. 1.85 m, donkere jas, op een zwarte scooter, richting Verzonnenlaan. Informatie? Bel 112."
)


def make(**overrides):
    values = {
        "category_label": "Woninginbraak",
        "occurred_at": WHEN,
        "location": "Omgeving Fictieweg, Katwijk",
        "received_text": POLICE,
        "lat": 52.2134567,
        "lon": 4.4245678,
        "distance_m": 0.0,
    }
    values.update(overrides)
    return texts.forward_text(**values)


def test_forward_text_has_every_required_part():
    text = make()
    lines = text.splitlines()
    assert lines[0] == "*Politiebericht* 🚨"
    assert "*Woninginbraak*" in text
    assert "📍 Omgeving Fictieweg, Katwijk" in text
    assert "di 4 mrt 14:05" in text  # local time, Dutch
    assert POLICE in text
    # SAAR as the footer and the groepsregels say it, with "u"; no replies to police messages in the group
    assert texts.SAAR_LINE == "Ziet u iets verdachts? Bel eerst 112, meld het daarna in de groep."
    assert texts.SAAR_LINE in text
    assert texts.REPLY_LINE in text
    assert not re.search(r"\b(je|jij|jouw|jullie)\b", text, re.IGNORECASE)
    assert "https://www.openstreetmap.org/?mlat=52.21346&mlon=4.42457#map=17/52.21346/4.42457" in text
    assert "In of aan de rand van ons gebied" in text


def test_distance_line_per_group():
    assert "Ca. 240 m van ons gebied" in make(distance_m=237.4)
    assert "Ca. 1,3 km van ons gebied" in make(distance_m=1290)
    assert "ons gebied" not in make(distance_m=None)


def test_summer_time_is_shown_in_local_time():
    assert "za 5 jul 01:30" in make(occurred_at=datetime(2025, 7, 4, 23, 30, tzinfo=UTC))


def test_control_characters_are_stripped_but_line_breaks_kept():
    dirty = "Regel een\x00\x07\r\nRegel\u200b twee\u202e\t met tab\r\n\n\n\n\nRegel drie\x1b[31m"
    cleaned = texts.clean_text(dirty)
    assert cleaned == "Regel een\nRegel twee met tab\n\nRegel drie[31m"
    text = make(received_text=dirty)
    assert "\x00" not in text
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\r" not in text


def test_emoji_with_joiners_survive_cleaning():
    assert texts.clean_text("Let op 👨‍👩‍👧 gezin") == "Let op 👨‍👩‍👧 gezin"


def test_long_police_text_is_shortened_and_required_parts_stay():
    text = make(received_text="Lange tekst. " * 1000)
    assert len(text) <= texts.MAX_TEXT_LENGTH
    assert "…" in text
    assert texts.SAAR_LINE in text
    assert "openstreetmap.org" in text
    assert "*Woninginbraak*" in text
    assert len(text) < 65_536


def test_length_cap_even_with_an_absurd_location():
    text = make(location="Fictieweg " * 1000, received_text="kort")
    assert len(text) <= texts.MAX_TEXT_LENGTH


def test_html_is_not_changed_in_the_text_but_escaped_on_the_page(request_ctx):
    from flask import render_template_string

    text = make(received_text='<script>alert("x")</script> & <b>vet</b>')
    assert '<script>alert("x")</script>' in text  # WhatsApp shows text as typed
    html = render_template_string(
        '{% from "meldingen/_copy.html" import copy_text %}{{ copy_text("t", text, "k") }}', text=text
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;vet&lt;/b&gt;" in html


def test_closing_text():
    text = texts.closing_text(
        category_label="Vermissing",
        occurred_at=WHEN,
        location="Omgeving Fictieweg, Katwijk",
        result="gevonden",
        note="De vermiste man is \x00 terecht.",
    )
    assert text.startswith("*Afmelding politiebericht*\n✅ *Afgemeld: gevonden*")
    assert "Vermissing, Omgeving Fictieweg, Katwijk (di 4 mrt 14:05)" in text
    assert "De vermiste man is terecht." in text
    assert texts.SAAR_LINE in text
    assert "ingetrokken door de politie" in texts.closing_text(
        category_label="Overval", occurred_at=WHEN, location=None, result="ingetrokken"
    )
    long = texts.closing_text(
        category_label="Overval", occurred_at=WHEN, location=None, result="niet_gevonden", note="x" * 10_000
    )
    assert len(long) <= texts.MAX_TEXT_LENGTH
    assert texts.SAAR_LINE in long


def test_osm_link():
    assert (
        texts.osm_link(52.2, 4.4) == "https://www.openstreetmap.org/?mlat=52.20000&mlon=4.40000#map=17/52.20000/4.40000"
    )
