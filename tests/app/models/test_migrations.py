"""Migrations build the schema the models describe, and go down and up again cleanly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.conftest import PG_DB, ensure_pg_database, make_test_config


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_app(request, tmp_path):
    if request.param == "postgresql":
        url = ensure_pg_database(f"{PG_DB}_migrations", fresh=True)
    else:
        url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    app = create_app(make_test_config(tmp_path, url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(scratch_app):
    upgrade()
    assert table_names() == {table.name for table in db.metadata.sorted_tables}
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert table_names() == {table.name for table in db.metadata.sorted_tables}


def test_models_and_migrations_agree(scratch_app):
    upgrade()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == [], "run `flask db migrate`: the models changed without a migration"
