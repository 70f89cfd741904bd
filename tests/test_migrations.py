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
