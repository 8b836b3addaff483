"""Training runs end to end on the real database and Redis: fan-out, messages, cancel, retry, the champion rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Alias, AuditEvent, Job, JobStatus, ModelVersion, RunStatus, TrainingRun
from app.registry.service import current_predictor
from app.training.service import cancel_run, launch_training, retry_run
from tests.app.training.warehouse import TINY, fill_warehouse


def _kinds(run: TrainingRun) -> dict[str, int]:
    rows = db.session.execute(select(Job.kind, func.count()).where(Job.id.in_(run.job_ids)).group_by(Job.kind))
    return dict(rows.all())


def test_empty_warehouse_ends_with_a_clear_message(app, run_worker):
    run = launch_training(reason="test", config=TINY)
    run_worker()
    db.session.refresh(run)
    assert run.status == RunStatus.FAILED
    assert "The warehouse is empty" in run.error
    assert "Traceback" not in run.error
    assert db.session.scalar(select(func.count(ModelVersion.id))) == 0


def test_one_disease_ends_with_a_clear_message(app, run_worker):
    assert fill_warehouse(12, diseases=1) > 0
    run = launch_training(config=TINY)
    run_worker()
    db.session.refresh(run)
    assert run.status == RunStatus.FAILED
    assert "at least two diseases" in run.error


@pytest.mark.slow
def test_a_run_fans_out_and_registers_the_first_champion(app, run_worker):
    assert fill_warehouse(15) > 0
    run = launch_training(reason="first", config=TINY)
    run_worker()
    db.session.refresh(run)
    assert run.status == RunStatus.FINISHED, run.error
    assert run.progress == 100
    # Two draws on fold 0, then the better one on fold 1: three units, and one finalize per halving round; then
    # one by-source job per source and the job that gathers them.
    assert _kinds(run) == {"train": 1, "train_unit": 3, "train_finalize": 2, "train_source": 3, "train_complete": 1}
    assert run.units_done == 3
    assert len(run.metrics["units"]) == 3
    assert run.metrics["test"]["n_cases"] > 0
    rows = {row["source"]: row for row in run.metrics["by_source"]}
    assert set(rows) == {"hospital_csv", "research_xlsx", "registry_jsonl"}
    for row in rows.values():  # Trained on the other two sources, scored on every case of this one.
        assert "error" not in row, row
        assert row["n_scored"] > 0 and row["n_train"] + row["n_scored"] == run.metrics["n_cases"]
        assert 0.5 < row["top_3"] <= 1 and 0 <= row["macro_f1"] <= 1 and 0 < row["mrr"] <= 1
    assert sum(row["n_scored"] for row in rows.values()) == run.metrics["n_cases"]
    assert run.metrics["calibration"]
    version = db.session.scalar(select(ModelVersion))
    assert (version.version, version.alias, version.run_id) == (1, Alias.CHAMPION, run.id)
    assert run.snapshot_id and run.code_version and run.duration_s > 0
    bundle, served = current_predictor()
    assert served.id == version.id
    assert bundle.rank({"present": ["HP:0001945", "HP:0012735"]}, top=3)[0][0] == "ICD10:J11"


@pytest.mark.slow
def test_an_inline_run_scores_every_source_itself(make_app):
    app = make_app(RQ_INLINE=True)  # No worker: the ``train`` job runs the search, the refit and the slice.
    with app.app_context():
        fill_warehouse(20)  # Without any one source, each disease keeps the default minimum support (10 cases).
        result = app.test_cli_runner().invoke(args=["train", "--wait", "--draws", "1"])
        assert result.exit_code == 0, result.output
        run = db.session.scalar(select(TrainingRun))
        assert run.status == RunStatus.FINISHED and run.config["by_source"] is True
        assert _kinds(run) == {"train": 1}
        rows = run.metrics["by_source"]
        assert [row["source"] for row in rows] == ["hospital_csv", "registry_jsonl", "research_xlsx"]
        assert all(row["n_scored"] > 0 and 0 < row["top_3"] <= 1 for row in rows), rows


@pytest.mark.slow
def test_a_second_run_is_a_challenger_judged_on_a_shared_holdout(app, run_worker):
    fill_warehouse(15)
    first = launch_training(config=TINY)
    run_worker()
    second = launch_training(config=TINY)  # The same data and seed: it cannot beat the champion's macro-F1.
    run_worker()
    db.session.refresh(first)
    db.session.refresh(second)
    assert second.status == RunStatus.FINISHED, second.error
    decision = second.metrics["decision"]
    assert decision["promoted"] is False and "does not beat" in decision["reason"]
    assert decision["champion_macro_f1"] == pytest.approx(decision["challenger_macro_f1"])
    aliases = dict(db.session.execute(select(ModelVersion.version, ModelVersion.alias)).all())
    assert aliases == {1: Alias.CHAMPION, 2: Alias.CHALLENGER}


@pytest.mark.slow
def test_cancel_stops_the_run_and_its_units_and_retry_starts_afresh(app, run_worker):
    fill_warehouse(12)
    run = launch_training(config=TINY)
    cancel_run(run)
    run_worker()
    db.session.refresh(run)
    assert run.status == RunStatus.CANCELED
    assert {job.status for job in db.session.scalars(select(Job).where(Job.id.in_(run.job_ids)))} == {
        JobStatus.CANCELED}
    assert db.session.scalar(select(func.count(ModelVersion.id))) == 0
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "training.cancel" in actions
    with pytest.raises(ValueError):
        cancel_run(run)
    again = retry_run(run)
    assert again.id != run.id and again.reason == f"retry of run {run.id}"
    run_worker()
    db.session.refresh(again)
    assert again.status == RunStatus.FINISHED, again.error


def test_cancelling_between_rounds_cancels_the_queued_units(app, run_worker):
    fill_warehouse(12)
    run = launch_training(config=TINY)
    # Run only the ``train`` job: it plans and queues the first round's units and their finalize job.
    from rq import SimpleWorker

    from app.extensions import queue

    SimpleWorker([queue.rq], connection=queue.redis).work(burst=True, max_jobs=1, with_scheduler=False)
    db.session.refresh(run)
    assert _kinds(run) == {"train": 1, "train_unit": 2, "train_finalize": 1}
    cancel_run(run)
    run_worker()
    units = db.session.scalars(select(Job).where(Job.id.in_(run.job_ids), Job.kind == "train_unit")).all()
    assert units and all(job.status == JobStatus.CANCELED for job in units)
    db.session.refresh(run)
    assert run.status == RunStatus.CANCELED and run.units_done == 0
