"""MLflow tracking against a real local MLflow store (SQLite in a temporary folder), shown by a real ``mlflow ui``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from app.extensions import db
from app.models import RunStatus
from app.training.service import launch_training
from tests.app.training.warehouse import TINY, fill_warehouse


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _start_mlflow_ui(uri: str, port: int, log: Path) -> subprocess.Popen:
    """Start ``mlflow ui`` on ``uri`` (one worker, no job runner) in its own process group; wait until it answers."""
    mlflow = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("wb") as output:
        process = subprocess.Popen([mlflow, "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port",
                                    str(port), "--workers", "1"], env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 180  # The server imports a lot; a loaded 2-core machine needs a while.
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mlflow ui exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    _stop(process)
    raise AssertionError(f"mlflow ui did not answer within 180 s: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its worker processes (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_a_finished_run_is_logged_to_mlflow_and_mlflow_ui_shows_it(make_app, run_worker, tmp_path):
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
        [row, *_] = run.metrics["by_source"]  # Gathered from the train_source jobs before the run was logged.
        assert tracked.data.metrics[f"by_source.{row['source']}.top_3"] == pytest.approx(row["top_3"])
        artifacts = [item.path for item in client.list_artifacts(run.mlflow_run_id, "model")]
        assert artifacts == ["model/model.dxbundle"]
        assert list((tmp_path / "mlartifacts").rglob("model.dxbundle"))  # Beside the store, not in ./mlruns.

    # What a user of `make run` does: `mlflow ui --backend-store-uri <the store>` and look at the runs.
    port = _free_port()
    server = _start_mlflow_ui(uri, port, tmp_path / "mlflow-ui.log")
    try:
        api = f"http://127.0.0.1:{port}/api/2.0/mlflow"
        experiments = _post(f"{api}/experiments/search", {"max_results": 10, "filter": "name = 'dxflow'"})
        [experiment] = experiments["experiments"]
        found = _post(f"{api}/runs/search", {"experiment_ids": [experiment["experiment_id"]]})["runs"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            ui_status = page.status
    finally:
        _stop(server)
    assert [row["info"]["run_id"] for row in found] == [run.mlflow_run_id]
    metrics = {metric["key"]: metric["value"] for metric in found[0]["data"]["metrics"]}
    assert metrics["test.macro_f1"] == pytest.approx(run.metrics["test"]["macro_f1"])
    assert found[0]["info"]["status"] == "FINISHED"
    assert ui_status == 200  # The UI page itself, which mlflow-skinny does not ship.
