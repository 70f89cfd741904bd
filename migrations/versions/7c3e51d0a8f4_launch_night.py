"""launch night: seat locks, one active sign-up per number, one-time form tokens, mail outbox

Revision ID: 7c3e51d0a8f4
Revises: 5a1f0c3e9b2d
Create Date: 2026-12-01 20:25:00

- seat_lock: one row per group, upserted before every decision about its seats (the cap).
- resident: a partial unique index on phone_e164 over rows not removed (one active sign-up per
  number). Databases made before it may hold duplicates (a double tap stored twice): before the
  index is built, each number keeps its most advanced active sign-up (a member before a pending
  one before a waitlisted one, then the oldest); the others are marked removed with reason
  "dubbel" and a note, so nothing is deleted and the beheerders can see what happened.
- form_submission: the one-time form tokens already used (hashes) and what they produced.
- outbox_message: mail written with the change it reports, sent after commit.
"""

import sqlalchemy as sa
from alembic import op

import buurt.models.base

revision = "7c3e51d0a8f4"
down_revision = "5a1f0c3e9b2d"
branch_labels = None
depends_on = None

ACTIVE_PHONE = "status != 'removed'"
DUE = "sent_at IS NULL AND gave_up_at IS NULL"
#: which duplicate stays: lower is kept first
_RANK = {"added": 0, "pending": 1, "not_reachable": 2, "waitlist": 3, "unconfirmed": 4, "to_geocode": 5}
DEDUPE_NOTE = "automatisch bij de upgrade: een tweede actieve aanmelding met hetzelfde nummer"


def _remove_duplicate_active_numbers() -> int:
    conn = op.get_bind()
    resident = sa.table(
        "resident",
        sa.column("id", sa.Integer),
        sa.column("phone_e164", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", buurt.models.base.UTCDateTime),
        sa.column("removed_at", buurt.models.base.UTCDateTime),
        sa.column("removal_reason", sa.String),
        sa.column("removal_note", sa.Text),
    )
    duplicated = (
        sa.select(resident.c.phone_e164)
        .where(sa.text(ACTIVE_PHONE))
        .group_by(resident.c.phone_e164)
        .having(sa.func.count() > 1)
    )
    rows = conn.execute(
        sa.select(resident.c.id, resident.c.phone_e164, resident.c.status, resident.c.created_at).where(
            resident.c.phone_e164.in_(duplicated), sa.text(ACTIVE_PHONE)
        )
    ).all()
    by_number: dict[str, list] = {}
    for row in rows:
        by_number.setdefault(row.phone_e164, []).append(row)
    removed = 0
    now = buurt.models.base.utcnow()
    for group in by_number.values():
        group.sort(key=lambda r: (_RANK.get(r.status, 9), r.created_at, r.id))
        for row in group[1:]:
            conn.execute(
                sa.update(resident)
                .where(resident.c.id == row.id)
                .values(status="removed", removed_at=now, removal_reason="dubbel", removal_note=DEDUPE_NOTE)
            )
            removed += 1
    return removed


def upgrade():
    op.create_table(
        "seat_lock",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_seat_lock_group_id_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_seat_lock")),
    )

    _remove_duplicate_active_numbers()
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.create_index(
            "uq_resident_active_phone",
            ["phone_e164"],
            unique=True,
            sqlite_where=sa.text(ACTIVE_PHONE),
            postgresql_where=sa.text(ACTIVE_PHONE),
        )

    op.create_table(
        "form_submission",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("created_at", buurt.models.base.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_form_submission")),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_created_at"), ["created_at"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", buurt.models.base.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", buurt.models.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", buurt.models.base.UTCDateTime(), nullable=True),
        sa.Column("sent_at", buurt.models.base.UTCDateTime(), nullable=True),
        sa.Column("gave_up_at", buurt.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("melding_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_outbox_message_group_id_group"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["melding_id"], ["melding.id"], name=op.f("fk_outbox_message_melding_id_melding"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_outbox_message_resident_id_resident"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_outbox_message_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_message_id")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text(DUE),
            postgresql_where=sa.text(DUE),
        )
        batch_op.create_index(batch_op.f("ix_outbox_message_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_melding_id"), ["melding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("outbox_message")
    op.drop_table("form_submission")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_index("uq_resident_active_phone")
    op.drop_table("seat_lock")
