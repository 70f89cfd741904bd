"""What the demo is made of: counts, made-up names and texts, how often things happen; DemoError.

Everything here is obviously fictional (streets such as "Verzonnenlaan", people called "Demo ...",
phone numbers from one small block).
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from buurt.exceptions import UserError
from buurt.models import IncidentCategory, MeldingCategory, MeldingResult

DEMO_SEED = 2221
DEMO_PLACE = "Katwijk"
DEMO_PASSWORD = "demo-buurtwacht"  # noqa: S105 - printed on purpose; demo accounts only
RESIDENTS_TOTAL = 1050  # at scale 1: about a third of Rijnsoever's 3,145 CBS households
INCIDENTS_TOTAL = 320
MELDINGEN_TOTAL = 8
MAX_SCALE = 5.0
# `flask buurt demo --gemeente`: all of Katwijk (buurt.demo.gemeente). About 10,000 residents over the
# ~27,000 CBS households; the phone block below holds 9,900 residents, so the gemeente scale stops at 1.
GEMEENTE_RESIDENTS_TOTAL = 9_700
GEMEENTE_MAX_SCALE = 1.0
HOUSEHOLDS_PER_GROUP = 260  # the added neighbourhoods get one group per ~260 households (~100 in all of Katwijk)
RIJNSOEVER_HOUSEHOLDS = 3145  # incidents and meldingen at gemeente scale: today's counts per Rijnsoever
# Generation 1 of a neighbourhood the demo added carries this source: how `demo --clear` knows it.
DEMO_AREAS_SOURCE = "demo (verzonnen buurtindeling, CBS-buurten 2024)"
# Households per m² when an imported area has no CBS count (Rijnsoever: 3,145 on ~1.17 km²).
HOUSEHOLDS_PER_M2 = 0.0027
# The Netherlands has no mobile range reserved for fiction that we know of, so demo people get
# numbers from the single block +31 6 1009 xxxx (10,000 numbers), never anything else.
DEMO_PHONE_PREFIX = "+3161009"

STREET_STEMS = (
    "Verzonnen", "Proef", "Demo", "Denkbeeld", "Voorbeeld", "Schijn", "Fictie", "Fantasie",
    "Oefen", "Verbeelding", "Sprookjes", "Kladblok", "Bedenksel", "Luchtkasteel",
)  # fmt: skip
STREET_SUFFIXES = ("laan", "weg", "straat", "hof", "pad", "plein", "kade", "singel", "dreef", "erf")
AVOID_STREETS = frozenset({"Fictieweg"})  # the test fixtures' street; keep demo and test data apart

FIRST_NAMES = (
    "Anna", "Bram", "Cor", "Daan", "Emma", "Fenna", "Gijs", "Hanna", "Ivo", "Jasper", "Kees", "Lotte",
    "Maarten", "Noor", "Olaf", "Pien", "Ruben", "Sanne", "Teun", "Vera", "Wouter", "Yara", "Jannie",
    "Arie", "Willem", "Neeltje", "Klaas", "Marijke", "Jan", "Ria", "Floor", "Sem", "Lieke", "Thijs",
)  # fmt: skip
LAST_NAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "van der Meer", "Voorbeeld",
    "Verzinsel", "Proefmans", "Fictief", "Bedachtsma", "van Denkbeeld", "Schijnhout",
)  # fmt: skip

INCIDENT_WEIGHTS = {
    IncidentCategory.VERDACHTE_SITUATIE: 30,
    IncidentCategory.WONINGINBRAAK: 12,
    IncidentCategory.POGING_INBRAAK: 8,
    IncidentCategory.VERDACHT_VOERTUIG: 12,
    IncidentCategory.FIETSDIEFSTAL: 12,
    IncidentCategory.DIEFSTAL_UIT_AUTO: 8,
    IncidentCategory.VANDALISME: 7,
    IncidentCategory.OVERLAST: 7,
    IncidentCategory.BRAND: 1,
    IncidentCategory.OTHER: 3,
}
POLICE_CALLED = {
    IncidentCategory.WONINGINBRAAK: 0.85, IncidentCategory.POGING_INBRAAK: 0.6,
    IncidentCategory.VERDACHTE_SITUATIE: 0.45, IncidentCategory.VERDACHT_VOERTUIG: 0.3,
    IncidentCategory.BRAND: 1.0,
}  # fmt: skip
INCIDENT_TEXTS = {
    IncidentCategory.VERDACHTE_SITUATIE: (
        "Twee personen liepen langs de achterpaden van de {street} en schenen met een zaklamp in tuinen.",
        "Iemand belde aan bij meerdere huizen aan de {street} en liep snel weg toen er werd opengedaan.",
        "Persoon bleef lang bij geparkeerde auto's op de {street} staan en keek door de ramen.",
        "Onbekende man probeerde deurklinken van schuurtjes aan de {street}.",
    ),
    IncidentCategory.WONINGINBRAAK: (
        "Ingebroken via de achterdeur terwijl de bewoners op vakantie waren ({street}).",
        "Raam aan de achterzijde geforceerd; sieraden en een laptop weggenomen ({street}).",
        "Inbraak in een woning aan de {street}; politie is ter plaatse geweest.",
    ),
    IncidentCategory.POGING_INBRAAK: (
        "Braakschade aan de voordeur, daders zijn niet binnen geweest ({street}).",
        "Schuurslot op de {street} opengebroken, er lijkt niets weg.",
    ),
    IncidentCategory.VERDACHT_VOERTUIG: (
        "Bestelbus reed meerdere keren langzaam door de {street}.",
        "Auto met draaiende motor stond lang bij de ingang van de {street}; inzittenden keken rond.",
        "Scooter met twee personen reed rondjes door de wijk bij de {street}.",
    ),
    IncidentCategory.FIETSDIEFSTAL: (
        "Elektrische fiets uit een afgesloten schuur aan de {street} gestolen.",
        "Fiets voor de deur op de {street} weggenomen, slot doorgeknipt.",
    ),
    IncidentCategory.DIEFSTAL_UIT_AUTO: (
        "Ruit van een geparkeerde auto op de {street} ingeslagen, tas weggenomen.",
        "Navigatiesysteem uit een auto aan de {street} gestolen.",
    ),
    IncidentCategory.VANDALISME: (
        "Bloembakken op de {street} vernield.",
        "Graffiti op de geluidswal bij de {street}.",
    ),
    IncidentCategory.OVERLAST: (
        "Groep jongeren met harde muziek bij het speelveldje aan de {street}, laat op de avond.",
        "Vuurwerkoverlast op de {street}.",
    ),
    IncidentCategory.BRAND: ("Container in brand gestoken aan de {street}; brandweer was snel ter plaatse.",),
    IncidentCategory.OTHER: ("Loslopende hond op de {street}; eigenaar onbekend.",),
}
CLOTHING = ("donkere jas met capuchon", "grijze hoodie, zwarte broek", "zwart trainingspak", "lichte regenjas, pet",
             "donkerblauwe werkjas", "groene parka, muts")  # fmt: skip
HEIGHTS = ("ca. 1,70 m", "ca. 1,75 m", "ca. 1,80 m", "ca. 1,85 m", "ca. 1,90 m")
BUILDS = ("slank", "gemiddeld", "fors")
DIRECTIONS = ("richting de Rijn", "richting het centrum", "richting de Zeeweg", "onbekende richting")
VEHICLES = (("scooter", "onbekend merk"), ("bestelbus", "onbekend merk"), ("personenauto", "stationwagen"),
             ("fiets", "elektrisch"), ("motor", "onbekend merk"))  # fmt: skip
COLOURS = ("zwart", "wit", "grijs", "donkerblauw", "rood", "zilver")
MONTH_WEIGHTS = (1.4, 1.2, 0.9, 0.8, 0.7, 0.7, 0.8, 0.8, 0.9, 1.3, 1.6, 1.7)  # January .. December
HOUR_WEIGHTS = (0.8, 0.6, 0.5, 0.5, 0.4, 0.3, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5,
                 0.6, 0.6, 0.7, 0.8, 1.0, 1.4, 1.8, 2.0, 2.0, 1.9, 1.6, 1.2)  # fmt: skip

MELDING_WEIGHTS = {
    MeldingCategory.WONINGINBRAAK: 4, MeldingCategory.VERDACHTE_SITUATIE: 3, MeldingCategory.OVERVAL: 1,
    MeldingCategory.VERMISSING: 2, MeldingCategory.AANRIJDING: 1, MeldingCategory.OTHER: 1,
}  # fmt: skip
MELDING_TEXTS = {
    MeldingCategory.WONINGINBRAAK: (
        "Politiebericht: i.v.m. een woninginbraak in de omgeving van de {street} te Katwijk graag uitkijken "
        "naar een man, {height}, {clothing}, op een zwarte scooter, {direction}. Informatie? Bel 112."
    ),
    MeldingCategory.VERDACHTE_SITUATIE: (
        "Politiebericht: in de omgeving van de {street} te Katwijk zijn twee personen gezien die aan "
        "deuren voelden. Een van hen: {height}, {clothing}. Ziet u iets verdachts? Bel 112."
    ),
    MeldingCategory.OVERVAL: (
        "Politiebericht: i.v.m. een overval bij de {street} te Katwijk graag uitkijken naar een man, "
        "{height}, {clothing}, te voet gevlucht {direction}. Niet aanspreken, bel 112."
    ),
    MeldingCategory.VERMISSING: (
        "Politiebericht: vermist vanaf de {street} te Katwijk: een oudere man, {height}, {clothing}, "
        "loopt met een rollator en is mogelijk verward. Gezien? Bel 112."
    ),
    MeldingCategory.AANRIJDING: (
        "Politiebericht: na een aanrijding op de {street} te Katwijk is een donkere personenauto met "
        "schade aan de voorkant doorgereden, {direction}. Informatie? Bel 112."
    ),
    MeldingCategory.OTHER: (
        "Politiebericht: in de omgeving van de {street} te Katwijk wordt gezocht naar een loslopend paard. "
        "Niet zelf benaderen; gezien? Bel 112."
    ),
}
MELDING_RESULT_NOTES = {
    MeldingResult.FOUND: "Aangetroffen, dank voor het uitkijken.",
    MeldingResult.NOT_FOUND: "Niet aangetroffen; blijf alert.",
    MeldingResult.CANCELLED: "Melding ingetrokken door de meldkamer.",
}


class DemoError(UserError):
    """The demo cannot be loaded (``message`` is a Dutch sentence with a way forward)."""


def split_total(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` in proportion to `weights` (sums to `total`)."""
    weight_sum = sum(weights) or 1.0
    exact = [total * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def uniform_time(pyrng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment drawn uniformly between `start` and `end`."""
    return start + (end - start) * pyrng.random()
