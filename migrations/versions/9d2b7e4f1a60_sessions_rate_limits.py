"""security: server-side login sessions, rate-limit counters shared by every worker

Revision ID: 9d2b7e4f1a60
Revises: 7c3e51d0a8f4
Create Date: 2026-12-01 22:30:00

- user_session: one row per staff login (a hash of the cookie's token); logout, a password
  change or a disabled account ends it, so a copied cookie stops working (issue 12, finding 6).
- rate_limit_counter: the limits' fixed-window counters (buurt-db://), one store for every
  gunicorn worker and every machine on one database (issue 12, finding 5). Keys hold client
  addresses and keyed hashes, never e-mail addresses; rows live one window.

Existing login cookies carry no session token: everyone logs in once more after this upgrade.
"""

import sqlalchemy as sa
from alembic import op

import buurt.models.base

# revision identifiers, used by Alembic.
revision = "9d2b7e4f1a60"
down_revision = "7c3e51d0a8f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counter")),
    )
    with op.batch_alter_table("rate_limit_counter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_counter_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", buurt.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", buurt.models.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", buurt.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))

    op.drop_table("user_session")
    with op.batch_alter_table("rate_limit_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_counter_expires_at"))

    op.drop_table("rate_limit_counter")
