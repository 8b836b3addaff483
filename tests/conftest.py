"""Fixtures: app → db → client → login, against the real PostgreSQL and Redis (and SQLite too).

Every test that uses ``app`` runs twice, once per database backend (only on PostgreSQL when marked
``postgresql_only`` or ``any_backend``). The schema is built by the migrations, once per backend and session; rows
are removed after each test. RQ jobs run in a real ``SimpleWorker`` in burst mode on a queue private to the test.

Environment: ``DXFLOW_TEST_PG_URL`` (server URL, default ``postgresql+psycopg://postgres@127.0.0.1:5432``),
``DXFLOW_TEST_PG_DB`` (default ``dxflow_test``), ``DXFLOW_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``).

Under pytest-xdist (``make test`` runs ``-n``) each worker process has a PostgreSQL database of its own
(``dxflow_test_gw0``, ``dxflow_test_gw1``, ...) and its own temporary folders (so its own SQLite file); all workers
share the Redis db, where every test's queue has a name of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from redis.exceptions import RedisError
from rq import SimpleWorker
from sqlalchemy import text
from werkzeug.routing.rules import Rule

from app import create_app
from app.extensions import db, queue
from app.models import User
from app.predict.log import flush_predictions
from config import Config

PG_SERVER_URL = os.environ.get("DXFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# An xdist worker ("gw0", "gw1", ...) appends its id: workers never share a database.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_DB = os.environ.get("DXFLOW_TEST_PG_DB", "dxflow_test") + (f"_{XDIST_WORKER}" if XDIST_WORKER else "")
REDIS_URL = os.environ.get("DXFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ("postgresql", "sqlite")
PASSWORD = "correct horse battery staple"


def _share_url_builders() -> None:
    """Compile each URL rule's builder once per test process instead of once per app.

    ``create_app`` registers ~290 URL rules and werkzeug turns each into two Python functions (``ast`` and
    ``compile``): 90 % of its 0.4 s of CPU. The suite creates thousands of apps from the same blueprints. A builder
    depends only on the rule's text, parsed parts and defaults (it reads the converters from the rule it is bound
    to), so rules that agree on those share one; anything unhashable compiles as before.
    """
    compile_builder = Rule._compile_builder
    builders: dict = {}

    def shared(self, append_unknown=True):
        try:
            key = (self.rule, tuple(self._trace), tuple(sorted((self.defaults or {}).items())), append_unknown)
            hash(key)
        except TypeError:
            return compile_builder(self, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared


_share_url_builders()


def pytest_collection_modifyitems(config, items):
    """Run tests marked ``postgresql_only`` or ``any_backend`` on PostgreSQL alone (deselected, not skipped, on
    SQLite); the browser tests are ``any_backend``: the pages they drive are tested on both backends in tests/app.
    Then put the ``slow`` tests first."""
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker("any_backend")
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        one = item.get_closest_marker("postgresql_only") or item.get_closest_marker("any_backend")
        (drop if backend == "sqlite" and one else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # Slow tests first (a stable sort): under xdist they start at once, and the quick ones fill the other
    # workers, instead of a slow test starting last and running alone.
    items[:] = sorted(keep, key=lambda item: item.get_closest_marker("slow") is None)


def ensure_pg_database(name: str, *, fresh: bool = False) -> str:
    """Create the PostgreSQL database ``name`` if missing (dropping it first when ``fresh``); return its URL."""
    dsn = PG_SERVER_URL.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            # A commit returns before its WAL reaches the disk: the same results, without an fsync per commit
            # (only a crash of the server could lose the last commits of a test database).
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return f"{PG_SERVER_URL}/{name}"


def make_test_config(tmp_path, database_url: str, **overrides) -> Config:
    """Return a test configuration on ``database_url`` with its instance folder under ``tmp_path``."""
    settings = dict(
        TESTING=True,
        SECRET_KEY="test-secret",
        PSEUDONYM_KEY="test-pseudonym-key",
        MODEL_SIGNING_KEY="test-signing-key",
        INSTANCE_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=database_url,
        REDIS_URL=REDIS_URL,
        STORAGE_URL=(tmp_path / "raw").as_uri(),
        KB_DIR=str(tmp_path / "kb"),
        WTF_CSRF_ENABLED=False,
        PASSWORD_HASH_PROFILE="CHEAPEST",
    )
    settings.update(overrides)
    return Config(**settings)




@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Return ``url(backend)``: a database migrated on first use, kept for the session (rows emptied per test).

    The SQLite file lives in /dev/shm when there is one: the same SQLite, but a commit's fsync costs nothing.
    """
    urls: dict[str, str] = {}
    folders: list[Path] = []

    def url(backend: str) -> str:
        if backend not in urls:
            if backend == "postgresql":
                made = ensure_pg_database(PG_DB, fresh=True)
            else:
                shm = Path("/dev/shm")
                folder = Path(tempfile.mkdtemp(prefix="dxflow-test-", dir=shm)) if shm.is_dir() else None
                folders.extend([folder] if folder else [])
                made = f"sqlite:///{(folder or tmp_path_factory.mktemp('sqlite')) / 'dxflow.sqlite3'}"
            migrate_app = create_app(make_test_config(tmp_path_factory.mktemp("migrate"), made))
            with migrate_app.app_context():
                upgrade()
                db.engine.dispose()
            urls[backend] = made
        return urls[backend]

    yield url
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def database_url(request, databases):
    """Return the migrated database URL of this test's backend (a test per backend, both kept open)."""
    return databases(request.param)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Return a factory of apps on this backend, with config overrides; they share one private RQ queue."""
    apps = []
    queue_name = f"dxflow-test-{uuid.uuid4().hex[:8]}"

    def make(**overrides):
        overrides.setdefault("RQ_QUEUE", queue_name)
        app = create_app(make_test_config(tmp_path, database_url, **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            flush_predictions()  # no queued row of this test reaches the next one's tables
            with contextlib.suppress(RedisError):  # Jobs a test queued but never ran (Redis may be stopped).
                queue.rq.empty()
            _empty_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """Yield the app under test, with a twin's context pushed for the test body.

    Flask reuses an active context of the *same* app for test requests; pushing a twin's context instead gives
    each request its own app context (and ``g``, and database session), as in production.
    """
    app = make_app()
    with make_app().app_context():
        yield app


def _empty_tables() -> None:
    tables = [table.name for table in db.metadata.sorted_tables]
    db.session.rollback()
    for name in reversed(tables):
        db.session.execute(text(f"DELETE FROM {name}"))
    if db.engine.dialect.name == "postgresql":
        # What TRUNCATE ... RESTART IDENTITY did, without its cost: 0.3 s a test (new files for 20 tables).
        db.session.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create an account with ``role`` (and the shared test password)."""

    def make(role: str = "clinician", email: str | None = None, **fields) -> User:
        user = User(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.org", role=role, **fields)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client, make_user):
    """Log the test client in as a new account of ``role``; ``None`` stays anonymous."""

    def log_in(role: str | None) -> User | None:
        if role is None:
            return None
        user = make_user(role)
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return user

    return log_in


@pytest.fixture
def run_worker():
    """Run a real RQ SimpleWorker in burst mode over the queue of the app whose context is active."""

    def work() -> None:
        worker = SimpleWorker([queue.rq], connection=queue.redis)
        worker.work(burst=True, with_scheduler=False)

    return work


def csrf_token_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)
