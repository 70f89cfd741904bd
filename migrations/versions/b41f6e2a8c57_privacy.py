"""privacy: consent versions, anonymised incidents

Revision ID: b41f6e2a8c57
Revises: 9d2b7e4f1a60
Create Date: 2026-12-02 00:30:00

- resident.consent_privacy_version / consent_rules_version: which text of the privacy statement
  and the group rules a resident agreed to (issue 13, point 5). Existing rows stay NULL: their
  version was not recorded ("onbekend" in Mijn gegevens).
- resident.email_pending: a new e-mail address typed in Mijn gegevens, waiting for its own
  confirmation; the confirmed address (and the resident's place in the queue) stays until then.
- incident.anonymised_at: when a report lost its description, details, photo, street and exact
  point (retention, or the reporter deleting their data); the anonymous rest keeps the counts
  (issue 13, points 2 and 3).
- indexes on incident.reporter_resident_id, incident.merged_into_id and audit_entry (target_type, target_id): erasing a
  resident looks up their reports and the audit rows about them (a full scan of the audit log per
  resident made a purge with backlog hold SQLite's write lock for seconds; bench/bench_purge.py).
"""

import sqlalchemy as sa
from alembic import op

import buurt.models.base

# revision identifiers, used by Alembic.
revision = "b41f6e2a8c57"
down_revision = "9d2b7e4f1a60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", buurt.models.base.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_incident_reporter_resident_id"), ["reporter_resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_merged_into_id"), ["merged_into_id"], unique=False)

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_target", ["target_type", "target_id"], unique=False)

    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_privacy_version", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("consent_rules_version", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("email_pending", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("email_pending")
        batch_op.drop_column("consent_rules_version")
        batch_op.drop_column("consent_privacy_version")

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_target")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_merged_into_id"))
        batch_op.drop_index(batch_op.f("ix_incident_reporter_resident_id"))
        batch_op.drop_column("anonymised_at")
