"""Online answers kept in the register do not move the ``addresses`` revision.

Every address an online geocoder finds is stored (so it is fetched once). Before, each one bumped
the revision, and every worker then reloaded its whole register snapshot on its next request
(seconds at 100,000 addresses) — after every new address anybody looked up. The snapshot, the
street list and the public grid hold imported addresses only, so a kept online answer changes none
of them; a lookup finds it through the snapshot's database fallback, and once the purge has deleted
it, it is gone at once. Fictional addresses.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from buurt import caching
from buurt.addresses import imports, services
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import SOURCE_PDOK, AddressQuery, GeocodeResult
from buurt.geo.register_io import AddressRecord
from buurt.models import Address

IMPORTED = AddressRecord("2221CM", 1, None, None, "Proefstraat", "Katwijk", 52.2115, 4.4236)
LOOKED_UP = GeocodeResult(
    lat=52.2117,
    lon=4.4239,
    display_name="Proefstraat 3, 2221 CM Katwijk",
    source=SOURCE_PDOK,
    postcode="2221CM",
    house_number=HouseNumber(3),
    street="Proefstraat",
    place="Katwijk",
)


def revision() -> int:
    return caching.read_revision(db.session, caching.ADDRESSES)


def test_keeping_an_online_answer_moves_no_revision_and_is_found_then_forgotten(app):
    imports.import_records([IMPORTED], source="bag-csv")
    register = services.DbRegister(ttl=0)
    assert register.find_exact("2221CM", 1, None, None) is not None  # the snapshot is loaded
    before = revision()

    services.store_result(AddressQuery.from_text("2221CM 3"), LOOKED_UP)

    assert revision() == before  # no worker reloads its snapshot for a looked-up address
    hit = register.find_exact("2221CM", 3, None, None)
    assert (hit.source, hit.lat) == (SOURCE_PDOK, LOOKED_UP.lat)  # from the database fallback
    assert all(entry[3] != SOURCE_PDOK for entries in register._snapshot._by_postcode.values() for entry in entries)

    db.session.execute(delete(Address).where(Address.source == SOURCE_PDOK))  # what the purge does
    db.session.commit()
    assert register.find_exact("2221CM", 3, None, None) is None  # deleted means gone, at once


def test_an_import_still_moves_the_revision(app):
    before = revision()
    imports.import_records([IMPORTED], source="bag-csv")
    assert revision() > before


@pytest.mark.parametrize("snapshot_max", [None, 0], ids=["snapshot", "sql"])
def test_a_looked_up_neighbour_does_not_change_the_answer_for_a_bare_number(app, snapshot_max):
    """Imported: only 9a. Somebody looks up 9b (PDOK knows it) and it is kept. "9" must still find 9a,
    as before that lookup: otherwise the answer would show that 9b was looked up."""
    imports.import_records(
        [AddressRecord("2221CM", 9, "A", None, "Proefstraat", "Katwijk", 52.2115, 4.4236)], source="bag-csv"
    )
    register = services.DbRegister(ttl=0, snapshot_max=snapshot_max)
    before = register.find_exact("2221CM", 9, None, None)
    nine_b = GeocodeResult(
        52.2116, 4.4237, "Proefstraat 9b", SOURCE_PDOK, "2221CM", HouseNumber(9, "B"), "Proefstraat", "Katwijk"
    )
    services.store_result(AddressQuery.from_text("2221CM 9b"), nine_b)
    after = register.find_exact("2221CM", 9, None, None)
    assert before.house_number == after.house_number == HouseNumber(9, "A")
