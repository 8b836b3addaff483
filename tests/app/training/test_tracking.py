"""MLflow tracking against a real local MLflow store (SQLite in a temporary folder)."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from app.extensions import db
from app.models import RunStatus
from app.training.service import launch_training
from tests.app.training.warehouse import TINY, fill_warehouse


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_a_finished_run_is_logged_to_mlflow(make_app, run_worker, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    app = make_app(MLFLOW_TRACKING_URI=uri)
    with app.app_context():
        fill_warehouse(12)
        run = launch_training(config=TINY | {"n_draws": 1})
        run_worker()
        db.session.refresh(run)
        assert run.status == RunStatus.FINISHED, run.error
        assert run.mlflow_run_id
        client = MlflowClient(tracking_uri=uri)
        tracked = client.get_run(run.mlflow_run_id)
        assert tracked.data.params["best.candidate"] == "logistic_regression"
        assert tracked.data.metrics["test.macro_f1"] == pytest.approx(run.metrics["test"]["macro_f1"])
        assert tracked.data.tags["dxflow.training_run"] == str(run.id)
        artifacts = [item.path for item in client.list_artifacts(run.mlflow_run_id, "model")]
        assert artifacts == ["model/model.dxbundle"]
        assert list((tmp_path / "mlartifacts").rglob("model.dxbundle"))  # Beside the store, not in ./mlruns.
