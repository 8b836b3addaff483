"""Launch, fan out, gather and finish training runs; register the model and apply the champion rule.

A run is three job kinds. ``train`` snapshots the warehouse, plans the search (``ml.models.search.plan_search``),
stores the plan and enqueues one ``train_unit`` job per (candidate, params, fold) of the first round, then a
``train_finalize`` job that depends on all of them (RQ ``depends_on``, failures allowed so it can report them).
``train_finalize`` gathers the unit results from their ``Job`` rows and either enqueues the next halving round
(units + another finalize) or refits the best draw, signs and stores the bundle and registers a ModelVersion.
The by-source slice fans out the same way: before its refit, the last ``train_finalize`` enqueues one
``train_source`` job per source (train the best draw without that source, score it on that source) and a
``train_complete`` job depending on them and on itself, which gathers their rows into the run's metrics, logs the
run to MLflow and finishes it. Any worker on any host can take any unit. With ``RQ_INLINE`` the ``train`` job runs
the whole search, the refit and the by-source slice itself.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import subprocess
import uuid
from dataclasses import asdict
from datetime import datetime

from flask import current_app
from rq import Retry, get_current_job
from rq.job import Dependency
from sqlalchemy import select, update

from app import audit
from app.extensions import db, queue
from app.jobs import service as jobs
from app.jobs.kinds import ENTRY_POINT, timeout_for
from app.models import Alias, Job, JobStatus, ModelVersion, RunStatus, TrainingRun
from app.registry import service as registry
from app.time import utcnow
from app.warehouse.raw_zone import storage
from app.warehouse.snapshot import load_dataset
from config import BASE_DIR
from ml.dataset import Dataset
from ml.evaluation.diagnostics import calibration_curve, top_confusions
from ml.evaluation.metrics import CHAMPION_RULE, champion_wins
from ml.features import TrainingDataError, term_ancestors
from ml.models.holdout import evaluate_bundle, source_holdout
from ml.models.search import (
    SearchPlan,
    TrainingConfig,
    fit_final,
    kb_metadata,
    kb_orphan_of,
    label_matrix,
    leaderboard,
    next_units,
    plan_search,
    run_unit,
)
from ml.registry import bundle_summary, sign_bundle

log = logging.getLogger(__name__)

#: The default for the browser, ``flask train`` and ``make run``: small and fast (about a minute on the demo).
FAST_CONFIG = {"candidates": ["logistic_regression"], "n_draws": 2, "n_folds": 2}
UNIT_RETRIES = 2
_cache: dict = {}  # run id -> (plan, dataset, knowledge) in this worker process (SimpleWorker reuses it).


class RunCanceled(Exception):
    """The run was cancelled; the job stops quietly."""


def code_version() -> str:
    """Return ``git describe`` of the checkout, or the package version outside a checkout."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=BASE_DIR, capture_output=True,
                             text=True, timeout=5, check=True)
        return out.stdout.strip()[:64]
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("dxflow")
        except PackageNotFoundError:
            return "unknown"


def training_config(overrides: dict | None = None) -> TrainingConfig:
    """Return the TrainingConfig for JSON-ready ``overrides`` (FAST_CONFIG when none); raise ValueError."""
    values = dict(FAST_CONFIG if overrides is None else overrides)
    for name in ("candidates", "categorical_columns"):
        if name in values:
            values[name] = tuple(values[name])
    return TrainingConfig(**values)


def launch_training(*, reason: str = "", by=None, config: dict | None = None, by_source: bool = True) -> TrainingRun:
    """Record a TrainingRun and launch its ``train`` job; ``by`` is the user (None: the system). Audited.

    ``by_source`` adds the cross-source slice: one more fit per source, each its own ``train_source`` job.
    """
    settings = asdict(training_config(config)) | {"by_source": bool(by_source)}
    run = TrainingRun(status=RunStatus.QUEUED, reason=reason[:200], config=settings, launched_by=by,
                      code_version=code_version(), stage="Queued")
    db.session.add(run)
    db.session.flush()
    audit.record("training.launch", target=f"training_run:{run.id}", user=by, reason=reason[:200])
    db.session.commit()
    job = jobs.launch("train", user=by, run_id=run.id)
    db.session.refresh(run)
    run.job_ids = [*run.job_ids, job.id]
    db.session.commit()
    return run


def cancel_run(run: TrainingRun, *, user=None) -> TrainingRun:
    """Cancel a queued or running run and every job it launched that has not finished. Audited."""
    if not run.is_active:
        raise ValueError("Only queued or running training runs can be cancelled.")
    run.status, run.stage, run.finished_at = RunStatus.CANCELED, "Cancelled", utcnow()
    db.session.commit()
    for job in db.session.scalars(select(Job).where(Job.id.in_(run.job_ids or [-1]))):
        if job.is_active:
            jobs.cancel(job, user=user)
    audit.record("training.cancel", target=f"training_run:{run.id}", user=user)
    db.session.commit()
    return run


def retry_run(run: TrainingRun, *, user=None) -> TrainingRun:
    """Launch a new run with the configuration of a failed or cancelled one."""
    if run.status not in (RunStatus.FAILED, RunStatus.CANCELED):
        raise ValueError("Only failed or cancelled training runs can be retried.")
    return launch_training(reason=f"retry of run {run.id}", by=user, config=_json_config(run.config),
                           by_source=run.config.get("by_source", True))


def _json_config(config: dict) -> dict:
    return {key: value for key, value in config.items() if key in TrainingConfig.__dataclass_fields__}


# --- the jobs --------------------------------------------------------------------------------------------------


def _run(run_id: int) -> TrainingRun:
    run = db.session.get(TrainingRun, run_id)
    if run is None:
        raise LookupError(f"Training run {run_id} does not exist.")
    return run


def _report(run_id: int, percent: float, stage: str) -> None:
    """Write the run's progress; raise RunCanceled when it was cancelled meanwhile."""
    run = _run(run_id)
    db.session.refresh(run)
    if run.status == RunStatus.CANCELED:
        raise RunCanceled(stage)
    run.progress, run.stage = max(run.progress, min(99, int(percent))), stage[:200]
    db.session.commit()


def _knowledge():
    """Return the knowledge base, or None when none is built (then orphan = not ICD-10, no propagation)."""
    from pathlib import Path

    from ml.knowledge import get_kb

    try:
        return get_kb(Path(current_app.config["KB_DIR"]))
    except (FileNotFoundError, OSError):
        return None


def _context(run: TrainingRun) -> tuple[SearchPlan, Dataset, object]:
    """Return (plan, dataset, kb) of a run, cached in this process."""
    if run.id not in _cache:
        with storage().open(run.artifacts["plan"]) as handle:
            plan = SearchPlan.from_dict(json.loads(handle.read()))
        _cache.clear()
        _cache[run.id] = (plan, load_dataset(), _knowledge())
    return _cache[run.id]


def _ancestors(kb, dataset: Dataset):
    if kb is None:
        return None
    return term_ancestors(kb, dataset.symptoms["hpo_id"].unique().tolist())


def _estimated_units(plan: SearchPlan) -> int:
    config, total, per_candidate = plan.config, 0, {}
    for draw in plan.draws:
        per_candidate[draw["candidate"]] = per_candidate.get(draw["candidate"], 0) + 1
    if not config.halving:
        return len(plan.draws) * config.n_folds
    for count in per_candidate.values():
        for _ in range(config.n_folds):
            total += count
            count = max(1, math.ceil(count / config.halving_factor))
    return total


def start_run(run_id: int, progress) -> dict:
    """The ``train`` job: snapshot and plan, then fan the first round out (or run everything, inline)."""
    run = _run(run_id)
    if run.status == RunStatus.CANCELED:
        return {"run_id": run_id, "status": run.status}
    run.status, run.error, run.progress, run.units_done, run.round = RunStatus.RUNNING, None, 0, 0, 0
    run.metrics, run.finished_at = None, None
    db.session.commit()
    try:
        progress(2, "Reading the warehouse")
        dataset = load_dataset()
        if dataset.n_cases == 0:
            raise TrainingDataError("The warehouse is empty: load some cases (Admin → Uploads) before training.")
        progress(5, "Planning the search")
        plan = plan_search(dataset, config=training_config(_json_config(run.config)))
        if len(plan.labels) < 2:
            raise TrainingDataError(
                f"Training needs at least two diseases with {plan.config.min_support} or more cases; the warehouse "
                f"has {len(plan.labels)}.")
    except TrainingDataError as error:
        _fail(run, str(error))
        return {"run_id": run_id, "status": RunStatus.FAILED, "error": str(error)}
    key = f"training/run-{run.id}/plan.json"
    storage().put(key, json.dumps(plan.to_dict()).encode())
    run.artifacts = {**run.artifacts, "plan": key}
    run.snapshot_id, run.units_total = plan.snapshot_id, _estimated_units(plan)
    db.session.commit()
    _cache[run.id] = (plan, dataset, _knowledge())
    if queue.inline:
        return _run_inline(run, plan, dataset, progress)
    _dispatch(run, plan, [])
    return {"run_id": run.id, "round": 0}


def _run_inline(run: TrainingRun, plan: SearchPlan, dataset: Dataset, progress) -> dict:
    """Run every unit and the final fit in this job (one process: RQ_INLINE, a single thread)."""
    kb = _cache[run.id][2]
    ancestors = _ancestors(kb, dataset)
    results: list[dict] = []
    try:
        while units := next_units(plan, results):
            for unit in units:
                results.append(run_unit(plan, unit, dataset, ancestors=ancestors))
                run.units_done = len(results)
                progress(5 + 80 * len(results) / max(run.units_total, len(results)),
                         f"{unit['candidate']} fold {unit['fold']}")
                _report(run.id, 5 + 80 * len(results) / max(run.units_total, len(results)),
                        f"Searching: {unit['candidate']} fold {unit['fold']}")
    except RunCanceled:
        return {"run_id": run.id, "status": RunStatus.CANCELED}
    return _finish(run, plan, dataset, kb, results)


def _enqueue(kind: str, args: dict, run: TrainingRun, *, depends_on=None, retry: Retry | None = None) -> Job:
    job = Job(rq_id=uuid.uuid4().hex, kind=kind, args=args, launched_by_id=run.launched_by_id)
    db.session.add(job)
    db.session.commit()
    queue.rq.enqueue(ENTRY_POINT, job.id, job_id=job.rq_id, job_timeout=timeout_for(kind), meta={"kind": kind},
                     description=f"{kind} #{job.id} (training run {run.id})", depends_on=depends_on, retry=retry)
    return job


def _dispatch(run: TrainingRun, plan: SearchPlan, results: list[dict]) -> int:
    """Enqueue the next round's units and a finalize job depending on them; return how many units."""
    units = next_units(plan, results)
    round_number = run.round
    children = [_enqueue("train_unit", {"run_id": run.id, "round": round_number, "unit": unit}, run,
                         retry=Retry(max=UNIT_RETRIES)) for unit in units]
    dependency = Dependency(jobs=[child.rq_id for child in children], allow_failure=True)
    final = _enqueue("train_finalize", {"run_id": run.id, "round": round_number}, run, depends_on=dependency)
    db.session.refresh(run)
    run.job_ids = [*run.job_ids, *(child.id for child in children), final.id]
    run.stage = f"Round {round_number + 1}: {len(units)} units queued"
    db.session.commit()
    return len(units)


def run_unit_job(run_id: int, unit: dict, progress, round: int = 0) -> dict:
    """The ``train_unit`` job: fit and score one (candidate, params, fold); the result lands on the Job row."""
    run = _run(run_id)
    if run.status == RunStatus.CANCELED:
        return {"canceled": True}
    progress(10, f"{unit['candidate']} fold {unit['fold']}")
    plan, dataset, kb = _context(run)
    result = run_unit(plan, unit, dataset, ancestors=_ancestors(kb, dataset))
    result["worker"] = f"{socket.gethostname()}:{os.getpid()}"  # Which worker process ran it (fan-out is visible).
    db.session.execute(update(TrainingRun).where(TrainingRun.id == run_id)
                       .values(units_done=TrainingRun.units_done + 1))
    db.session.commit()
    db.session.refresh(run)
    if run.status == RunStatus.RUNNING:
        run.progress = max(run.progress, min(85, int(5 + 80 * run.units_done / max(run.units_total, 1))))
        run.stage = f"Searching: {run.units_done} of ~{run.units_total} units"
        db.session.commit()
    return result


def _unit_results(run: TrainingRun) -> tuple[list[dict], list[Job]]:
    """Return (gathered results, failed unit jobs) of a run from its Job rows."""
    rows = db.session.scalars(select(Job).where(Job.id.in_(run.job_ids or [-1]), Job.kind == "train_unit")).all()
    results = [row.result for row in rows if row.status == JobStatus.FINISHED and row.result
               and "score" in row.result]
    failed = [row for row in rows if row.status in (JobStatus.FAILED, JobStatus.CANCELED)]
    return results, failed


def finalize_round(run_id: int, progress, round: int = 0) -> dict:
    """The ``train_finalize`` job: after a round, enqueue the next one or fit, sign and register the model."""
    run = _run(run_id)
    if run.status != RunStatus.RUNNING:
        return {"run_id": run_id, "status": run.status}
    results, failed = _unit_results(run)
    if failed:
        _fail(run, f"{len(failed)} search unit(s) failed; first: {failed[0].error or failed[0].status}")
        return {"run_id": run_id, "status": RunStatus.FAILED}
    plan, dataset, kb = _context(run)
    if next_units(plan, results):
        run.round += 1
        db.session.commit()
        return {"run_id": run_id, "round": run.round, "units": _dispatch(run, plan, results)}
    return _finish(run, plan, dataset, kb, results)


def _fail(run: TrainingRun, message: str) -> None:
    db.session.rollback()
    db.session.refresh(run)
    run.status, run.error, run.stage, run.finished_at = RunStatus.FAILED, message, "Failed", utcnow()
    run.progress = 100
    db.session.commit()


def _elapsed(since: datetime) -> float:
    """Return the seconds from ``since`` (naive UTC from the database, or aware) to now."""
    return (utcnow().replace(tzinfo=None) - since.replace(tzinfo=None)).total_seconds()


def _finish(run: TrainingRun, plan: SearchPlan, dataset: Dataset, kb, results: list[dict]) -> dict:
    """Refit, score, sign, store, register and apply the champion rule, then the by-source slice; finish the run.

    The model is registered (and, when it wins, served) before the slice is scored: the slice only delays the
    run's "finished". In a worker, the slice is fanned out first (so other workers score sources during the
    refit) and ``train_complete`` finishes the run; inline, it runs here after the registration.
    """
    sources = _sources(dataset) if run.config.get("by_source", True) else []
    current = None if queue.inline else get_current_job()
    fanned_out = bool(sources) and current is not None and bool(results)
    if fanned_out:
        _dispatch_sources(run, leaderboard(results)[0], sources, after=current.id)
    try:
        _report(run.id, 86, "Refitting the best draw")
        ancestors = _ancestors(kb, dataset)
        orphan_of = _orphan_of(kb)
        metadata = {**(kb_metadata(kb) if kb is not None else {}), "code_version": run.code_version,
                    "training_run": run.id}
        outcome = fit_final(plan, dataset, results, ancestors=ancestors,
                            orphan=[orphan_of(label) for label in plan.labels], metadata=metadata)
        diagnostics = _diagnostics(outcome.bundle, plan, dataset)
        _report(run.id, 90, "Signing and registering the model")
    except RunCanceled:
        return {"run_id": run.id, "status": RunStatus.CANCELED}
    except TrainingDataError as error:
        _fail(run, str(error))
        return {"run_id": run.id, "status": RunStatus.FAILED, "error": str(error)}
    signed = sign_bundle(outcome.bundle, current_app.config["MODEL_SIGNING_KEY"])
    summary = bundle_summary(outcome.bundle)
    headline = {key: value for key, value in outcome.test_metrics.items() if key not in ("per_label", "slices")}
    version = registry.register(signed, run=run, metrics=headline, summary=summary)
    decision = _champion_decision(version, outcome, plan, dataset)
    run.metrics = {"test": outcome.test_metrics, "validation": outcome.validation_metrics,
                   "leaderboard": outcome.leaderboard, "best": outcome.best, "units": results,
                   "labels": plan.labels, "train_support": plan.train_support, "below_support": plan.below_support,
                   "by_source": [], **diagnostics, "decision": decision, "model_version": version.version,
                   "n_cases": dataset.n_cases}
    run.artifacts = {**run.artifacts, "model": version.storage_key}
    if fanned_out:
        run.stage = f"Scoring by source: {len(sources)} jobs"
        db.session.commit()
        return {"run_id": run.id, "model_version": version.version, "alias": version.alias,
                "by_source": len(sources)}
    db.session.commit()
    if sources:
        rows = []
        try:
            for number, source in enumerate(sources):
                _report(run.id, 91 + 8 * number / len(sources), f"Scoring by source: without {source}")
                rows.append(_source_row(plan, dataset, outcome.best, source, ancestors, orphan_of))
        except RunCanceled:
            return {"run_id": run.id, "status": RunStatus.CANCELED}
        run.metrics = {**run.metrics, "by_source": rows}
        db.session.commit()
    return _complete(run)


def _orphan_of(kb):
    return kb_orphan_of(kb) if kb is not None else (lambda label: not label.startswith("ICD10:"))


def _complete(run: TrainingRun) -> dict:
    """Finish a run whose model is registered (and by-source rows gathered): status, duration, audit, MLflow."""
    run.status, run.progress, run.stage, run.finished_at = RunStatus.FINISHED, 100, "Done", utcnow()
    run.duration_s = round(_elapsed(run.created_at), 2)  # From launch: queueing, search, refit, slice, registry.
    version = db.session.scalar(select(ModelVersion).where(ModelVersion.run_id == run.id))
    audit.record("training.finish", target=f"training_run:{run.id}", user=None, model=version.version,
                 alias=version.alias)
    db.session.commit()
    _log_mlflow(run)
    return {"run_id": run.id, "status": run.status, "model_version": version.version, "alias": version.alias}


def _sources(dataset: Dataset) -> list[str]:
    """Return the sources of the by-source slice: every source when there are two or more, else none."""
    sources = sorted(dataset.cases["source"].dropna().unique().tolist())
    return sources if len(sources) >= 2 else []


def _dispatch_sources(run: TrainingRun, best: dict, sources: list[str], *, after: str) -> None:
    """Enqueue one ``train_source`` job per source and ``train_complete`` after them and the RQ job ``after``."""
    draw = {"candidate": best["candidate"], "params": best["params"]}
    children = [_enqueue("train_source", {"run_id": run.id, "source": source, "best": draw}, run,
                         retry=Retry(max=UNIT_RETRIES)) for source in sources]
    dependency = Dependency(jobs=[*(child.rq_id for child in children), after], allow_failure=True)
    final = _enqueue("train_complete", {"run_id": run.id}, run, depends_on=dependency)
    db.session.refresh(run)
    run.job_ids = [*run.job_ids, *(child.id for child in children), final.id]
    db.session.commit()


def source_job(run_id: int, source: str, best: dict, progress) -> dict:
    """The ``train_source`` job: train ``best`` without ``source``'s cases and score it on them (one slice row)."""
    run = _run(run_id)
    if run.status != RunStatus.RUNNING:
        return {"canceled": True}
    progress(10, f"without {source}")
    plan, dataset, kb = _context(run)
    row = _source_row(plan, dataset, best, source, _ancestors(kb, dataset), _orphan_of(kb))
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    db.session.refresh(run)
    if run.status == RunStatus.RUNNING:
        run.progress = max(run.progress, 91)
    db.session.commit()
    return row


def complete_run(run_id: int, progress) -> dict:
    """The ``train_complete`` job: gather the by-source rows into the run's metrics and finish the run."""
    run = _run(run_id)
    if run.status != RunStatus.RUNNING:
        return {"run_id": run_id, "status": run.status}
    if not (run.metrics or {}).get("model_version"):
        _fail(run, "The refit of the best draw did not finish; no model was registered.")
        return {"run_id": run_id, "status": RunStatus.FAILED}
    rows = db.session.scalars(select(Job).where(Job.id.in_(run.job_ids or [-1]), Job.kind == "train_source")
                              .order_by(Job.id)).all()
    by_source = []
    for row in rows:
        if row.status == JobStatus.FINISHED and row.result and "source" in row.result:
            by_source.append(row.result)
        else:
            by_source.append({"source": row.args.get("source"), "error": row.error or str(row.status)})
    run.metrics = {**run.metrics, "by_source": sorted(by_source, key=lambda item: str(item["source"]))}
    db.session.commit()
    return _complete(run)


def _diagnostics(bundle, plan: SearchPlan, dataset: Dataset) -> dict:
    """Return the calibration curve and the top confusions of the bundle on the run's test cases."""
    test_set = dataset.subset(plan.test_ids)
    Y, P = label_matrix(test_set, plan.labels), bundle.predict_proba(test_set)
    return {"calibration": calibration_curve(Y, P), "confusions": top_confusions(Y, P, plan.labels)}


def _source_row(plan, dataset, best, source: str, ancestors, orphan_of) -> dict:
    """Return one row of the cross-source slice: ``best`` trained without ``source``, scored on ``source``.

    The run's own recipe (its minimum support too: labels under it are the knowledge model's, as in the run), so
    the row measures the run's model on a source it never saw, not a model of every one-case disease.
    """
    try:
        metrics = source_holdout(dataset, source, candidate=best["candidate"], params=best["params"],
                                 config=plan.config, ancestors=ancestors, orphan_of=orphan_of)
    except (TrainingDataError, ValueError) as error:
        return {"source": source, "error": str(error)}
    return {key: metrics.get(key) for key in ("source", "n_train", "n_scored", "macro_f1", "top_1", "top_3",
                                              "top_10", "mrr", "orphan_recall_at_10")}


def _champion_decision(version: ModelVersion, outcome, plan: SearchPlan, dataset: Dataset) -> dict:
    """The first model becomes champion; a later one is challenger, promoted when it wins on a shared holdout."""
    current = registry.champion()
    if current is None:
        registry._set_champion(version)
        audit.record("model.promote", target=f"model:{version.version}", user=None, reason="first model")
        return {"promoted": True, "reason": "first model", "rule": CHAMPION_RULE}
    test_set = dataset.subset(plan.test_ids)
    try:
        champion_bundle = registry.load_version(current)
        champion_metrics = evaluate_bundle(champion_bundle, test_set)
    except Exception as error:  # noqa: BLE001 - a champion that cannot be scored cannot defend its title.
        log.warning("champion v%s could not be scored on run %s's holdout: %s", current.version, plan.snapshot_id,
                    error)
        champion_metrics = None
    challenger_metrics = evaluate_bundle(registry.load_version(version), test_set)
    wins, reason = champion_wins(challenger_metrics, champion_metrics)
    decision = {"promoted": wins, "reason": reason, "rule": CHAMPION_RULE, "champion": current.version,
                "challenger_macro_f1": challenger_metrics["macro_f1"],
                "champion_macro_f1": champion_metrics["macro_f1"] if champion_metrics else None}
    for other in db.session.scalars(select(ModelVersion).where(ModelVersion.alias == Alias.CHALLENGER)):
        other.alias = Alias.NONE
    if wins:
        registry._set_champion(version)
        audit.record("model.promote", target=f"model:{version.version}", user=None, reason=reason[:200],
                     previous=current.version)
    else:
        version.alias = Alias.CHALLENGER
    return decision


def _log_mlflow(run: TrainingRun) -> None:
    """Log params, metrics and the signed model to MLflow when ``MLFLOW_TRACKING_URI`` is set."""
    uri = current_app.config.get("MLFLOW_TRACKING_URI")
    if not uri:
        return
    try:
        from app.training.tracking import log_run

        with storage().open(run.artifacts["model"]) as handle:
            artifact = handle.read()
        run.mlflow_run_id = log_run(uri, run, artifact)
        db.session.commit()
    except Exception:  # noqa: BLE001 - tracking is a copy; the registry already holds the model.
        db.session.rollback()
        log.exception("could not log training run %s to MLflow", run.id)
