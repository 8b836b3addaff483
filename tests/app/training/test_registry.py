"""The registry and serving: promote and roll back (audited, admins only), hot swap, tampered artifacts refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Alias, AuditEvent, ModelVersion
from app.registry import service as registry
from app.warehouse.raw_zone import storage
from ml.models.search import TrainingConfig, train
from ml.registry import BundleSignatureError, sign_bundle
from tests.ml.cases import make_dataset

CONFIG = TrainingConfig(candidates=("logistic_regression",), n_draws=1, n_folds=2, min_support=5, propagate=False)


@pytest.fixture(scope="module")
def bundles():
    """Two small trained bundles (different seeds), trained once for the module."""
    return [train(make_dataset(15, seed=seed), config=CONFIG).bundle for seed in (0, 1)]


def _register(app, bundle, *, champion: bool = False) -> ModelVersion:
    version = registry.register(sign_bundle(bundle, app.config["MODEL_SIGNING_KEY"]), metrics={"macro_f1": 0.5})
    db.session.commit()
    if champion:
        registry.promote(version, reason="test")
    return version


def _flip_a_byte(key: str) -> None:
    with storage().open(key) as handle:
        data = bytearray(handle.read())
    data[-100] ^= 0x01
    storage().put(key, bytes(data))


def test_no_champion_serves_nothing_and_healthz_says_so(app, client):
    assert registry.current_predictor() == (None, None)
    assert client.get("/healthz").json["model"] == "none"


def test_a_promotion_reaches_a_running_app_without_a_restart(make_app, bundles):
    serving = make_app(PREDICTOR_CHECK_SECONDS=0)
    other = make_app()
    with serving.app_context():
        first = _register(serving, bundles[0], champion=True)
        bundle, version = registry.current_predictor()
        assert version.version == first.version and bundle is not None
    with other.app_context():  # Another process (the worker, an admin's request) promotes a new model.
        second = _register(other, bundles[1], champion=True).version
    with serving.app_context():
        bundle, version = registry.current_predictor()
        assert version.version == second
        assert bundle.metadata["snapshot_id"] == bundles[1].metadata["snapshot_id"]


def test_the_champion_is_checked_at_most_every_few_seconds(make_app, bundles):
    serving = make_app(PREDICTOR_CHECK_SECONDS=3600)
    with serving.app_context():
        assert registry.current_predictor() == (None, None)
        _register(serving, bundles[0], champion=True)
        assert registry.current_predictor() == (None, None)  # Until the next check.


def test_a_tampered_champion_is_refused_and_the_previous_one_keeps_serving(make_app, bundles, caplog):
    serving = make_app(PREDICTOR_CHECK_SECONDS=0)
    with serving.app_context():
        first = _register(serving, bundles[0], champion=True)
        assert registry.current_predictor()[1].version == first.version
        second = _register(serving, bundles[1])
        _flip_a_byte(second.storage_key)
        with pytest.raises(BundleSignatureError):
            registry.promote(second)  # The page refuses it too.
        # Force the alias past the page, as an attacker with database access would.
        db.session.get(ModelVersion, first.id).alias = Alias.NONE
        db.session.get(ModelVersion, second.id).alias = Alias.CHAMPION
        db.session.commit()
        bundle, version = registry.current_predictor()
        assert version.version == first.version and bundle is not None
        assert "refused" in caplog.text
        health = serving.test_client().get("/healthz").json
        assert health["model"] == "refused"
        assert health["model_version"] == first.version
        assert "signature does not verify" in health["model_error"]


def test_a_tampered_artifact_is_refused_at_start(make_app, bundles):
    serving = make_app(PREDICTOR_CHECK_SECONDS=0)
    with serving.app_context():
        version = _register(serving, bundles[0], champion=True)
        _flip_a_byte(version.storage_key)
    fresh = make_app(PREDICTOR_CHECK_SECONDS=0)
    with fresh.app_context():
        assert registry.current_predictor() == (None, None)
        assert fresh.test_client().get("/healthz").json["model"] == "refused"


def test_admins_promote_and_roll_back_from_the_models_page_audited(app, client, login, bundles):
    admin = login("admin")
    first = _register(app, bundles[0], champion=True)
    second = _register(app, bundles[1])
    page = client.get("/training/models")
    assert page.status_code == 200 and "v2" in page.text and "champion" in page.text
    assert client.post(f"/training/models/{second.version}/promote").status_code == 302
    assert registry.champion().version == second.version
    assert client.post("/training/models/rollback").status_code == 302
    assert registry.champion().version == first.version
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("model.promote", "model.rollback")))
                                .order_by(AuditEvent.id)).all()
    assert [(event.action, event.target, event.user_id) for event in events][-2:] == [
        ("model.promote", "model:2", admin.id), ("model.rollback", "model:1", admin.id)]


def test_auditors_read_the_models_page_but_cannot_promote(app, client, login, bundles):
    version = _register(app, bundles[0])
    login("auditor")
    page = client.get("/training/models")
    assert page.status_code == 200 and "v1" in page.text and "/promote" not in page.text
    assert client.post(f"/training/models/{version.version}/promote").status_code == 403
    assert registry.champion() is None
