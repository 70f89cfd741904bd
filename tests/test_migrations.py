"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from buurt.areas.services import seed_default_neighbourhood
from buurt.extensions import db
from tests.conftest import _reset_schema, make_test_app


def _drop_everything():
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        _drop_everything()
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert seed_default_neighbourhood() is not None  # the migrated schema takes real data
            flask_migrate.upgrade()  # a second upgrade is a no-op
        finally:
            db.session.remove()
            _reset_schema()
            db.engine.dispose()


def test_upgrade_keeps_one_active_sign_up_per_number_and_removes_nothing(tmp_path):
    """A database from before the unique index may hold a double tap stored twice. The upgrade keeps
    the most advanced sign-up per number (a member before a pending one, then the oldest), marks the
    others removed as "dubbel" with a note, and deletes nothing. Fictional people and numbers."""
    app = make_test_app(tmp_path)
    with app.app_context():
        _drop_everything()
        try:
            flask_migrate.upgrade(revision="5a1f0c3e9b2d")
            rows = [
                # (id, phone, status, created_at)
                (1, "+31611111111", "pending", "2026-11-01 10:00:00"),
                (2, "+31611111111", "pending", "2026-11-01 10:00:01"),  # the double tap
                (3, "+31622222222", "waitlist", "2026-11-02 10:00:00"),
                (4, "+31622222222", "added", "2026-11-03 10:00:00"),  # the member stays
                (5, "+31633333333", "removed", "2026-11-04 10:00:00"),
                (6, "+31633333333", "pending", "2026-11-05 10:00:00"),  # one active: untouched
            ]
            with db.engine.begin() as conn:
                for rid, phone, status, created in rows:
                    conn.execute(
                        text(
                            "INSERT INTO resident (id, name, phone_e164, house_letter, house_addition, status,"
                            " location_from_map, household_size, is_border, needs_review, created_at, updated_at,"
                            " is_demo) VALUES (:id, 'Fictief', :phone, '', '', :status, false, 1, false, false,"
                            " :created, :created, false)"
                        ),
                        {"id": rid, "phone": phone, "status": status, "created": created},
                    )
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                after = dict(conn.execute(text("SELECT id, status FROM resident ORDER BY id")).all())
                reasons = dict(conn.execute(text("SELECT id, removal_reason FROM resident WHERE id IN (2, 3)")).all())
            assert after == {1: "pending", 2: "removed", 3: "removed", 4: "added", 5: "removed", 6: "pending"}
            assert reasons == {2: "dubbel", 3: "dubbel"}
        finally:
            db.session.remove()
            _reset_schema()
            db.engine.dispose()


def test_upgrade_renews_street_keys_for_pdok_short_names(tmp_path):
    """Keys stored by the old normalize_street ("europaln") would never match a typed "Europalaan"
    after issue 14; the upgrade recomputes them and leaves keys that were right alone. The street
    names are PDOK's real short forms; the postcodes and points are fictional."""
    app = make_test_app(tmp_path)
    with app.app_context():
        _drop_everything()
        try:
            flask_migrate.upgrade(revision="b41f6e2a8c57")
            rows = [(1, "Europaln", "europaln"), (2, "Europaln", "europaln"), (3, "Proefstraat", "proefstraat")]
            with db.engine.begin() as conn:
                for rid, street, key in rows:
                    conn.execute(
                        text(
                            "INSERT INTO address (id, postcode, house_number, house_letter, house_addition, street,"
                            " street_norm, place, lat, lon, source, is_demo, created_at, updated_at) VALUES (:id,"
                            " '2221ZZ', :id, '', '', :street, :key, 'Katwijk', 52.2, 4.4, 'bag-csv', false,"
                            " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
                        ),
                        {"id": rid, "street": street, "key": key},
                    )
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                keys = dict(conn.execute(text("SELECT id, street_norm FROM address ORDER BY id")).all())
            assert keys == {1: "europalaan", 2: "europalaan", 3: "proefstraat"}
        finally:
            db.session.remove()
            _reset_schema()
            db.engine.dispose()
