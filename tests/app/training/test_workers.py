"""Fan-out across two real worker processes: one search shared by two RQ workers on the test queue."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import select

from app.extensions import db, queue
from app.models import Job, RunStatus
from app.training.service import launch_training
from config import BASE_DIR
from tests.app.training.warehouse import TINY, fill_warehouse

WORKER = textwrap.dedent("""
    import sys
    from rq import SimpleWorker
    from app import create_app
    from app.extensions import queue
    from config import Config
    import worker.jobs

    app = create_app(Config.from_env(RQ_QUEUE=sys.argv[1], SQLALCHEMY_DATABASE_URI=sys.argv[2],
                                     STORAGE_URL=sys.argv[3], KB_DIR=sys.argv[4], MODEL_SIGNING_KEY="test-signing-key"))
    worker.jobs.use_app(app)
    with app.app_context():
        SimpleWorker([queue.rq], connection=queue.redis).work(with_scheduler=False)
""")


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_two_workers_share_one_search(app, tmp_path):
    fill_warehouse(15)
    env = {**os.environ, "PYTHONPATH": str(BASE_DIR), "REDIS_URL": app.config["REDIS_URL"],
           "DXFLOW_INSTANCE_DIR": str(tmp_path / "instance")}
    args = [queue.queue_name, app.config["SQLALCHEMY_DATABASE_URI"], app.config["STORAGE_URL"], app.config["KB_DIR"]]
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, *args], cwd=BASE_DIR, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        time.sleep(4)  # Both workers listen before the run is launched.
        run = launch_training(config=TINY | {"n_draws": 4})  # Round 1: four units for two workers.
        deadline = time.monotonic() + 240
        while run.is_active and time.monotonic() < deadline:
            time.sleep(1)
            db.session.refresh(run)
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=30)
    assert run.status == RunStatus.FINISHED, run.error
    units = db.session.scalars(select(Job).where(Job.id.in_(run.job_ids), Job.kind == "train_unit")).all()
    assert len(units) == 6  # 4 draws on fold 0, the best 2 on fold 1.
    hosts = {unit.result["worker"] for unit in units}
    assert len(hosts) == 2, hosts
