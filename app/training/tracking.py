"""Copy a finished training run to MLflow: params, metrics and the signed model bundle as an artifact.

MLflow is a mirror for the tools MLOps users already have; the registry of record is :mod:`app.registry`.
The bundle is logged as the signed envelope (``model.dxbundle``), not as an MLflow model flavour: anything that
loads it must verify its signature first, as :func:`ml.registry.load_bundle` does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

EXPERIMENT = "dxflow"


def _flat(prefix: str, values: dict) -> dict[str, float]:
    """Return the numeric top-level entries of ``values`` as MLflow metrics named ``prefix.key``."""
    return {f"{prefix}.{key}": float(value) for key, value in values.items()
            if isinstance(value, int | float) and not isinstance(value, bool)}


def artifact_location(uri: str) -> str | None:
    """Return where a local SQLite store keeps artifacts (``mlartifacts/`` beside the file), not ``./mlruns``."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()
    return None


def log_run(uri: str, run, artifact: bytes) -> str:
    """Log ``run`` (a finished TrainingRun: its config and metrics) to the MLflow store at ``uri``; return the id.

    Metrics: the test and validation headline figures, the duration and, per source of the by-source slice,
    ``by_source.<source>.<metric>``.
    """
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(
        EXPERIMENT, artifact_location=artifact_location(uri))
    tags = {"dxflow.training_run": str(run.id), "dxflow.snapshot_id": run.snapshot_id or "",
            "dxflow.code_version": run.code_version, "dxflow.model_version": str(run.metrics["model_version"])}
    tracked = client.create_run(experiment_id, run_name=f"training-run-{run.id}", tags=tags)
    run_id = tracked.info.run_id
    params = {f"config.{key}": str(value)[:250] for key, value in run.config.items()}
    best = run.metrics["best"]
    params |= {"best.candidate": best["candidate"],
               **{f"best.{key}": str(value)[:250] for key, value in best["params"].items()}}
    for key, value in params.items():
        client.log_param(run_id, key, value)
    metrics = _flat("test", run.metrics["test"]) | _flat("validation", run.metrics["validation"])
    for row in run.metrics.get("by_source") or []:
        metrics |= _flat(f"by_source.{row['source']}", {k: v for k, v in row.items() if k != "source"})
    metrics["duration_s"] = float(run.duration_s or 0.0)
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.dxbundle"
        path.write_bytes(artifact)
        client.log_artifact(run_id, str(path), artifact_path="model")
    client.set_terminated(run_id, status="FINISHED")
    return run_id
