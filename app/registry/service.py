"""Register signed model bundles, move the champion alias (audited), and serve the champion to web processes.

Every web process keeps the champion it loaded in ``app.extensions["predictor"]``. :func:`current_predictor`
checks the champion's id at most every ``PREDICTOR_CHECK_SECONDS`` (one indexed query) and loads a new champion
when it changed, so a promotion reaches every process without a restart. Bytes whose signature does not verify
are refused: the refusal is logged and shown in ``/healthz``, and the previous bundle keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.models import Alias, ModelVersion
from app.time import utcnow
from app.warehouse.raw_zone import storage
from ml.registry import BundleSignatureError, PredictorBundle, SignedBundle, load_bundle

log = logging.getLogger(__name__)


@dataclass
class _Serving:
    lock: threading.Lock = field(default_factory=threading.Lock)
    bundle: PredictorBundle | None = None
    version_id: int | None = None
    version_number: int | None = None
    checked_at: float = float("-inf")
    refused: dict = field(default_factory=dict)  # (version id, sha256) -> message


def artifact_key(version: int) -> str:
    """Return the storage key of a model version's signed bundle."""
    return f"models/model-v{int(version)}.dxbundle"


def register(signed: SignedBundle, *, run=None, metrics: dict | None = None,
             summary: dict | None = None) -> ModelVersion:
    """Store a signed bundle and add its ModelVersion (no alias) to the session; the caller commits."""
    number = (db.session.scalar(select(func.max(ModelVersion.version))) or 0) + 1
    key = artifact_key(number)
    storage().put(key, signed.data)
    version = ModelVersion(version=number, run=run, metrics=metrics or {}, summary=summary or {}, storage_key=key,
                           sha256=signed.sha256, signature=signed.signature, alias=Alias.NONE)
    db.session.add(version)
    db.session.flush()
    return version


def champion() -> ModelVersion | None:
    """Return the ModelVersion holding the champion alias, if any."""
    return db.session.scalar(select(ModelVersion).where(ModelVersion.alias == Alias.CHAMPION))


def load_version(version: ModelVersion) -> PredictorBundle:
    """Verify a version's stored bytes against the signing key and its registered SHA-256, then load them."""
    with storage().open(version.storage_key) as handle:
        data = handle.read()
    return load_bundle(data, current_app.config["MODEL_SIGNING_KEY"], expected_sha256=version.sha256)


def _set_champion(version: ModelVersion, *, user=None) -> ModelVersion | None:
    """Give ``version`` the champion alias; the previous champion loses it. Return the previous champion."""
    previous = champion()
    if previous is not None and previous.id != version.id:
        previous.alias = Alias.NONE
    version.alias = Alias.CHAMPION
    version.promoted_at = utcnow()
    version.promoted_by_id = user.id if user is not None else None
    return previous if previous is not None and previous.id != version.id else None


def promote(version: ModelVersion, *, user=None, reason: str = "") -> ModelVersion:
    """Make ``version`` the champion after checking its signature; audited and committed."""
    load_version(version)  # Raises BundleSignatureError: a tampered artifact is never promoted.
    previous = _set_champion(version, user=user)
    audit.record("model.promote", target=f"model:{version.version}", user=user, reason=reason[:200],
                 previous=previous.version if previous else None)
    db.session.commit()
    return version


def rollback(*, user=None) -> ModelVersion:
    """Give the champion alias back to the version that held it before the current one; audited and committed."""
    current = champion()
    if current is None:
        raise ValueError("There is no champion to roll back from.")
    earlier = db.session.scalars(
        select(ModelVersion).where(ModelVersion.id != current.id, ModelVersion.promoted_at.is_not(None))
        .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
    ).first()
    if earlier is None:
        raise ValueError("No earlier champion to roll back to.")
    load_version(earlier)
    _set_champion(earlier, user=user)
    current.alias = Alias.NONE
    audit.record("model.rollback", target=f"model:{earlier.version}", user=user, previous=current.version)
    db.session.commit()
    return earlier


def _state() -> _Serving:
    return current_app.extensions.setdefault("predictor", _Serving())


def current_predictor() -> tuple[PredictorBundle | None, ModelVersion | None]:
    """Return the champion bundle this process serves and its ModelVersion (``(None, None)`` without one)."""
    bundle, version_id, _number = _serving()
    return bundle, (db.session.get(ModelVersion, version_id) if version_id is not None else None)


def current_champion() -> tuple[PredictorBundle | None, int | None]:
    """Return the champion bundle this process serves and its version number, without loading the version row.

    The prediction path calls this on every request: between the checks it costs no query at all.
    """
    bundle, _version_id, number = _serving()
    return bundle, number


def _serving() -> tuple[PredictorBundle | None, int | None, int | None]:
    """Return the served bundle, its version id and number, checking for a new champion when the interval passed."""
    state = _state()
    interval = float(current_app.config.get("PREDICTOR_CHECK_SECONDS", 5.0))
    with state.lock:
        if time.monotonic() - state.checked_at >= interval:
            _refresh(state)
        return state.bundle, state.version_id, state.version_number


def _refresh(state: _Serving) -> None:
    """Load the champion when its id changed since the last check; refuse and keep serving on a bad signature."""
    state.checked_at = time.monotonic()
    row = db.session.execute(
        select(ModelVersion.id, ModelVersion.sha256).where(ModelVersion.alias == Alias.CHAMPION)
    ).first()
    if row is None:
        state.bundle, state.version_id, state.version_number = None, None, None
        return
    if row.id == state.version_id or (row.id, row.sha256) in state.refused:
        return
    version = db.session.get(ModelVersion, row.id)
    try:
        bundle = load_version(version)
    except (BundleSignatureError, OSError) as error:
        message = f"model v{version.version} refused: {error}"
        state.refused[(row.id, row.sha256)] = message
        log.error("%s; still serving %s", message, f"version id {state.version_id}" if state.bundle else "nothing")
        return
    state.bundle, state.version_id, state.version_number = bundle, row.id, version.version
    log.info("serving model v%s", version.version)


def serving_status() -> dict:
    """Return the health-check view of serving: ``model`` ok/none/refused, the version served, the refusal."""
    bundle, version = current_predictor()
    state = _state()
    refusals = [message for (version_id, _), message in state.refused.items() if version_id != state.version_id]
    status = {"model": "ok" if bundle is not None else "none",
              "model_version": version.version if version is not None else None}
    current = db.session.execute(
        select(ModelVersion.id, ModelVersion.sha256).where(ModelVersion.alias == Alias.CHAMPION)).first()
    if current is not None and (current.id, current.sha256) in state.refused:
        status["model"] = "refused"
        status["model_error"] = state.refused[(current.id, current.sha256)]
    elif refusals:
        status["model_error"] = refusals[-1]
    return status


def warm_up(app) -> None:
    """Load the champion once at start-up (a web process), so the first prediction does not pay for it."""
    with app.app_context():
        try:
            current_predictor()
        except Exception:  # noqa: BLE001 - no database yet (before migrations): the first request retries.
            db.session.rollback()
            app.logger.warning("Could not load the champion model at start; the first request will retry.")
        finally:
            db.session.remove()
