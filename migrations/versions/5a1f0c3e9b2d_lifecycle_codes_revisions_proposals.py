"""reasons as codes, revision counters, proposals as generations

Revision ID: 5a1f0c3e9b2d
Revises: 2838ef997313
Create Date: 2026-12-01 19:00:00

- resident.removal_reason and group_task.reason hold a code (buurt.models.RemovalReason) instead
  of Dutch text; a beheerder's own words move to resident.removal_note. Existing rows are
  converted; text that matches no code becomes "anders" with the text kept as the note.
- group_task.other_group_id: the group a moved resident came from or goes to.
- revision: counters that tell other processes their cached copy is stale.
- boundary_generation.number may be NULL and .document holds a proposal's GeoJSON: area
  proposals are inactive generations in the database, not files on one host.
"""

import sqlalchemy as sa
from alembic import op

revision = "5a1f0c3e9b2d"
down_revision = "2838ef997313"
branch_labels = None
depends_on = None

# Dutch text stored before this revision -> code
_RESIDENT_PREFIXES = (
    ("verhuisd", "verhuisd"),
    ("op eigen verzoek", "eigen_verzoek"),
    ("houdt zich niet aan de groepsregels", "regels"),
    ("dubbele aanmelding", "dubbel"),
    ("anders", "anders"),
)
_TASK_TEXTS = (
    ("nummer gewijzigd door bewoner", "nummer_gewijzigd"),
    ("verhuisd naar een ander gebied", "ander_gebied"),
    ("gegevens verwijderd op verzoek van de bewoner", "gegevens_verwijderd"),
    ("nieuwe gebiedsindeling", "nieuwe_indeling"),
    *_RESIDENT_PREFIXES,
)


def _code(text, table):
    """(code, note) for an old free-text reason."""
    if text is None:
        return None, None
    lowered = text.strip().lower()
    for prefix, code in table:
        if lowered.startswith(prefix):
            rest = text.strip()[len(prefix) :].lstrip(":").strip()
            return code, rest or None
    return "anders", text.strip() or None


def upgrade():
    op.create_table(
        "revision",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_revision")),
    )
    op.bulk_insert(sa.table("revision", sa.column("name"), sa.column("value")), [{"name": "areas", "value": 1}])

    with op.batch_alter_table("boundary_generation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removal_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("removal_code", sa.String(length=20), nullable=True))
    with op.batch_alter_table("group_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("other_group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_group_task_other_group_id_group"), "group", ["other_group_id"], ["id"], ondelete="SET NULL"
        )

    conn = op.get_bind()
    resident = sa.table(
        "resident",
        sa.column("id", sa.Integer),
        sa.column("removal_reason", sa.Text),
        sa.column("removal_code", sa.String),
        sa.column("removal_note", sa.Text),
    )
    for row in conn.execute(sa.select(resident.c.id, resident.c.removal_reason).where(resident.c.removal_reason.is_not(None))):
        code, note = _code(row.removal_reason, _RESIDENT_PREFIXES)
        conn.execute(resident.update().where(resident.c.id == row.id).values(removal_code=code, removal_note=note))
    task = sa.table("group_task", sa.column("id", sa.Integer), sa.column("reason", sa.String), sa.column("reason_code", sa.String))
    for row in conn.execute(sa.select(task.c.id, task.c.reason).where(task.c.reason.is_not(None))):
        code, _note = _code(row.reason, _TASK_TEXTS)
        conn.execute(task.update().where(task.c.id == row.id).values(reason_code=code))

    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("removal_reason")
        batch_op.alter_column("removal_code", new_column_name="removal_reason", existing_type=sa.String(length=20))
    with op.batch_alter_table("group_task", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.alter_column("reason_code", new_column_name="reason", existing_type=sa.String(length=20))


def downgrade():
    with op.batch_alter_table("group_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_group_task_other_group_id_group"), type_="foreignkey")
        batch_op.drop_column("other_group_id")
        batch_op.alter_column("reason", type_=sa.String(length=200), existing_type=sa.String(length=20))
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("removal_note")
        batch_op.alter_column("removal_reason", type_=sa.Text(), existing_type=sa.String(length=20))
    with op.batch_alter_table("boundary_generation", schema=None) as batch_op:
        batch_op.drop_column("document")
    op.drop_table("revision")
