"""The database address register: exact lookups, forgiving street lookups, imports, cached online hits."""

import io

from buurt.addresses import imports, services
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery, GeocodeResult
from buurt.geo.register_io import read_bagadres_csv
from buurt.models import Address

HEADER = (
    "openbareruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;gemeente;provincie;"
    "object_id;object_type;nevenadres;x;y;lon;lat\n"
)


def _csv(rows: list[str]) -> io.StringIO:
    return io.StringIO(HEADER + "".join(r + "\n" for r in rows))


def test_exact_lookup_with_letter_and_addition(make_address):
    make_address(postcode="2221ZX", number=12, letter="A", lat=52.21, lon=4.42)
    make_address(postcode="2221ZX", number=12, letter="B", lat=52.2101, lon=4.4201)
    register = services.DbRegister()
    assert register.find_exact("2221ZX", 12, "a", None).lat == 52.21
    assert register.find_exact("2221ZX", 12, "B", None).lat == 52.2101
    assert register.find_exact("2221ZX", 12, None, None) is None  # two houses: do not guess
    assert register.find_exact("2221ZX", 12, "C", None) is None


def test_address_added_after_the_snapshot_is_found(make_address):
    register = services.DbRegister()
    assert register.find_exact("2221ZY", 3, None, None) is None  # loads the (empty) snapshot
    make_address(postcode="2221ZY", number=3)
    assert register.find_exact("2221ZY", 3, None, None) is not None


def test_street_lookup_is_forgiving(make_address):
    make_address(postcode="2221ZW", number=7, street="Van Verzonnenstraat")
    query = AddressQuery.from_text("v. verzonnenstr. 7")
    result = services.geocode(query)
    assert result is not None
    assert result.postcode == "2221ZW"
    assert result.source == "register"


def test_import_is_idempotent_and_reports_rejections(app):
    rows = [
        "Fictieweg;1;;;2221ZA;Katwijk;Katwijk;Zuid-Holland;1;verblijfsobject;N;;;4.4201;52.2101",
        "Fictieweg;2;a;;2221 za;Katwijk;Katwijk;Zuid-Holland;2;verblijfsobject;N;;;4.4202;52.2102",
        "Fictieweg;x;;;2221ZA;Katwijk;Katwijk;Zuid-Holland;3;verblijfsobject;N;;;4.42;52.21",
        "Fictieweg;4;;;0221ZA;Katwijk;Katwijk;Zuid-Holland;4;verblijfsobject;N;;;4.42;52.21",
    ]
    report = imports.import_records(read_bagadres_csv(_csv(rows)), source="bag-csv")
    assert (report.loaded, report.updated, len(report.rejected)) == (2, 0, 2)
    assert all(r.reason_nl for r in report.rejected)
    again = imports.import_records(read_bagadres_csv(_csv(rows)), source="bag-csv")
    assert (again.loaded, again.updated, again.unchanged) == (0, 0, 2)
    moved = [rows[0].replace("52.2101", "52.2111")]
    third = imports.import_records(read_bagadres_csv(_csv(moved)), source="bag-csv")
    assert third.updated == 1
    assert db.session.scalar(db.select(db.func.count(Address.id))) == 2
    assert services.DbRegister().find_exact("2221ZA", 1, None, None).lat == 52.2111


def test_import_cli_prints_counts(runner, tmp_path):
    path = tmp_path / "adressen.csv"
    path.write_text(
        HEADER + "Fictieweg;9;;;2221ZB;Katwijk;Katwijk;Zuid-Holland;9;verblijfsobject;N;88878;468428;;\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["buurt", "addresses", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Nieuw: 1" in result.output
    found = services.DbRegister().find_exact("2221ZB", 9, None, None)
    assert 52.1 < found.lat < 52.3  # RD x/y converted
    assert 4.3 < found.lon < 4.5


def test_online_hits_are_stored_once(app):
    result = GeocodeResult(
        52.2102, 4.4203, "Fictieweg 5", "pdok", "2221ZC", HouseNumber(5, None, None), "Fictieweg", "Katwijk"
    )
    query = AddressQuery.structured("2221ZC", "5")
    services.store_result(query, result)
    services.store_result(query, result)
    rows = db.session.scalars(db.select(Address).filter_by(postcode="2221ZC")).all()
    assert len(rows) == 1
    assert rows[0].source == "pdok"
