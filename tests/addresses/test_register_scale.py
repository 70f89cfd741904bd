"""The register at any scale (issue 14, point 6).

DbRegister answers from an in-memory snapshot up to ADDRESS_SNAPSHOT_MAX addresses and from
indexed queries above it; the mode is decided per ``addresses`` revision from a bounded count, so
every worker decides alike and none reads the whole table in SQL mode. Pages about the
neighbourhood (the public street list, the public grid) read only the addresses near its areas.
The numbers are bench/bench_register_scale.py's; these tests check behaviour only.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from flask import g
from sqlalchemy import event

from buurt.addresses import imports, services
from buurt.extensions import db
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.geo.register import RegisterGeocoder
from buurt.geo.register_io import AddressRecord

FAR = (53.2194, 6.5665)  # Groningen: far outside the test neighbourhood (Katwijk)


def records(n: int, start: int = 1) -> list[AddressRecord]:
    return [
        AddressRecord("2221CM", number, None, None, "Proefstraat", "Katwijk", 52.2115, 4.4236)
        for number in range(start, start + n)
    ]


@contextlib.contextmanager
def request(app):
    """A request as a worker sees it: a fresh `g` (the tests' app context outlives requests)."""
    with app.test_request_context():
        g.pop("buurt_addresses_revision", None)
        yield


@contextlib.contextmanager
def sqlite_statements():
    """Every SQL statement the session's SQLite connection runs, also through the raw DBAPI cursor."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("statement tracing uses sqlite3's trace callback")
    raw = connection.connection.driver_connection
    seen: list[str] = []
    raw.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        raw.set_trace_callback(None)


def test_the_mode_follows_the_threshold_and_moves_with_the_register(app):
    app.config["ADDRESS_SNAPSHOT_MAX"] = 3
    imports.import_records(records(3), source="bag-csv")
    register = services.DbRegister(ttl=0)  # outside a request: re-read the revision every lookup
    assert register.mode == "snapshot"
    assert register.find_exact("2221CM", 2, None, None) is not None
    imports.import_records(records(1, start=4), source="bag-csv")  # a fourth: over the threshold
    assert register.mode == "sql"
    assert register._snapshot is None  # nothing of the register kept in memory
    assert register.find_exact("2221CM", 4, None, None).street == "Proefstraat"
    db.session.execute(db.delete(services.Address).where(services.Address.house_number == 4))
    db.session.commit()  # the ORM-enabled delete bumps the revision
    assert register.mode == "snapshot"


def test_two_workers_decide_alike_on_their_next_request(app):
    app.config["ADDRESS_SNAPSHOT_MAX"] = 2
    imports.import_records(records(2), source="bag-csv")
    workers = [services.DbRegister(), services.DbRegister()]
    with request(app):
        assert [w.mode for w in workers] == ["snapshot", "snapshot"]
    imports.import_records(records(1, start=3), source="bag-csv")  # "another process" imports
    with request(app):
        assert [w.mode for w in workers] == ["sql", "sql"]
        assert all(w.find_exact("2221CM", 3, None, None) is not None for w in workers)


def test_sql_mode_never_reads_the_whole_table(app, make_address):
    app.config["ADDRESS_SNAPSHOT_MAX"] = 1
    make_address(postcode="2221CM", number=7, addition="1", street="Proefstraat", source="bag-csv")
    make_address(postcode="2221CM", number=7, addition="2", street="Proefstraat", source="bag-csv")
    make_address(postcode="2221CM", number=9, letter="A", street="Proefstraat", source="bag-csv")
    register = services.DbRegister()
    geocoder = RegisterGeocoder(register)
    with sqlite_statements() as seen:
        assert register.mode == "sql"
        assert geocoder.geocode(AddressQuery.from_text("2221CM 9-a")).house_number.letter == "A"
        assert geocoder.geocode(AddressQuery.from_text("Proefstraat 7-2 Katwijk")) is not None
        assert geocoder.geocode(AddressQuery.from_text("2221CM 8")) is None
        with pytest.raises(HouseChoiceNeeded):
            geocoder.geocode(AddressQuery.from_text("2221CM 7"))
    reads = [sql for sql in seen if "FROM address" in sql]
    assert reads, seen
    for sql in reads:
        assert "WHERE" in sql or "LIMIT" in sql, sql  # the bounded count, or an indexed lookup
    assert not any("house_letter" in sql and "WHERE" not in sql for sql in reads)


def test_snapshot_mode_answers_hits_without_a_query(app, make_address):
    make_address(postcode="2221CM", number=9, letter="A", street="Proefstraat", source="bag-csv")
    register = services.DbRegister()
    assert register.mode == "snapshot"
    with sqlite_statements() as seen:
        for _ in range(3):
            assert register.find_exact("2221CM", 9, "a", None) is not None
            assert register.find_exact("2221CM", 9, None, "A") is not None  # the other reading
    assert not [sql for sql in seen if "FROM address" in sql]


def test_the_street_list_reads_only_the_addresses_near_the_areas(app, make_address):
    make_address(postcode="2221ZZ", number=1, street="Fictieweg", source="bag-csv")  # inside the areas
    make_address(postcode="9711AA", number=1, street="Verreweg", lat=FAR[0], lon=FAR[1], source="bag-csv")
    statements: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        per_group = services.streets_by_group()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    streets = {street for streets in per_group.values() for street, _count in streets}
    assert streets == {"Fictieweg"}
    (read,) = [s for s, _p in statements if "address.street" in s and "FROM address" in s]
    assert "address.lat BETWEEN" in read, read  # a range on ix_address_lat_lon, not the whole register


def test_the_public_grid_counts_only_addresses_near_the_areas(app, make_address):
    from buurt.incidents import blur
    from buurt.incidents.public import address_grid

    make_address(postcode="2221ZZ", number=1, source="bag-csv")
    for k in range(6):  # a full cell far away: not the neighbourhood's business
        make_address(postcode="9711AA", number=k + 1, lat=FAR[0], lon=FAR[1] + k * 1e-5, source="bag-csv")
    grid = address_grid(150.0)
    far_cells = set(blur.address_counts(np.array([FAR[0]]), np.array([FAR[1]]), 150.0))
    assert sum(grid.values()) == 1
    assert not far_cells & set(grid)


def test_the_threshold_is_read_from_the_config(app):
    register = services.DbRegister()
    imports.import_records(records(2), source="bag-csv")
    app.config["ADDRESS_SNAPSHOT_MAX"] = 1
    assert register.mode == "sql"
    assert services.count_up_to(1) == 2  # counted no further than the threshold + 1
    assert services.count_up_to(100) == 2
