"""WhatsApp texts for meldingen: pure functions from plain values to ready-to-paste text.

No database; times are shown in the site's zone (buurt.times). WhatsApp has no HTML: *bold*,
_italic_ and line breaks are all it knows, so the text is plain; the page that shows it escapes it
(Jinja autoescape). The texts are Dutch on purpose: they go into Dutch neighbourhood groups,
whatever language the beheerder's page is in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from buurt.times import format_short_nl

__all__ = [
    "MAX_TEXT_LENGTH",
    "REPLY_LINE",
    "SAAR_LINE",
    "ShareLinks",
    "clean_text",
    "closing_text",
    "forward_text",
    "osm_link",
    "share_links",
]

#: Far below WhatsApp's 65,536 characters; a text longer than this is unreadable on a phone anyway.
MAX_TEXT_LENGTH = 4000
#: SAAR as the site says it (footer, groepsregels): 112 first, then the group. "u", as everywhere.
SAAR_LINE = "Ziet u iets verdachts? Bel eerst 112, meld het daarna in de groep."
#: The groepsregels: no replies to police messages in the group; what you know goes to the police.
REPLY_LINE = "Weet u iets over dit bericht? Bel 112. Reageer er niet op in de groep."
ELLIPSIS = "…"

# Everything in the Unicode "C" categories except line breaks and tabs: control characters,
# format characters (zero-width, bidi overrides), unassigned and private-use code points.
_KEEP = {"\n", "\t"}
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str | None) -> str:
    """The received text without control/format characters, with tidy line breaks and spaces."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    kept = []
    for ch in text:
        if ch in _KEEP:
            kept.append(" " if ch == "\t" else ch)
        elif unicodedata.category(ch).startswith("C") and ch != "\u200d":  # keep the emoji joiner
            continue
        else:
            kept.append(ch)
    lines = [" ".join(line.split()) for line in "".join(kept).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def osm_link(lat: float, lon: float, zoom: int = 17) -> str:
    """An OpenStreetMap link with a marker on the point (5 decimals: about 1 m)."""
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map={zoom}/{lat:.5f}/{lon:.5f}"


def _distance_line(distance_m: float | None) -> str | None:
    if distance_m is None:
        return None
    if distance_m <= 0.5:
        return "📏 In of aan de rand van ons gebied"
    rounded = int(round(distance_m / 10.0) * 10) if distance_m < 1000 else None
    if rounded is not None:
        return f"📏 Ca. {max(rounded, 10)} m van ons gebied"
    km = f"{distance_m / 1000:.1f}".replace(".", ",")
    return f"📏 Ca. {km} km van ons gebied"


def _fit(head: list[str], body: str, tail: list[str], limit: int) -> str:
    """Join head, body and tail; shorten only the body (the police text) so the rest always fits."""
    before = "\n".join(head) + "\n\n"
    after = "\n\n" + "\n".join(tail)
    room = limit - len(before) - len(after)
    if room <= 0:  # nothing of the police text fits (absurdly long head); keep the required parts
        return (before.rstrip("\n") + after)[:limit]
    if len(body) > room:
        body = body[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS
    if not body:
        return before.rstrip("\n") + after
    return before + body + after


def forward_text(
    *,
    category_label: str,
    occurred_at: datetime,
    location: str | None,
    received_text: str,
    lat: float,
    lon: float,
    distance_m: float | None = None,
    limit: int = MAX_TEXT_LENGTH,
) -> str:
    """The WhatsApp text for one group, following the police template, with SAAR and an OSM link."""
    head = ["*Politiebericht* 🚨", f"*{clean_text(category_label)}*"]
    where = clean_text(location)
    if where:
        head.append(f"📍 {where}")
    head.append(f"🕒 {format_short_nl(occurred_at)}")
    if (line := _distance_line(distance_m)) is not None:
        head.append(line)
    tail = [f"☎️ *{SAAR_LINE}*", REPLY_LINE, f"🗺️ {osm_link(lat, lon)}"]
    return _fit(head, clean_text(received_text), tail, limit)


_RESULT_LINES = {
    "gevonden": "✅ *Afgemeld: gevonden*",
    "niet_gevonden": "ℹ️ *Afgemeld: niet gevonden*",
    "ingetrokken": "❌ *Afgemeld: ingetrokken door de politie*",
}


def closing_text(
    *,
    category_label: str,
    occurred_at: datetime,
    location: str | None,
    result: str,
    note: str | None = None,
    limit: int = MAX_TEXT_LENGTH,
) -> str:
    """The closing text (afmelding) for one group: the result, an optional note, thanks and SAAR."""
    where = clean_text(location)
    about = f"{clean_text(category_label)}" + (f", {where}" if where else "") + f" ({format_short_nl(occurred_at)})"
    head = ["*Afmelding politiebericht*", _RESULT_LINES.get(result, f"*Afgemeld: {clean_text(result)}*"), about]
    tail = ["Bedankt voor het uitkijken.", f"☎️ *{SAAR_LINE}*"]
    return _fit(head, clean_text(note), tail, limit)


@dataclass(frozen=True, slots=True)
class ShareLinks:
    """Links that open WhatsApp with `text` filled in; the person still picks the chat and presses send."""

    web: str  # https://wa.me/?text=...: works in every browser (on a phone it opens the app)
    app: str  # whatsapp://send?text=...: straight into the app on a phone


def share_links(text: str) -> ShareLinks:
    """The text percent-encoded as UTF-8, every reserved character included (& # + * newlines, emoji)."""
    encoded = quote(text, safe="")
    return ShareLinks(web=f"https://wa.me/?text={encoded}", app=f"whatsapp://send?text={encoded}")
