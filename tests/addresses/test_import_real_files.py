"""`flask buurt addresses import` on NLExtract's real export files and what goes wrong with them.

The three sample files are NLExtract's own test exports (repository nlextract/NLExtract, commit
8714df77fbdd0ad5285427c39b46af06ac89536e, bag/test/bagadres.csv, bag/test/bagadres-full.csv,
bag/test/bagadresplus.csv; see tests/addresses/data/README.md). Variants (CRLF, decimal commas,
RD-only, withdrawn statuses, windows-1252) are made from them here; invented street names are
fictional.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from buurt import caching
from buurt.addresses import imports, services
from buurt.extensions import db
from buurt.geo.register_io import RegisterFileError, outline_with_margin, read_bagadres_csv, sniff_register_file
from buurt.models import Address

DATA = Path(__file__).parent / "data"
BAGADRES = DATA / "nlextract_bagadres.csv"
BAGADRES_FULL = DATA / "nlextract_bagadres-full.csv"
BAGADRESPLUS = DATA / "nlextract_bagadresplus.csv"
NOT_ADDRESSES = DATA / "nlextract_cbs-gemeentenperprovincie-2016.csv"


def _import(runner, path: Path, *args: str):
    return runner.invoke(args=["buurt", "addresses", "import", str(path), *args])


def _keys() -> list[tuple]:
    return sorted(
        db.session.execute(
            db.select(
                Address.postcode, Address.house_number, Address.house_letter, Address.house_addition, Address.street
            )
        ).all()
    )


def _state() -> tuple:
    """Everything a failed import must leave as it was: every address row and the cache revision."""
    db.session.remove()
    rows = db.session.execute(
        db.select(Address.id, Address.postcode, Address.house_number, Address.street, Address.lat).order_by(Address.id)
    ).all()
    return rows, caching.read_revision(db.session, caching.ADDRESSES)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# -- the real files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [BAGADRES, BAGADRES_FULL, BAGADRESPLUS], ids=lambda p: p.stem)
def test_real_nlextract_exports_import_all_99_rows(runner, path):
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Nieuw: 99 " in result.output
    assert "afgewezen: 0" in result.output
    assert "tekstcodering UTF-8" in result.output
    assert db.session.scalar(db.select(db.func.count(Address.id))) == 99


def test_the_three_exports_give_the_same_register(app, tmp_path):
    registers = []
    for path in (BAGADRES, BAGADRES_FULL, BAGADRESPLUS):
        db.session.execute(db.delete(Address))
        db.session.commit()
        report = imports.import_file(path)
        assert report.loaded == 99
        registers.append(_keys())
    assert registers[0] == registers[1] == registers[2]


def test_file_formats_are_named(app):
    formats = [imports.import_file(p).file_format for p in (BAGADRES, BAGADRES_FULL, BAGADRESPLUS)]
    assert formats == ["bagadres", "bagadres-full", "bagadresplus"]


def test_one_letter_toevoeging_stays_a_toevoeging(runner):
    """De Ruijterkade 105-H: huisletter empty, huisnummertoevoeging "H" (11 rows of the real file)."""
    assert _import(runner, BAGADRES).exit_code == 0
    one_letter = db.session.execute(
        db.select(Address.house_number, Address.house_letter, Address.house_addition).where(
            db.func.length(Address.house_addition) == 1, Address.house_addition.between("A", "Z")
        )
    ).all()
    assert len(one_letter) == 11
    assert all(letter == "" for _number, letter, _addition in one_letter)
    h = services.DbRegister().find_exact("1011AB", 105, None, "H")
    assert h is not None
    assert h.street == "De Ruijterkade"
    stored = db.session.execute(
        db.select(Address.house_letter, Address.house_addition).where(
            Address.postcode == "1011AB", Address.house_number == 105, Address.house_addition == "H"
        )
    ).one()
    assert tuple(stored) == ("", "H")  # stored as the BAG has it: not a huisletter


def test_crlf_decimal_commas_and_rd_only_rows(runner, app, tmp_path):
    assert _import(runner, BAGADRES).exit_code == 0
    expected = {
        tuple(key): (lat, lon)
        for *key, lat, lon in db.session.execute(
            db.select(Address.postcode, Address.house_number, Address.house_letter, Address.house_addition,
                      Address.lat, Address.lon)
        )
    }  # fmt: skip
    db.session.execute(db.delete(Address))
    db.session.commit()
    header, *rows = _lines(BAGADRES)
    variant = [header]
    for i, line in enumerate(rows):
        fields = line.split(";")
        if i % 3 == 0:  # RD only: lon and lat empty
            fields[13] = fields[14] = ""
        elif i % 3 == 1:  # decimal commas everywhere
            fields[11:15] = [f.replace(".", ",") for f in fields[11:15]]
        variant.append(";".join(fields))
    path = tmp_path / "bagadres-crlf.csv"
    path.write_bytes("\r\n".join(variant).encode() + b"\r\n")
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Nieuw: 99 " in result.output
    got = {
        (a.postcode, a.house_number, a.house_letter, a.house_addition): (a.lat, a.lon)
        for a in db.session.scalars(db.select(Address))
    }
    assert got.keys() == expected.keys()
    for key, (lat, lon) in expected.items():
        assert got[key][0] == pytest.approx(lat, abs=2e-5)  # RD rounded to mm; pyproj vs PostGIS
        assert got[key][1] == pytest.approx(lon, abs=2e-5)
    assert all(a.street == a.street.strip() and "\r" not in a.place for a in db.session.scalars(db.select(Address)))


# -- encodings --------------------------------------------------------------------------------

ACCENTED = ("Proef-Ruïnelaan", "Verzonnen Curaçaostraat", "Fictief Caféplein")


def _cp1252_file(tmp_path: Path, rows: int = 99) -> Path:
    """The real bagadres sample with three streets renamed to (fictional) accented names, in cp1252."""
    header, *lines = _lines(BAGADRES)
    renamed = {"Houtkopersdwarsstraat": ACCENTED[0], "Oosterdokskade": ACCENTED[1], "Prins Hendrikkade": ACCENTED[2]}
    out = [header]
    for line in lines[:rows]:
        street, rest = line.split(";", 1)
        out.append(f"{renamed.get(street, street)};{rest}")
    path = tmp_path / "bagadres-excel.csv"
    path.write_bytes(("\n".join(out) + "\n").encode("cp1252"))
    return path


def test_windows_1252_file_is_recognised_and_read(runner, tmp_path):
    path = _cp1252_file(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")  # the old reader's crash
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "tekstcodering windows-1252" in result.output
    assert "Nieuw: 99 " in result.output
    streets = set(db.session.scalars(db.select(Address.street)))
    assert set(ACCENTED) <= streets


def test_windows_1252_with_encoding_option(runner, tmp_path):
    path = _cp1252_file(tmp_path)
    result = _import(runner, path, "--encoding", "windows-1252")
    assert result.exit_code == 0, result.output
    assert "tekstcodering windows-1252" in result.output
    assert ACCENTED[1] in set(db.session.scalars(db.select(Address.street)))


def test_wrong_encoding_option_refuses_and_writes_nothing(runner, tmp_path):
    path = _cp1252_file(tmp_path)
    before = _state()
    result = _import(runner, path, "--encoding", "utf-8")
    assert result.exit_code == 1
    assert "geen geldige utf-8-tekst" in result.output
    assert "Traceback" not in result.output
    assert _state() == before


def test_unknown_encoding_name_is_one_dutch_sentence(runner):
    result = _import(runner, BAGADRES, "--encoding", "klingon")
    assert result.exit_code == 1
    assert "De codering 'klingon' bestaat niet" in result.output


def test_utf8_with_bom_and_utf8_accents(app, tmp_path):
    header, *lines = _lines(BAGADRES)
    text = "\n".join([header, *(line.replace("Oosterdokskade", ACCENTED[1]) for line in lines)]) + "\n"
    for name, data, label in (
        ("bom.csv", b"\xef\xbb\xbf" + text.encode(), "UTF-8 met BOM"),
        ("plain.csv", text.encode(), "UTF-8"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        sniffed = imports.sniff_file(path)
        assert sniffed.label_nl == label
        report = imports.import_file(path, sniffed=sniffed)
        assert report.loaded + report.unchanged == 99
    assert ACCENTED[1] in set(db.session.scalars(db.select(Address.street)))


def test_sniff_reads_in_chunks_and_finds_the_bad_line(monkeypatch):
    from buurt.geo import register_io

    monkeypatch.setattr(register_io, "_CHUNK", 64)  # many chunks, multi-byte letters across borders
    text = "".join(f"Proef-Ruïnelaan;{i}\n" for i in range(200))
    sniffed = sniff_register_file(io.BytesIO(text.encode()))
    assert (sniffed.encoding, sniffed.lines) == ("utf-8", 200)
    broken = text.encode().replace(b"Proef-Ru\xc3\xafnelaan;150\n", b"Proef-Ru\x81nelaan;150\n")
    with pytest.raises(RegisterFileError) as caught:
        sniff_register_file(io.BytesIO(broken))  # 0x81 is neither UTF-8 nor windows-1252
    assert "regel 151" in caught.value.message


# -- wrong files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (NOT_ADDRESSES.read_bytes(), "de kolommen gemcode, gemcodel, provcode, provcodel"),
        (b'{"type": "Feature", "properties": {}}', "geen GeoJSON FeatureCollection"),
        (b"not json at all {", "geen bagadres-CSV"),
        (b"De Ruijterkade;105;;1;1011AB;Amsterdam\n", "geen kopregel"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"buurtnaam": "x"},'
            b' "geometry": {"type": "Polygon",'
            b' "coordinates": [[[4.4, 52.2], [4.5, 52.2], [4.5, 52.3], [4.4, 52.2]]]}}]}',
            "GeoJSON met vlakken",
        ),
    ],
    ids=["cbs-gemeenten-csv", "json-feature", "text", "no-header", "area-geojson"],
)
def test_wrong_format_is_one_dutch_sentence_and_nothing_is_written(runner, make_address, tmp_path, content, expected):
    make_address(postcode="2221ZZ", number=1)
    before = _state()
    path = tmp_path / "verkeerd.csv"
    path.write_bytes(content)
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert expected in result.output
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("Niet geladen: ")
    if "CSV" in message:
        assert "bagadres, bagadres-full of bagadresplus" in message
        assert message.count(". ") == 0  # one sentence
    assert _state() == before


def test_shipped_area_file_is_refused_as_address_file(runner):
    shipped = sorted(Path(__file__).resolve().parents[2].glob("**/katwijk_buurten_2024.geojson"))
    if not shipped:
        pytest.skip("the shipped boundary file is not in this checkout")
    result = _import(runner, shipped[0])
    assert result.exit_code == 1
    assert "GeoJSON met vlakken" in result.output


# -- withdrawn objects ------------------------------------------------------------------------


def test_withdrawn_and_never_built_objects_are_skipped_and_counted(runner, tmp_path):
    header, *lines = _lines(BAGADRES_FULL)
    statuses = ["Verblijfsobject ingetrokken"] * 3 + ["Niet gerealiseerd verblijfsobject"] * 2
    statuses += ["Plaats ingetrokken", "Verblijfsobject ten onrechte opgevoerd"]
    out = [header]
    for i, line in enumerate(lines):
        fields = line.split(";")
        if i < len(statuses):
            fields[11] = statuses[i]
        elif i == len(statuses):
            fields[11] = "Verblijfsobject buiten gebruik"  # still exists: stays
        out.append(";".join(fields))
    path = tmp_path / "bagadres-full-status.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Nieuw: 92 " in result.output
    assert "overgeslagen: 7" in result.output
    assert "3 × overgeslagen: BAG-status: Verblijfsobject ingetrokken" in result.output
    assert "2 × overgeslagen: BAG-status: Niet gerealiseerd verblijfsobject" in result.output
    assert "1 × overgeslagen: BAG-status: Plaats ingetrokken" in result.output


def test_withdrawn_status_in_bagadresplus_and_geojson(app, tmp_path):
    header, *lines = _lines(BAGADRESPLUS)
    lines[0] = lines[0].replace("Verblijfsobject in gebruik", "Verblijfsobject ingetrokken")
    path = tmp_path / "plus.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    report = imports.import_file(path)
    assert (report.loaded, report.skipped) == (98, {"BAG-status: Verblijfsobject ingetrokken": 1})
    geojson = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.42, 52.21]}, "properties": '
        '{"openbare_ruimte_naam": "Proefstraat", "huisnummer": 1, "postcode": "2221ZQ", "woonplaats_naam": "Katwijk",'
        ' "status": "Naamgeving ingetrokken"}},'
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.42, 52.21]}, "properties": '
        '{"openbare_ruimte_naam": "Proefstraat", "huisnummer": 2, "postcode": "2221ZQ", "woonplaats_naam": "Katwijk",'
        ' "status": "Naamgeving uitgegeven"}}]}'
    )
    path = tmp_path / "punten.geojson"
    path.write_text(geojson, encoding="utf-8")
    report = imports.import_file(path)
    assert (report.loaded, report.skipped, report.file_format) == (
        1,
        {"BAG-status: Naamgeving ingetrokken": 1},
        "GeoJSON",
    )


# -- filters ----------------------------------------------------------------------------------


def test_gemeente_and_woonplaats_filters_are_case_insensitive_lists(runner):
    result = _import(runner, BAGADRES, "--gemeente", "Leiden,  AMSTERDAM ")
    assert "Nieuw: 99 " in result.output
    db.session.execute(db.delete(Address))
    db.session.commit()
    result = _import(runner, BAGADRES, "--woonplaats", "katwijk", "--woonplaats", "leiden")
    assert result.exit_code == 0, result.output
    assert "Nieuw: 0 " in result.output
    assert "99 × overgeslagen: Niet in de gekozen gemeente of woonplaats." in result.output
    result = _import(runner, BAGADRESPLUS, "--woonplaats", "amsterdam", "--gemeente", "amsterdam")
    assert "Nieuw: 99 " in result.output


def test_gemeente_filter_needs_a_gemeente_column(runner, tmp_path):
    path = tmp_path / "smal.csv"
    path.write_text(
        "openbareruimte;huisnummer;postcode;woonplaats;lon;lat\nProefstraat;1;2221ZQ;Katwijk;4.42;52.21\n",
        encoding="utf-8",
    )
    result = _import(runner, path, "--gemeente", "Katwijk")
    assert result.exit_code == 1
    assert "geen kolom gemeente" in result.output


def test_within_areas_keeps_only_addresses_near_the_current_areas(runner, app, tmp_path):
    from buurt.areas.services import current_areas

    inside = shape(current_areas().areas[0].geometry).representative_point()
    _header, first, *_rest = _lines(BAGADRES)
    fields = first.split(";")
    fields[0], fields[4], fields[5], fields[6] = "Proefstraat", "2221ZQ", "Katwijk", "Katwijk"
    fields[11] = fields[12] = ""
    fields[13], fields[14] = f"{inside.x:.7f}", f"{inside.y:.7f}"
    path = tmp_path / "mix.csv"
    path.write_text("\n".join([*_lines(BAGADRES), ";".join(fields)]) + "\n", encoding="utf-8")
    result = _import(runner, path, "--within-areas")
    assert result.exit_code == 0, result.output
    assert "Nieuw: 1 " in result.output
    assert "99 × overgeslagen: Buiten de buurten (met marge)." in result.output
    assert _keys() == [("2221ZQ", 105, "", "1", "Proefstraat")]


def test_within_areas_margin_is_in_metres(app):
    from buurt.geo.coords import from_rd, to_rd

    x, y = to_rd(4.42, 52.21)
    square = shape(
        {
            "type": "Polygon",
            "coordinates": [
                [list(from_rd(x + dx, y + dy)) for dx, dy in ((0, 0), (100, 0), (100, 100), (0, 100), (0, 0))]
            ],
        }
    )
    outline = outline_with_margin([square], 500)
    for dx, dy, keep in ((590, 50, True), (610, 50, False), (50, -490, True), (50, -510, False)):
        lon, lat = from_rd(x + dx, y + dy)
        assert bool(shapely.intersects_xy(outline, lon, lat)) is keep, (dx, dy)


# -- all or nothing ---------------------------------------------------------------------------


def _big_csv(rows: int) -> list[bytes]:
    header = b"openbareruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;gemeente;lon;lat\n"
    out = [header]
    for i in range(rows):
        postcode = f"{2000 + i // 40}ZQ"
        out.append(f"Proefstraat;{i % 40 + 1};;;{postcode};Verzonnenstad;Verzonnen;4.42;52.21\n".encode())
    return out


def test_failure_in_the_middle_of_the_file_leaves_the_register_as_it_was(runner, make_address, tmp_path):
    """30,000 rows, an unreadable line at 15,000 (after three batches of 5,000 were written)."""
    make_address(postcode="2221ZZ", number=1)
    make_address(postcode="2000ZQ", number=1, street="Oudestraat")  # would be updated by the file
    before = _state()
    lines = _big_csv(30_000)
    lines[15_000] = b'Proefstraat;1;;;"' + b"x" * 200_000 + b'";Verzonnenstad;Verzonnen;4.42;52.21\n'
    path = tmp_path / "kapot.csv"
    path.write_bytes(b"".join(lines))
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "Regel 15001 is geen geldige CSV" in result.output
    assert "niets opgeslagen" in result.output
    assert _state() == before


def test_bad_bytes_in_the_middle_are_refused_before_writing(runner, make_address, tmp_path):
    make_address(postcode="2221ZZ", number=1)
    before = _state()
    lines = _big_csv(30_000)
    lines[15_000] = lines[15_000].replace(b"Proefstraat", b"Proefstr\x81at")  # neither UTF-8 nor cp1252
    path = tmp_path / "kapot.csv"
    path.write_bytes(b"".join(lines))
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "geen UTF-8 (regel 15001) en ook geen windows-1252 (regel 15001)" in result.output
    assert _state() == before


def test_exception_after_15000_of_30000_rows_rolls_everything_back(app, make_address):
    make_address(postcode="2221ZZ", number=1)
    before = _state()
    records = read_bagadres_csv(io.StringIO(b"".join(_big_csv(30_000)).decode()))

    def failing():
        for n, item in enumerate(records):
            if n == 15_000:
                raise OSError("disk full (test)")
            yield item

    with pytest.raises(OSError, match="disk full"):
        imports.import_records(failing(), source="bag-csv")
    assert _state() == before
    # and the same file imports completely afterwards: "run it again" is the recovery
    report = imports.import_records(read_bagadres_csv(io.StringIO(b"".join(_big_csv(30_000)).decode())), source="x")
    assert report.loaded == 30_000
    assert _state()[1] == before[1] + 1


# -- duplicates, progress, bounded reports ----------------------------------------------------


def test_duplicates_across_batches_first_row_wins(app, make_address):
    make_address(postcode="2000ZQ", number=3, street="Proefstraat", lat=52.21, lon=4.42, place="Verzonnenstad")
    lines = _big_csv(100)
    moved = lines[3].replace(b"52.21", b"52.22")  # 2000ZQ 3 again, moved: a later duplicate
    text = b"".join([*lines, moved, lines[10]]).decode()
    handled: list[int] = []
    report = imports.import_records(
        read_bagadres_csv(io.StringIO(text)), source="x", batch_size=7, progress=handled.append
    )
    assert (report.loaded, report.unchanged, report.duplicates) == (99, 1, 2)
    assert sum(handled) == 102
    assert services.DbRegister().find_exact("2000ZQ", 3, None, None).lat == 52.21


def test_rejected_rows_are_counted_but_only_the_first_are_kept(app):
    lines = _big_csv(1_500)
    text = b"".join(line.replace(b"Verzonnenstad", b"") if i else line for i, line in enumerate(lines)).decode()
    report = imports.import_records(read_bagadres_csv(io.StringIO(text)), source="x")
    assert report.rejected_count == 1_500
    assert len(report.rejected) == imports.REJECTED_KEPT
    assert report.reasons == {"De woonplaats ontbreekt.": 1_500}


def test_the_register_is_not_locked_while_the_file_is_read(app, tmp_path):
    """SQLite: a sign-up's write goes through while a big file is still being read (the stage)."""
    import sqlite3

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("PostgreSQL writers do not wait for each other's table writes")
    writes: list[int] = []

    def sign_up_meanwhile(_handled: int) -> None:
        other = sqlite3.connect(uri.removeprefix("sqlite:///"), timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails with "database is locked" while an import writes
            other.execute("UPDATE revision SET value = value WHERE name = 'probe'")
            other.execute("COMMIT")
            writes.append(1)
        finally:
            other.close()

    records = read_bagadres_csv(io.StringIO(b"".join(_big_csv(12_000)).decode()))
    report = imports.import_records(records, source="x", progress=sign_up_meanwhile)
    assert report.loaded == 12_000
    assert len(writes) == 3  # one per batch of 5,000 read


def test_odd_characters_survive_the_bulk_write(app):
    """PostgreSQL writes through COPY's text format: backslash, tab and quotes must come back as they were."""
    from buurt.geo.register_io import AddressRecord

    odd = ["Proef\\straat", "Verzonnen\tlaan", '\'t Fictieve "Hof"', "Proefstraat \\N", "Curaçao-Ruïnepad"]
    records = [
        AddressRecord("2221ZQ", n, None, None, street, "Verzonnen stad", 52.21, 4.42) for n, street in enumerate(odd, 1)
    ]
    report = imports.import_records(records, source="x")
    assert report.loaded == len(odd)
    db.session.remove()
    stored = db.session.execute(db.select(Address.street, Address.created_at).order_by(Address.house_number)).all()
    assert [street for street, _created in stored] == odd
    assert all(created.tzinfo is not None for _street, created in stored)
    again = imports.import_records(records, source="x")
    assert (again.loaded, again.unchanged) == (0, len(odd))


def test_an_address_kept_from_pdok_becomes_register_data_when_the_file_has_it(app, make_address):
    """Otherwise purging the online cache would delete an address the BAG file holds."""
    from buurt.geo.geocoding import ONLINE_SOURCES

    make_address(postcode="1011AB", number=105, addition="H", street="De Ruijterkade", place="Amsterdam",
                 lat=52.3777797, lon=4.9051668, source=ONLINE_SOURCES[0])  # fmt: skip
    report = imports.import_file(BAGADRES)
    assert (report.loaded, report.updated) == (98, 1)
    source = db.session.scalar(
        db.select(Address.source).where(Address.postcode == "1011AB", Address.house_addition == "H")
    )
    assert source == "bag-csv"
