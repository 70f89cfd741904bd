"""Fixtures for the pure geo core: GeoJSON fixture files of literal squares and Rijnsoever."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buurt.geo.polygons import AreaFeature, parse_area_collection

DATA = Path(__file__).parent / "data"


def read_geojson(name: str) -> dict[str, Any]:
    """A fixture file from tests/geo/data as a dict."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def geojson() -> Callable[[str], dict[str, Any]]:
    """Load a GeoJSON fixture file by name."""
    return read_geojson


@pytest.fixture
def areas_from() -> Callable[[str], list[AreaFeature]]:
    """Parse a fixture file of literal squares (properties ``key`` and ``naam``)."""

    def load(name: str) -> list[AreaFeature]:
        return parse_area_collection(read_geojson(name), key_property="key")

    return load


@pytest.fixture(scope="session")
def rijnsoever_buurten() -> list[AreaFeature]:
    """The 4 CBS buurten of Rijnsoever (2024, generalised), sorted by buurtcode."""
    areas = parse_area_collection(
        read_geojson("rijnsoever_buurten.geojson"), name_property="buurtnaam", key_property="buurtcode"
    )
    return sorted(areas, key=lambda area: area.key)
