"""address register at scale: indexes for area-bounded reads and the purge, street keys renewed

Revision ID: 744e4c2a1b5e
Revises: b41f6e2a8c57
Create Date: 2026-12-02 04:10:00

- ix_address_lat_lon: the public street list, the public grid and the meldingen street
  suggestions read only the addresses in the current areas' bounding box
  (buurt.addresses.services.near_current_areas), from a register that may hold the country.
- ix_address_source_updated_at: the purge finds cached online answers past their term without
  reading the whole register.
- address.street_norm is recomputed: normalize_street now gives the full and the official short
  street name (PDOK / NEN 5825: "Europaln", "Burg A P vd Blinkln") one key (issue 14, point 5), so
  keys stored by the old function would no longer match a typed street. One UPDATE per distinct
  street whose key changed; a register of the country has ~250,000 streets.
"""

import sqlalchemy as sa
from alembic import op

from buurt.geo.addresses import normalize_street

# revision identifiers, used by Alembic.
revision = "744e4c2a1b5e"
down_revision = "b41f6e2a8c57"
branch_labels = None
depends_on = None


def _renew_street_keys() -> None:
    address = sa.table("address", sa.column("street", sa.String), sa.column("street_norm", sa.String))
    bind = op.get_bind()
    pairs = bind.execute(sa.select(address.c.street, address.c.street_norm).distinct()).all()
    changed = [{"s": street, "n": normalize_street(street)} for street, key in pairs if normalize_street(street) != key]
    if changed:
        bind.execute(
            address.update().where(address.c.street == sa.bindparam("s")).values(street_norm=sa.bindparam("n")),
            changed,
        )


def upgrade():
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.create_index("ix_address_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index("ix_address_source_updated_at", ["source", "updated_at"], unique=False)
    _renew_street_keys()


def downgrade():
    # The renewed street keys stay: the old function's keys cannot be recomputed from here, and
    # the new ones are a superset for matching (full and short names).
    with op.batch_alter_table("address", schema=None) as batch_op:
        batch_op.drop_index("ix_address_source_updated_at")
        batch_op.drop_index("ix_address_lat_lon")
