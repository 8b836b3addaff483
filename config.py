"""dxflow configuration, read from the environment.

Every setting has a safe embedded default for development (SQLite under ``instance/``, Redis on localhost, a
local raw zone). Development secrets are generated once and kept under ``instance/secrets/``; in production
(``DXFLOW_ENV=production``) a missing secret stops start-up with a one-line message naming it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_NAMES = ("SECRET_KEY", "PSEUDONYM_KEY", "MODEL_SIGNING_KEY")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _instance_dir() -> Path:
    return Path(os.environ.get("DXFLOW_INSTANCE_DIR", BASE_DIR / "instance")).resolve()


def _dev_secret(name: str, instance_dir: Path) -> str:
    """Return a development secret, generating and keeping it under instance/secrets on first use."""
    path = instance_dir / "secrets" / name.lower()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _secret(name: str, *, production: bool, instance_dir: Path) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if production:
        raise ConfigError(f"{name} is not set; production refuses to start without it.")
    return _dev_secret(name, instance_dir)


SQLITE_BUSY_SECONDS = 60


@dataclass
class Config:
    """Flask settings; build one with :meth:`from_env` or pass overrides in tests."""

    SECRET_KEY: str = "dev-only-not-secret"
    PSEUDONYM_KEY: str = "dev-only-pseudonym-key"
    MODEL_SIGNING_KEY: str = "dev-only-signing-key"
    DXFLOW_ENV: str = "development"
    INSTANCE_DIR: str = str(BASE_DIR / "instance")
    SQLALCHEMY_DATABASE_URI: str = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = field(default_factory=lambda: {"pool_pre_ping": True})
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    RQ_QUEUE: str = "dxflow"
    RQ_INLINE: bool = False
    STORAGE_URL: str = ""
    S3_ENDPOINT_URL: str = ""
    KB_DIR: str = ""
    # Training and serving: MLflow tracking (off when empty); how often a web process checks for a new champion.
    MLFLOW_TRACKING_URI: str = ""
    PREDICTOR_CHECK_SECONDS: float = 5.0
    # How often a web process checks for new vocabulary decisions of the admins (taken in another process).
    VOCABULARY_CHECK_SECONDS: float = 2.0
    # The prediction log is written in batches off the request, within this many seconds (0: in the request);
    # an API token's owner is looked up again after this many seconds (0: on every request). See
    # app/predict/log.py and app/auth/tokens.py for the trade each makes.
    PREDICTION_LOG_FLUSH_SECONDS: float = 0.25
    TOKEN_CACHE_SECONDS: float = 10.0
    # Monitoring (#13): check every N minutes (the scheduler role), a retraining at most every N hours, the
    # training configuration of a retraining (None: the training service's fast default), alerts posted here.
    MONITOR_INTERVAL_MINUTES: int = 60
    MONITOR_COOLDOWN_HOURS: float = 24.0
    MONITOR_RETRAIN_CONFIG: dict | None = None
    ALERT_WEBHOOK_URL: str = ""
    MONITOR_REFERENCE_MAX_CASES: int = 3000  # the reference samples this many training cases (seeded)
    # Ingestion: k-anonymity per upload (k, and "generalize" or "suppress"), rows per chunk, largest file.
    K_ANONYMITY: int = 5
    K_ANONYMITY_STRATEGY: str = "generalize"
    INGEST_CHUNKSIZE: int = 50_000
    MAX_INGEST_BYTES: int = 500 * 1024 * 1024
    MAX_CONTENT_LENGTH: int = 64 * 1024 * 1024
    # argon2-cffi parameter profile; tests use CHEAPEST, which is still Argon2id, to keep the suite fast.
    PASSWORD_HASH_PROFILE: str = "RFC_9106_LOW_MEMORY"
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCKOUT: timedelta = timedelta(minutes=15)
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_SECURE: bool = False
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    LANGUAGES: tuple[str, ...] = ("en", "es")
    BABEL_DEFAULT_LOCALE: str = "en"
    TESTING: bool = False

    def __post_init__(self) -> None:
        # SQLite allows one writer: a job loading an upload holds the lock for seconds, so the web app and
        # `flask ingest` wait up to 60 s for it instead of failing after sqlite3's default 5 s.
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            connect_args = self.SQLALCHEMY_ENGINE_OPTIONS.setdefault("connect_args", {})
            connect_args.setdefault("timeout", SQLITE_BUSY_SECONDS)

    @classmethod
    def from_env(cls, **overrides) -> Config:
        """Read the configuration from environment variables; raise ConfigError on a missing production secret."""
        env = os.environ.get("DXFLOW_ENV", "development")
        production = env == "production"
        instance_dir = _instance_dir()
        settings = {name: _secret(name, production=production, instance_dir=instance_dir) for name in SECRET_NAMES}
        settings.update(
            DXFLOW_ENV=env,
            INSTANCE_DIR=str(instance_dir),
            SQLALCHEMY_DATABASE_URI=_database_url(os.environ.get("DATABASE_URL"), instance_dir),
            REDIS_URL=os.environ.get("REDIS_URL", cls.REDIS_URL),
            RQ_QUEUE=os.environ.get("RQ_QUEUE", cls.RQ_QUEUE),
            RQ_INLINE=os.environ.get("RQ_INLINE", "") in ("1", "true", "yes"),
            STORAGE_URL=os.environ.get("STORAGE_URL") or (instance_dir / "raw").as_uri(),
            S3_ENDPOINT_URL=os.environ.get("S3_ENDPOINT_URL", ""),
            KB_DIR=os.environ.get("KB_DIR") or str(instance_dir / "kb"),
            MLFLOW_TRACKING_URI=os.environ.get("MLFLOW_TRACKING_URI", ""),
            MONITOR_INTERVAL_MINUTES=int(os.environ.get("MONITOR_INTERVAL_MINUTES", cls.MONITOR_INTERVAL_MINUTES)),
            MONITOR_COOLDOWN_HOURS=float(os.environ.get("MONITOR_COOLDOWN_HOURS", cls.MONITOR_COOLDOWN_HOURS)),
            ALERT_WEBHOOK_URL=os.environ.get("ALERT_WEBHOOK_URL", ""),
            PREDICTOR_CHECK_SECONDS=float(os.environ.get("PREDICTOR_CHECK_SECONDS", cls.PREDICTOR_CHECK_SECONDS)),
            VOCABULARY_CHECK_SECONDS=float(os.environ.get("VOCABULARY_CHECK_SECONDS", cls.VOCABULARY_CHECK_SECONDS)),
            PREDICTION_LOG_FLUSH_SECONDS=float(os.environ.get("PREDICTION_LOG_FLUSH_SECONDS",
                                                              cls.PREDICTION_LOG_FLUSH_SECONDS)),
            TOKEN_CACHE_SECONDS=float(os.environ.get("TOKEN_CACHE_SECONDS", cls.TOKEN_CACHE_SECONDS)),
            K_ANONYMITY=int(os.environ.get("K_ANONYMITY", cls.K_ANONYMITY)),
            K_ANONYMITY_STRATEGY=os.environ.get("K_ANONYMITY_STRATEGY", cls.K_ANONYMITY_STRATEGY),
            MAX_INGEST_BYTES=int(os.environ.get("MAX_INGEST_MB", "500")) * 1024 * 1024,
            MAX_CONTENT_LENGTH=int(os.environ.get("MAX_UPLOAD_MB", "64")) * 1024 * 1024,
            SESSION_COOKIE_SECURE=production,
            REMEMBER_COOKIE_SECURE=production,
        )
        settings.update(overrides)
        return cls(**settings)


def _database_url(url: str | None, instance_dir: Path) -> str:
    """Normalise DATABASE_URL for SQLAlchemy; default to a SQLite file under the instance folder."""
    if not url:
        instance_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_dir / 'dxflow.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url
