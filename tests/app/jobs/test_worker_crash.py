"""A worker killed with SIGKILL (with its work horse) during an ingestion: the job and the upload end up failed."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.jobs import service as jobs
from app.models import Job, JobStatus, Upload, UploadStatus
from app.warehouse import create_upload, delete_upload
from tests.app.warehouse.test_warehouse import HOSPITAL_ROWS, hospital_csv
from tests.kb_build import session_kb_dir

ROOT = Path(__file__).resolve().parents[3]


def start_worker(app) -> subprocess.Popen:
    """Start ``python -m worker`` on the app's database, Redis, raw zone and knowledge base, in its own group."""
    config = app.config
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": config["REDIS_URL"], "RQ_QUEUE": config["RQ_QUEUE"], "STORAGE_URL": config["STORAGE_URL"],
           "KB_DIR": config["KB_DIR"],
           "K_ANONYMITY": "1", "SECRET_KEY": "test-secret", "PSEUDONYM_KEY": config["PSEUDONYM_KEY"],
           "MODEL_SIGNING_KEY": "test-signing-key", "DXFLOW_INSTANCE_DIR": config["INSTANCE_DIR"]}
    return subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition, *, timeout: float, every: float = 0.5):
    """Return the first truthy value of ``condition()`` within ``timeout`` seconds, else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if value := condition():
            return value
        time.sleep(every)
    pytest.fail(f"not reached within {timeout} s")


@pytest.mark.slow
def test_a_killed_worker_s_ingestion_ends_failed_and_can_be_retried_and_deleted(make_app, tmp_path_factory):
    # The worker gets the test's private queue through RQ_QUEUE (parallel test workers share the Redis db).
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), K_ANONYMITY=1)
    with app.app_context():
        rows = [row.replace("P-0001", f"P-{n:06d}") for n in range(40_000) for row in HOSPITAL_ROWS[:1]]
        [upload] = create_upload([("big.csv", io.BytesIO(hospital_csv(rows)))], "Hospital", "hospital_csv")
        worker = start_worker(app)
        try:
            wait_for(lambda: db.session.get(Upload, upload.id).status == UploadStatus.RUNNING, timeout=120)
            # The worker and its work horse, as a crash would (the horse is a child in a session of its own).
            horses = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
            assert horses, "the work horse was not found"
            for pid in (*map(int, horses), worker.pid):
                os.kill(pid, signal.SIGKILL)
        finally:
            worker.kill()
            worker.wait(timeout=30)
        job = db.session.get(Job, upload.job_id)
        assert job.status == JobStatus.RUNNING and db.session.get(Upload, upload.id).status == UploadStatus.RUNNING

        # What the job page does on every visit; RQ gives up on a horse without heartbeat after 90 s.
        wait_for(lambda: jobs.sync_with_rq(db.session.get(Job, job.id)).status == JobStatus.FAILED, timeout=150,
                 every=5)
        failed = db.session.get(Upload, upload.id)
        assert failed.status == UploadStatus.FAILED and failed.error  # was "running" for RQ's 3 h timeout
        retried = jobs.retry(db.session.get(Job, job.id))  # was refused: only failed or cancelled jobs
        assert retried.status == JobStatus.QUEUED
        jobs.cancel(retried)  # a cancelled retry leaves the upload failed, not "queued" behind a dead job id
        assert db.session.get(Upload, upload.id).status == UploadStatus.FAILED
        delete_upload(db.session.get(Upload, upload.id))  # was refused: cancel its job first
        assert db.session.get(Upload, upload.id) is None


def test_cancelling_an_ingest_job_fails_its_upload_so_it_can_be_retried_or_deleted(make_app, tmp_path_factory):
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), K_ANONYMITY=1)
    with app.app_context():
        [upload] = create_upload([("a.csv", io.BytesIO(hospital_csv()))], "Hospital", "hospital_csv")
        assert upload.status == UploadStatus.QUEUED
        jobs.cancel(db.session.get(Job, upload.job_id))
        cancelled = db.session.get(Upload, upload.id)
        assert cancelled.status == UploadStatus.FAILED and "cancelled" in cancelled.error  # was left "queued"
        delete_upload(cancelled)
        assert db.session.get(Upload, upload.id) is None
