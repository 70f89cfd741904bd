"""The privacy statement (AVG art. 13) and the record of processing (AVG art. 30), as data.

Why data and not prose in a template: the privacy page, `docs/privacy.md` (`flask buurt
privacy-register`) and the tests read the same categories, built from the running config. A
retention period, the geocoders in GEOCODER_CHAIN, the tile provider or a mail server are then
what the page says, and a test fails when a retention rule has no sentence here.

Every text is built at call time with `gettext`, so the page is in the visitor's language and the
command line (no request: Dutch) writes the Dutch register.

The versions (PRIVACY_VERSION, RULES_VERSION) a resident agrees to are recorded with the consent.
`consent_versions.json` maps each version to the date it took effect and a fingerprint of the
Dutch text; tests/main/test_privacy_statement.py fails when the text changes without a new version.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext

from buurt.auth.throttle import DEVICE_MAX_AGE
from buurt.retention import RULES_BY_KEY
from buurt.tiles import tile_origin

VERSIONS_FILE = Path(__file__).with_name("consent_versions.json")


class Basis(StrEnum):
    """The legal ground of a processing (AVG art. 6 lid 1)."""

    CONSENT = "a"  # toestemming
    LEGITIMATE_INTEREST = "f"  # gerechtvaardigd belang

    @property
    def label(self) -> str:
        if self is Basis.CONSENT:
            return _("Toestemming (AVG artikel 6 lid 1 a)")
        return _("Gerechtvaardigd belang (AVG artikel 6 lid 1 f)")


@dataclass(frozen=True, slots=True)
class Retention:
    """One retention rule as told to people: the rule (buurt.retention), its setting and days."""

    rule: str  # the rule's key in the retention module, e.g. "signups"
    text: str
    setting: str | None = None  # the config key holding the days, if the period is a setting
    days: int | None = None


@dataclass(frozen=True, slots=True)
class Category:
    """One kind of personal data: what, why, on which ground, who sees it, how long, where."""

    key: str
    title: str
    data: str
    purpose: str
    basis: Basis
    basis_note: str
    recipients: str
    retention: tuple[Retention, ...]
    where: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone outside the site's own database who receives personal data, and what and when."""

    key: str
    name: str
    receives: str


@dataclass(frozen=True, slots=True)
class Version:
    """A version of the privacy statement or the group rules, and since when it applies."""

    version: str
    date: date | None

    @property
    def date_text(self) -> str:
        return self.date.strftime("%d-%m-%Y") if self.date else ""


@dataclass(frozen=True, slots=True)
class Statement:
    """Everything the privacy page and the register show, for one configuration."""

    controller: str
    contact: str
    version: Version
    categories: tuple[Category, ...]
    recipients: tuple[Recipient, ...]

    def retention_rules(self) -> set[str]:
        return {r.rule for c in self.categories for r in c.retention}


def period(days: int) -> str:
    """'1 dag', '60 dagen'."""
    return ngettext("%(num)d dag", "%(num)d dagen", days)


def _kept(cfg: Mapping, key: str, text: str) -> Retention:
    """A rule of the retention table (buurt.retention.RULES), its period from `cfg`: `text` holds %(period)s."""
    rule = RULES_BY_KEY[key]
    days = int(rule.days(cfg))
    return Retention(rule=key, text=text % {"period": period(days)}, setting=rule.config_key, days=days)


def categories(cfg: Mapping) -> tuple[Category, ...]:
    """Every kind of personal data the site keeps, with its retention from `cfg`."""
    staff_read = _("De beheerders van uw groep en de coördinatoren.")
    return (
        Category(
            key="signup",
            title=_("Uw aanmelding"),
            data=_(
                "Uw naam, mobiele nummer, e-mailadres (als u dat geeft), adres (postcode, huisnummer, straat, "
                "plaats), de plek van uw adres op de kaart, het aantal mensen op uw adres, uw groep, hoe het met "
                "uw aanmelding staat, en wanneer u akkoord ging met welke versie van de privacyverklaring en de "
                "groepsregels."
            ),
            purpose=_("U in de WhatsApp-groep van uw buurt plaatsen, de groep beheren en u mailen over uw aanmelding."),
            basis=Basis.CONSENT,
            basis_note=_(
                "U geeft toestemming als u zich aanmeldt. U kunt die altijd intrekken door uw gegevens te "
                "verwijderen via Mijn gegevens; dan gaat u ook uit de groep."
            ),
            recipients=_(
                "De beheerders van uw groep en de coördinatoren. Zodra u in de WhatsApp-groep zit, zien alle "
                "leden van de groep en WhatsApp uw nummer en WhatsApp-profiel."
            ),
            retention=(
                Retention(
                    rule="member",
                    text=_(
                        "Zolang u lid bent. Verwijdert u uw gegevens zelf, dan wissen we ze meteen (zie Uw rechten)."
                    ),
                ),
                _kept(
                    cfg,
                    "signups",
                    _("Een aanmelding die niet wordt afgerond (niet bevestigd of nooit toegevoegd): na %(period)s."),
                ),
                _kept(
                    cfg,
                    "waitlist",
                    _(
                        "Op de wachtlijst zonder plek: na %(period)s. Met een bevestigd e-mailadres krijgt u "
                        "dan een mail."
                    ),
                ),
                _kept(
                    cfg,
                    "removed",
                    _("Uit de groep gegaan of gehaald: %(period)s daarna."),
                ),
            ),
            where=_("In de database van de site."),
        ),
        Category(
            key="group_admin",
            title=_("Beheer van de groep"),
            data=_(
                "Waarom u uit de groep ging (een vaste reden) en soms een korte notitie van de beheerder. Taken "
                "voor de beheerders om u in WhatsApp toe te voegen of te verwijderen, met uw naam en nummer."
            ),
            purpose=_("Een juiste ledenlijst, en uw verzoek om uit de groep te gaan echt uitvoeren."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Zonder deze taken blijft u in de WhatsApp-groep staan als u uw gegevens verwijdert."),
            recipients=staff_read,
            retention=(
                _kept(
                    cfg,
                    "task_open",
                    _("Naam en nummer in een taak die niet is afgerond: gewist na %(period)s."),
                ),
                _kept(
                    cfg,
                    "task_done",
                    _("Een afgeronde taak (naam en nummer zijn dan al gewist): verwijderd na %(period)s."),
                ),
            ),
            where=_("In de database van de site."),
        ),
        Category(
            key="incidents",
            title=_("Incidentmeldingen"),
            data=_(
                "Wat er gebeurde, wanneer en waar, uw beschrijving, kenmerken van personen of voertuigen, een "
                "foto (zonder de GPS-gegevens van de foto), of de politie is gebeld, en dat u het meldde. Een "
                "beschrijving kan ook over andere mensen gaan: schrijf geen namen op."
            ),
            purpose=_(
                "Zien waar en wanneer er iets gebeurt, zodat de buurt en de wijkagent kunnen ingrijpen. Op de "
                "openbare kaart staan alleen anonieme aantallen."
            ),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Een veiligere buurt. U meldt zelf; u kunt bezwaar maken."),
            recipients=_(
                "Beheerders, coördinatoren en wijkagenten. Openbaar alleen aantallen per vak van %(grid)d meter, "
                "pas na minstens %(hours)d uur, zonder beschrijving, foto of precieze plek.",
                grid=cfg["PUBLIC_GRID_M"],
                hours=cfg["PUBLIC_INCIDENT_DELAY_HOURS"],
            ),
            retention=(
                _kept(
                    cfg,
                    "incident_detail",
                    _(
                        "Beschrijving, kenmerken, foto, straat en precieze plek: gewist na %(period)s. Verwijdert u "
                        "uw gegevens, dan meteen."
                    ),
                ),
                _kept(
                    cfg,
                    "incident",
                    _("De anonieme rest (soort, dag, gebied): verwijderd na %(period)s."),
                ),
            ),
            where=_("In de database en de fotomap van de site."),
        ),
        Category(
            key="meldingen",
            title=_("Meldingen van de meldkamer"),
            data=_(
                "Berichten van de politie (bijvoorbeeld een inbraak of een vermissing) met de plek, en welke "
                "beheerder ze doorstuurde naar welke groep."
            ),
            purpose=_("De groepen in de buurt snel waarschuwen."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Hulp aan de politie en een veiligere buurt."),
            recipients=_(
                "Coördinatoren, wijkagenten en de beheerders van de groepen in de buurt van de plek. De tekst gaat "
                "naar die WhatsApp-groepen."
            ),
            retention=(_kept(cfg, "melding", _("Verwijderd na %(period)s.")),),
            where=_("In de database van de site."),
        ),
        Category(
            key="audit",
            title=_("Logboek"),
            data=_(
                "Welke medewerker wanneer gegevens bekeek, downloadde of wijzigde. Alleen nummers (id's) en "
                "aantallen, nooit namen, adressen of telefoonnummers."
            ),
            purpose=_("Controleren dat niemand gegevens misbruikt, en dat kunnen laten zien."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Beveiliging van uw gegevens (AVG artikel 32)."),
            recipients=_("De coördinatoren. In Mijn gegevens ziet u wie uw gegevens bekeek."),
            retention=(_kept(cfg, "audit", _("Verwijderd na %(period)s.")),),
            where=_("In de database van de site."),
        ),
        Category(
            key="address_cache",
            title=_("Opgezochte adressen"),
            data=_(
                "Een adres (postcode, huisnummer, straat, plaats) met de plek op de kaart, als een online dienst "
                "het voor ons vond. Zonder naam of nummer."
            ),
            purpose=_("Een adres niet steeds opnieuw bij een andere dienst hoeven opvragen."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Zo min mogelijk gegevens naar andere diensten sturen."),
            recipients=_("Niemand; het is niet openbaar."),
            retention=(_kept(cfg, "address_cache", _("Verwijderd na %(period)s.")),),
            where=_(
                "In de database van de site, en %(minutes)d minuten in het geheugen van de server.",
                minutes=int(cfg["GEOCODER_RECENT_TTL"]) // 60,
            ),
        ),
        Category(
            key="mail",
            title=_("E-mail"),
            data=_(
                "Uw e-mailadres en de tekst van een mail die we u sturen (bijvoorbeeld de bevestigingslink). "
                "Na het versturen wissen we uw adres en de tekst; alleen soort en tijdstip blijven."
            ),
            purpose=_("U mailen over uw aanmelding en uw gegevens."),
            basis=Basis.CONSENT,
            basis_note=_("U geeft uw e-mailadres zelf; het is niet verplicht."),
            recipients=_("Het mailbedrijf dat de mail bezorgt."),
            retention=(
                _kept(
                    cfg,
                    "outbox",
                    _("Adres en tekst: meteen na het versturen gewist. Soort en tijdstip: verwijderd na %(period)s."),
                ),
            ),
            where=_("In de database van de site."),
        ),
        Category(
            key="security",
            title=_("Beveiliging"),
            data=_(
                "Uw IP-adres in tellers die te veel pogingen tegenhouden (bijvoorbeeld te vaak aanmelden of "
                "inloggen), en eenmalige codes van formulieren tegen dubbel versturen."
            ),
            purpose=_("De site beschermen tegen misbruik en aanvallen."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Beveiliging van de site en van uw gegevens."),
            recipients=_("Niemand."),
            retention=(
                Retention(rule="rate_limits", text=_("Tellers: weg na hun periode, meestal binnen een uur.")),
                _kept(cfg, "form_submissions", _("Codes van formulieren: verwijderd na %(period)s.")),
            ),
            where=_("In de database van de site."),
        ),
        Category(
            key="cookies",
            title=_("Cookie"),
            data=_(
                "Eén sessie-cookie met uw taalkeuze, een beveiligingscode tegen valse formulieren (CSRF) en na "
                "het aanmelden de uitkomst (groep en stand van zaken, geen naam, adres of nummer). Bij medewerkers "
                "ook hun login, en een tweede cookie die onthoudt dat hun browser eerder inlogde. Geen cookies om "
                "u te volgen, geen statistieken, geen advertenties."
            ),
            purpose=_("De site laten werken."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Een cookie die nodig is om de site te laten werken, heeft geen toestemming nodig."),
            recipients=_("Alleen uw browser en onze site."),
            retention=(
                Retention(
                    rule="cookie",
                    text=_(
                        "Tot u de browser sluit. Een login van een medewerker stopt na %(hours)d uur; de cookie "
                        "van hun browser blijft %(days)d dagen.",
                        hours=int(cfg["LOGIN_MAX_AGE"]) // 3600,
                        days=DEVICE_MAX_AGE // (24 * 3600),
                    ),
                ),
            ),
            where=_("In uw browser."),
        ),
        Category(
            key="staff",
            title=_("Accounts van medewerkers"),
            data=_(
                "Van beheerders, coördinatoren en wijkagenten: naam, e-mailadres, telefoonnummer (als gegeven), "
                "rol, groepen, een versleuteld wachtwoord en wanneer ze inlogden."
            ),
            purpose=_("Inloggen en alleen laten zien wat bij de rol hoort."),
            basis=Basis.LEGITIMATE_INTEREST,
            basis_note=_("Zonder account kan een medewerker zijn taak niet doen."),
            recipients=_("De coördinatoren."),
            retention=(
                Retention(rule="staff", text=_("Zolang iemand medewerker is.")),
                _kept(
                    cfg,
                    "sessions",
                    _("Afgelopen logins: verwijderd na %(period)s."),
                ),
            ),
            where=_("In de database van de site."),
        ),
    )


def recipients(cfg: Mapping) -> tuple[Recipient, ...]:
    """Who outside the site's database receives personal data, for this configuration."""
    found = [
        Recipient(
            "staff",
            _("De beheerders van uw groep en de coördinatoren"),
            _(
                "Alle gegevens van uw aanmelding. Om u in WhatsApp toe te voegen, zetten ze uw naam en nummer "
                "soms als contact op hun eigen telefoon."
            ),
        ),
        Recipient(
            "whatsapp_group",
            _("Alle leden van uw WhatsApp-groep"),
            _(
                "Zodra u in de groep zit: uw mobiele nummer en de naam en foto van uw WhatsApp-profiel, en alles "
                "wat u in de groep zet. Een groep heeft meestal plaats voor %(capacity)d mensen.",
                capacity=cfg["DEFAULT_GROUP_CAPACITY"],
            ),
        ),
        Recipient(
            "whatsapp",
            _("WhatsApp (Meta)"),
            _(
                "Uw nummer en dat u in de groep zit. Voor WhatsApp gelden de regels van WhatsApp zelf; Meta kan "
                "gegevens ook buiten de EU verwerken."
            ),
        ),
        Recipient(
            "wijkagent",
            _("Wijkagenten"),
            _("Incidentmeldingen en meldingen van de meldkamer. Nooit de ledenlijsten."),
        ),
    ]
    chain = tuple(cfg["GEOCODER_CHAIN"])
    if "pdok" in chain:
        found.append(
            Recipient(
                "pdok",
                _("PDOK (Kadaster)"),
                _(
                    "De postcode en het huisnummer (of het adres dat u typt) als dat niet in ons eigen "
                    "adressenbestand staat. Niet uw naam of nummer."
                ),
            )
        )
    if "nominatim" in chain:
        found.append(
            Recipient(
                "nominatim",
                _("Nominatim (OpenStreetMap Foundation)"),
                _("Hetzelfde adres, als PDOK het niet vindt. Niet uw naam of nummer."),
            )
        )
    if tile_origin(cfg):  # none, or self-hosted tiles (a path on this site): they go to no one
        found.append(
            Recipient(
                "tiles",
                _("Kaartachtergrond: %(provider)s", provider=cfg["TILES_PROVIDER"]),
                _(
                    "Uw IP-adres, zodra een kaart op de site laadt: de achtergrond van de kaart komt van hun server. "
                    "Wij sturen geen andere gegevens mee."
                ),
            )
        )
    if cfg.get("MAIL_SERVER"):
        found.append(
            Recipient(
                "mail",
                _("Ons mailbedrijf"),
                _("Uw e-mailadres en de tekst van de mail, als we u mailen."),
            )
        )
    return tuple(found)


def statement(cfg: Mapping) -> Statement:
    """The privacy statement for this configuration."""
    return Statement(
        controller=cfg["CONTROLLER_NAME"],
        contact=cfg["CONTACT_EMAIL"],
        version=version("privacy", cfg["PRIVACY_VERSION"]),
        categories=categories(cfg),
        recipients=recipients(cfg),
    )


# -- versions and their fingerprints -----------------------------------------------------------


@cache
def _recorded() -> dict:
    return json.loads(VERSIONS_FILE.read_text(encoding="utf-8"))


def recorded_versions(kind: str) -> dict[str, dict]:
    """{version: {"date": "YYYY-MM-DD", "sha256": ...}} for "privacy" or "rules"."""
    return _recorded()[kind]


def version(kind: str, name: str) -> Version:
    """A version with the date it took effect (None when the file does not know it)."""
    entry = recorded_versions(kind).get(name) or {}
    return Version(name, date.fromisoformat(entry["date"]) if entry.get("date") else None)


_TEXT = re.compile(r'<div class="statement-text">(.*)</div><!-- /statement-text -->', re.S)
_TAG = re.compile(r"<[^>]+>")


def fingerprint(page: str) -> str:
    """SHA-256 of the statement's words in a rendered page (tags, spacing and markup ignored)."""
    found = _TEXT.search(page)
    if found is None:
        raise ValueError("no statement-text block in the page")
    words = " ".join(html.unescape(_TAG.sub(" ", found.group(1))).split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
