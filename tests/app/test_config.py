"""Configuration from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def env_without_secrets(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY")}
    env.update(DXFLOW_INSTANCE_DIR=str(tmp_path), **extra)
    return env


@pytest.mark.parametrize("missing", ["SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY"])
def test_production_without_a_secret_fails_fast_naming_it(tmp_path, missing):
    secrets = {name: "x" * 32 for name in ("SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY") if name != missing}
    env = env_without_secrets(tmp_path, DXFLOW_ENV="production", **secrets)
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    message = f"dxflow: {missing} is not set; production refuses to start without it."
    assert result.stderr.strip().splitlines() == [message]


def test_development_generates_secrets_once_and_keeps_them(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY", "DXFLOW_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DXFLOW_INSTANCE_DIR", str(tmp_path))
    first, second = Config.from_env(), Config.from_env()
    assert len(first.SECRET_KEY) == 64 and first.SECRET_KEY == second.SECRET_KEY
    assert first.PSEUDONYM_KEY != first.SECRET_KEY
    assert (tmp_path / "secrets" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert f"sqlite:///{tmp_path / 'dxflow.sqlite3'}" == first.SQLALCHEMY_DATABASE_URI
    assert (tmp_path / "raw").as_uri() == first.STORAGE_URL


def test_production_uses_secure_cookies_and_normalises_the_database_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DXFLOW_ENV", "production")
    monkeypatch.setenv("DXFLOW_INSTANCE_DIR", str(tmp_path))
    for name in ("SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY"):
        monkeypatch.setenv(name, "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/dxflow")
    config = Config.from_env()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db:5432/dxflow"


def test_config_error_is_raised_in_process_too(monkeypatch, tmp_path):
    monkeypatch.setenv("DXFLOW_ENV", "production")
    monkeypatch.setenv("DXFLOW_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env()


def test_sqlite_waits_for_a_writer_longer_than_sqlite3s_five_seconds(tmp_path):
    """A job loading an upload holds SQLite's write lock for seconds; another writer waits instead of failing."""
    import sqlite3
    import threading

    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    config = Config(SQLALCHEMY_DATABASE_URI=url)
    assert config.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]["timeout"] >= 30
    engine = create_engine(url, **config.SQLALCHEMY_ENGINE_OPTIONS)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    holder = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(6.0, holder.execute, args=("COMMIT",))
    release.start()
    try:
        with engine.begin() as connection:  # blocks until the holder commits, past sqlite3's default 5 s
            connection.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        release.join()
        holder.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()
