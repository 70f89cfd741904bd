"""register_io: NLExtract bagadres CSV and GeoJSON address points."""

import io
import json

import pytest

from buurt.geo.coords import to_rd
from buurt.geo.register_io import (
    BAGADRES_COLUMNS,
    AddressRecord,
    RegisterFileError,
    Rejected,
    read_bagadres_csv,
    read_geojson_points,
)

HEADER = ";".join(BAGADRES_COLUMNS)


def csv_text(*rows):
    return io.StringIO("\n".join([HEADER, *rows]) + "\n")


def row(
    street="Voorbeeldlaan",
    number="12",
    letter="",
    addition="",
    postcode="2221AB",
    place="Katwijk",
    x="",
    y="",
    lon="4.4201",
    lat="52.2101",
):
    values = [
        street,
        number,
        letter,
        addition,
        postcode,
        place,
        "Katwijk",
        "Zuid-Holland",
        "0537010000000001",
        "verblijfsobject",
        "f",
        x,
        y,
        lon,
        lat,
    ]
    return ";".join(values)


def test_csv_with_lon_lat():
    (record,) = read_bagadres_csv(csv_text(row(letter="a", addition="3", postcode="2221 ab")))
    assert record == AddressRecord("2221AB", 12, "A", "3", "Voorbeeldlaan", "Katwijk", 52.2101, 4.4201)
    assert str(record.house) == "12a-3"


def test_csv_with_rd_only_and_decimal_commas():
    x, y = to_rd(4.4201, 52.2101)
    text = csv_text(
        row(x=f"{x:.3f}", y=f"{y:.3f}", lon="", lat=""),
        row(number="14", x=f"{x:.3f}".replace(".", ","), y=f"{y:.3f}".replace(".", ","), lon="", lat=""),
        row(number="16", lon="4,4201", lat="52,2101"),
    )
    records = list(read_bagadres_csv(text))
    assert [r.number for r in records] == [12, 14, 16]
    for record in records:
        assert record.lat == pytest.approx(52.2101, abs=1e-7)
        assert record.lon == pytest.approx(4.4201, abs=1e-7)


def test_csv_header_without_lon_lat_columns_uses_x_y():
    x, y = to_rd(4.4201, 52.2101)
    text = io.StringIO(
        "openbareruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;x;y\n"
        f"Voorbeeldlaan;12;;;2221AB;Katwijk;{x};{y}\n"
    )
    (record,) = read_bagadres_csv(text)
    assert record.lat == pytest.approx(52.2101, abs=1e-7)


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (row(postcode=""), "Vul een postcode in"),
        (row(postcode="0221AB"), "begint niet met een 0"),
        (row(postcode="2221SS"), "SA, SD en SS"),
        (row(number="0"), "Huisnummer '0'"),
        (row(number="12a"), "Huisnummer '12a'"),
        (row(number=""), "Huisnummer ''"),
        (row(letter="ab"), "Huisletter 'AB'"),
        (row(addition="toolong"), "Toevoeging 'TOOLONG'"),
        (row(street=""), "straatnaam ontbreekt"),
        (row(place=""), "woonplaats ontbreekt"),
        (row(lon="", lat=""), "coördinaten ontbreken"),
        (row(lon="oost", lat="noord"), "geen getallen"),
        (row(lon="2.35", lat="48.85"), "buiten Nederland"),
        (row(lon="52.2101", lat="4.4201"), "lijken verwisseld"),
        (row() + ";extra", "16 kolommen in plaats van 15"),
    ],
)
def test_csv_bad_rows_are_rejected_with_line_and_dutch_reason(bad_row, reason):
    results = list(read_bagadres_csv(csv_text(row(), bad_row, row(number="14"))))
    assert [type(r).__name__ for r in results] == ["AddressRecord", "Rejected", "AddressRecord"]
    assert results[1].line_no == 3
    assert reason in results[1].reason_nl


def test_csv_skips_blank_lines_and_keeps_physical_line_numbers():
    results = list(read_bagadres_csv(csv_text(row(), "", row(postcode="x"))))
    assert results[1] == Rejected(4, results[1].reason_nl)


def test_csv_with_bom_and_quotes_in_header():
    text = io.StringIO("\ufeff" + HEADER.replace("postcode", '"postcode"') + "\n" + row() + "\n")
    assert isinstance(next(read_bagadres_csv(text)), AddressRecord)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "leeg"),
        ("a;b;c\n1;2;3\n", "geen bagadres-CSV"),
        ("openbareruimte;huisnummer;postcode;woonplaats\n", "lon en lat (of x en y)"),
    ],
)
def test_csv_wrong_header_is_a_file_error(text, reason):
    with pytest.raises(RegisterFileError) as caught:
        read_bagadres_csv(io.StringIO(text))
    assert reason in caught.value.message


def test_csv_many_rows_with_rd_only_all_convert():
    """Batch RD conversion keeps every row (speed is measured in bench/, not here)."""
    x, y = to_rd(4.4201, 52.2101)
    rows = [
        row(number=str(1 + i % 9999), postcode=f"{2221 + i // 9999}AB", x=f"{x:.3f}", y=f"{y:.3f}", lon="", lat="")
        for i in range(5_000)
    ]
    records = list(read_bagadres_csv(csv_text(*rows)))
    assert len(records) == 5_000
    assert all(isinstance(r, AddressRecord) for r in records)
    assert all(abs(r.lat - 52.2101) < 1e-5 and abs(r.lon - 4.4201) < 1e-5 for r in records)


# -- GeoJSON points ---------------------------------------------------------------------------


def point(lon=4.4201, lat=52.2101, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


PDOK_PROPS = {
    "openbare_ruimte_naam": "Voorbeeldlaan",
    "huisnummer": 12,
    "huisletter": "a",
    "toevoeging": "3",
    "postcode": "2221AB",
    "woonplaats_naam": "Katwijk",
}


def test_geojson_points_with_pdok_and_bag_names():
    data = {
        "type": "FeatureCollection",
        "features": [
            point(**PDOK_PROPS),
            point(
                straatnaam="Voorbeeldlaan",
                huisnummer="14",
                huisnummertoevoeging="bis",
                postcode="2221 ab",
                woonplaatsnaam="Katwijk",
            ),
            point(openbareruimte="Voorbeeldlaan", huisnummer=16.0, postcode="2221AB", woonplaats="Katwijk"),
        ],
    }
    records = list(read_geojson_points(data))
    assert records[0] == AddressRecord("2221AB", 12, "A", "3", "Voorbeeldlaan", "Katwijk", 52.2101, 4.4201)
    assert (records[1].number, records[1].addition, records[1].postcode) == (14, "BIS", "2221AB")
    assert records[2].number == 16
    assert list(read_geojson_points(json.dumps(data))) == records
    assert list(read_geojson_points(json.dumps(data).encode())) == records


def test_geojson_bad_points_are_rejected_with_feature_number():
    data = {
        "type": "FeatureCollection",
        "features": [
            point(**PDOK_PROPS),
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": PDOK_PROPS},
            point(lon=52.2101, lat=4.4201, **PDOK_PROPS),
            point(**{**PDOK_PROPS, "postcode": None}),
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x"]}, "properties": PDOK_PROPS},
            "geen feature",
        ],
    }
    results = list(read_geojson_points(data))
    assert isinstance(results[0], AddressRecord)
    assert [(r.line_no, type(r).__name__) for r in results[1:]] == [(n, "Rejected") for n in range(2, 7)]
    assert "puntgeometrie" in results[1].reason_nl
    assert "verwisseld" in results[2].reason_nl
    assert "postcode" in results[3].reason_nl.lower()


@pytest.mark.parametrize("data", ["{kapot", {"type": "Feature"}, {"type": "FeatureCollection", "features": None}])
def test_geojson_not_a_collection_is_a_file_error(data):
    with pytest.raises(RegisterFileError):
        read_geojson_points(data)
