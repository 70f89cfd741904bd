"""The record of processing (verwerkingsregister, AVG art. 30) as Markdown, for docs/privacy.md.

Built from the same categories as the privacy page (buurt.main.privacy) and the retention table
(buurt.retention.RULES), so the register, the page and the purge say the same. `flask buurt
privacy-register` writes it for this deployment's config; with `--defaults` it writes what
docs/privacy.md holds (a test compares the two). The register is for beheerders and coordinators:
Dutch, with the English summary at the top; its fixed sections are plain text, not msgids.
"""

from __future__ import annotations

from collections.abc import Mapping

from buurt.config import Defaults
from buurt.main.privacy import Statement, period, statement, version
from buurt.retention import RULES


def default_config() -> dict:
    """The settings every deployment starts with (buurt/config.py), as a mapping."""
    return {name: getattr(Defaults, name) for name in dir(Defaults) if name.isupper()}


def _cell(text: object) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _register_table(st: Statement) -> list[str]:
    lines = [
        _row("Verwerking", "Welke gegevens", "Doel", "Grondslag", "Wie ziet het", "Hoe lang", "Waar opgeslagen"),
        "|---|---|---|---|---|---|---|",
    ]
    for c in st.categories:
        kept = " ".join(r.text for r in c.retention)
        lines.append(_row(c.title, c.data, c.purpose, f"{c.basis.label}. {c.basis_note}", c.recipients, kept, c.where))
    return lines


def _recipients_table(st: Statement) -> list[str]:
    lines = [_row("Ontvanger", "Wat en wanneer"), "|---|---|"]
    lines += [_row(r.name, r.receives) for r in st.recipients]
    return lines


def _rules_table(cfg: Mapping) -> list[str]:
    lines = [_row("Regel", "Instelling", "Termijn", "Wat er na de termijn gebeurt"), "|---|---|---|---|"]
    for rule in RULES:
        days = rule.days(cfg)
        term = period(int(days)) if days >= 1 else "zodra het tijdvak voorbij is"
        lines.append(
            _row(f"`{rule.key}`", f"`{rule.config_key}`" if rule.config_key else "(vast)", term, rule.description)
        )
    return lines


_SUMMARY = (
    "**English summary.** This is the record of processing activities (GDPR art. 30) of this site, "
    "for its beheerders and coordinators: per kind of personal data what is kept, why, on which legal "
    "ground, who sees it, how long and where. It is generated from the same data as the privacy page "
    "(`buurt/main/privacy.py`) and the retention rules (`buurt/retention`), with the default settings "
    "of `buurt/config.py`; run `flask buurt privacy-register` for your own deployment's settings. The "
    "last sections say what to do when someone asks for their data or its deletion, and when data "
    "leaks (report to the Dutch DPA, the Autoriteit Persoonsgegevens, within 72 hours)."
)

_REQUESTS = """\
## Een verzoek om inzage, verbetering of verwijdering

Iedereen mag vragen welke gegevens we over hem of haar hebben, ze laten verbeteren of laten
verwijderen (AVG artikel 15 tot en met 17), en bezwaar maken (artikel 21).

1. **Wijs eerst op Mijn gegevens** (`/mijn-gegevens`). Daar ziet een bewoner alles wat we bewaren
   (ook wie de gegevens bekeek), downloadt het als bestand, verbetert het en verwijdert het zelf.
   Dat is het snelst en het veiligst: de link gaat naar het e-mailadres of nummer van de aanmelding.
2. **Lukt dat niet** (geen e-mailadres, link komt niet aan): stel vast dat de vrager echt de persoon
   is, bijvoorbeeld door hem te bellen of te appen op het nummer van de aanmelding. Stuur nooit
   gegevens naar een ander adres of nummer dan dat van de aanmelding.
3. **Verwijderen voor iemand:** een coördinator haalt de bewoner uit de groep met reden "eigen
   verzoek"; de bewaarregel `removed` verwijdert de aanmelding daarna. Wil de bewoner dat het
   meteen gebeurt, help hem dan via Mijn gegevens. Haal hem ook echt uit de WhatsApp-groep (de taak
   staat in de console).
4. **Bezwaar** (tegen een incidentmelding, een melding of het logboek): weeg het belang af, en
   verwijder de melding als het bezwaar terecht is (de actie "Verwijderen" bij het incident).
5. **Antwoord binnen een maand** (artikel 12). Leg vast wat u deed, zonder persoonsgegevens in de
   notitie.
"""

_BREACH = """\
## Datalek

Een datalek is elke keer dat persoonsgegevens bij iemand komen die ze niet mag zien, of verloren
gaan: een laptop met een export (CSV of vCard) kwijt, een beheerder die een ledenlijst in de
verkeerde groep zet, een gehackt account, een verkeerd verstuurde mail.

1. **Stop het lek** meteen: zet het account uit (`flask buurt users disable <e-mailadres>`), laat
   het wachtwoord wijzigen, haal het bericht weg, vraag de ontvanger het te verwijderen.
2. **Meld het binnen 72 uur** bij de Autoriteit Persoonsgegevens
   (autoriteitpersoonsgegevens.nl, "Datalek melden"), tenzij het lek waarschijnlijk geen risico
   geeft voor de mensen om wie het gaat. Twijfel? Melden. Meld ook als u nog niet alles weet en
   vul het later aan.
3. **Vertel het de mensen zelf** als het lek een hoog risico voor hen geeft (bijvoorbeeld naam,
   adres en nummer bij een onbekende), met wat ze kunnen doen.
4. **Schrijf elk lek op**, ook als u het niet meldt: wat er gebeurde, welke gegevens, hoeveel
   mensen, wat u deed (artikel 33 lid 5). Het logboek (`/beheer/audit`) laat zien wie welke
   gegevens bekeek of downloadde.
"""

_MEASURES = """\
## Beveiliging in het kort

Alleen wie het nodig heeft ziet persoonsgegevens: de beheerders van een groep en de coördinatoren
de ledenlijst, wijkagenten nooit. Elke keer dat iemand ledengegevens bekijkt of downloadt, staat in
het logboek (zonder namen of nummers). Wachtwoorden worden alleen als hash bewaard; een login stopt
na {max_hours} uur, of na {idle_minutes} minuten niets doen. Openbare pagina's tonen geen
persoonsgegevens en geen precieze plekken. Alles staat op de server van de site in de EU. Meer in
[SECURITY.md](../SECURITY.md); de bewaarregels staan in [retention.md](retention.md).
"""


def register_markdown(cfg: Mapping) -> str:
    """docs/privacy.md for the configuration `cfg` (call inside an app context: the texts are Dutch)."""
    st = statement(cfg)
    rules_version = version("rules", cfg["RULES_VERSION"])
    lines = [
        "# Privacy: verwerkingsregister (AVG artikel 30)",
        "",
        "<!-- Generated by `flask buurt privacy-register --defaults --output docs/privacy.md`; do not edit by hand "
        "(tests/main/test_privacy_register.py compares). Change buurt/main/privacy.py or buurt/config.py instead. -->",
        "",
        _SUMMARY,
        "",
        "## Wie is verantwoordelijk",
        "",
        f"- Verwerkingsverantwoordelijke: {st.controller}",
        f"- Contact over privacy: {st.contact}",
        f"- Privacyverklaring (`/privacy`): versie {st.version.version}"
        + (f", geldt vanaf {st.version.date_text}" if st.version.date else ""),
        f"- Groepsregels (`/regels`): versie {rules_version.version}"
        + (f", gelden vanaf {rules_version.date_text}" if rules_version.date else ""),
        "",
        "## Verwerkingsregister",
        "",
        "Per soort gegevens: wat, waarom, op welke grond, wie het ziet, hoe lang en waar. De termijnen "
        "komen uit de instellingen (`RETENTION_*` in `buurt/config.py`); `flask buurt purge --apply` en "
        "de dagelijkse opruimronde passen ze toe.",
        "",
        *_register_table(st),
        "",
        "## Ontvangers",
        "",
        *_recipients_table(st),
        "",
        "## Bewaarregels",
        "",
        "Elke regel van `flask buurt purge` (`buurt/retention`), met de instelling die de termijn geeft.",
        "",
        *_rules_table(cfg),
        "",
        _MEASURES.format(
            max_hours=int(cfg["LOGIN_MAX_AGE"]) // 3600, idle_minutes=int(cfg["LOGIN_IDLE_TIMEOUT"]) // 60
        ),
        _REQUESTS,
        _BREACH,
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
