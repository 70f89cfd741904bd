"""Dutch labels and colours for incident categories and periods (our own text, never user input)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _

from buurt.models import IncidentCategory

#: Display order of the categories (also the index used in map data).
CATEGORIES: tuple[IncidentCategory, ...] = tuple(IncidentCategory)

#: One colour per category, in CATEGORIES order (distinguishable, dark enough for white text).
COLOURS: tuple[str, ...] = (
    "#b42318",
    "#d97706",
    "#6941c6",
    "#1d4ed8",
    "#0e7490",
    "#047857",
    "#7a2e0e",
    "#4d7c0f",
    "#be185d",
    "#475467",
)

PERIODS: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "3m": timedelta(days=91),
    "range": None,
}

PUBLIC_PERIODS: tuple[str, ...] = ("7d", "30d", "3m")


def category_labels() -> dict[IncidentCategory, str]:
    """Dutch label per category (translated at call time)."""
    return {
        IncidentCategory.WONINGINBRAAK: _("Woninginbraak"),
        IncidentCategory.POGING_INBRAAK: _("Poging tot inbraak"),
        IncidentCategory.VERDACHTE_SITUATIE: _("Verdachte situatie"),
        IncidentCategory.VERDACHT_VOERTUIG: _("Verdacht voertuig"),
        IncidentCategory.DIEFSTAL_UIT_AUTO: _("Diefstal uit auto"),
        IncidentCategory.FIETSDIEFSTAL: _("Fietsdiefstal"),
        IncidentCategory.VANDALISME: _("Vandalisme"),
        IncidentCategory.OVERLAST: _("Overlast"),
        IncidentCategory.BRAND: _("Brand"),
        IncidentCategory.OTHER: _("Anders"),
    }


def category_label(category: IncidentCategory | str) -> str:
    return category_labels()[IncidentCategory(category)]


def category_colour(category: IncidentCategory | str) -> str:
    return COLOURS[CATEGORIES.index(IncidentCategory(category))]


def period_labels() -> dict[str, str]:
    return {
        "24h": _("Afgelopen 24 uur"),
        "7d": _("Afgelopen 7 dagen"),
        "30d": _("Afgelopen 30 dagen"),
        "3m": _("Afgelopen 3 maanden"),
        "range": _("Eigen periode"),
    }
