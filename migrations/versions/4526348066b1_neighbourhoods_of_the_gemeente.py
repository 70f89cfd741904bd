"""neighbourhoods of the gemeente: what a neighbourhood is made of, routing-only ones, their order

Revision ID: 4526348066b1
Revises: 744e4c2a1b5e
Create Date: 2026-12-02 15:26:03

- neighbourhood.buurtcodes: the CBS 2024 buurten it was made of (None: its own boundary file).
- neighbourhood.routing_only / signup_url: a neighbourhood whose groups live elsewhere; meldingen
  reach its groups, its page points residents to its own sign-up.
- neighbourhood.sort_order: the order of the gemeente page.
- user.neighbourhood_id now scopes a coordinator (None: the whole gemeente). Coordinators stored
  without one, in a database that holds exactly one neighbourhood, get that neighbourhood: they
  coordinated it, and adding a second neighbourhood must not silently widen what they see.
  A gemeente-wide coordinator is made on purpose (`flask buurt users create --gemeente`).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4526348066b1"
down_revision = "744e4c2a1b5e"
branch_labels = None
depends_on = None

RIJNSOEVER = ["BU05370101", "BU05370102", "BU05370105", "BU05370106"]


def upgrade():
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buurtcodes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("routing_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("signup_url", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sort_order", sa.Integer(), nullable=False, server_default="0"))
    bind = op.get_bind()
    hood = sa.table(
        "neighbourhood", sa.column("id", sa.Integer), sa.column("slug", sa.String), sa.column("buurtcodes", sa.JSON)
    )
    bind.execute(
        hood.update().where(hood.c.slug == "rijnsoever", hood.c.buurtcodes.is_(None)).values(buurtcodes=RIJNSOEVER)
    )
    ids = bind.execute(sa.select(hood.c.id)).scalars().all()
    if len(ids) == 1:
        user = sa.table("user", sa.column("role", sa.String), sa.column("neighbourhood_id", sa.Integer))
        bind.execute(
            user.update()
            .where(user.c.role == "coordinator", user.c.neighbourhood_id.is_(None))
            .values(neighbourhood_id=ids[0])
        )


def downgrade():
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.drop_column("sort_order")
        batch_op.drop_column("signup_url")
        batch_op.drop_column("routing_only")
        batch_op.drop_column("buurtcodes")
