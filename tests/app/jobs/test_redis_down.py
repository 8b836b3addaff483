"""When Redis stops, pages keep serving and say that background jobs are unavailable."""

import io
import shutil
import socket
import subprocess
import time

import pytest
from sqlalchemy import select

from app.extensions import db, queue
from app.models import Upload, UploadStatus
from app.warehouse import UploadsPending, create_upload, delete_upload
from tests.conftest import csrf_token_from

NOTICE = "Background jobs are unavailable"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path):
    """Start a private redis-server; yield its URL and a function that stops it."""
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield f"redis://127.0.0.1:{port}/0", stop
    if process.poll() is None:
        stop()


def test_pages_keep_serving_with_a_notice_when_redis_stops(make_app, make_user, private_redis):
    url, stop_redis = private_redis
    app = make_app(REDIS_URL=url)
    client = app.test_client()
    with app.app_context():
        email = make_user("admin").email
    client.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
    assert NOTICE not in client.get("/jobs/").text

    stop_redis()
    with app.app_context():
        queue.forget_availability()
    for path in ("/", "/admin/", "/monitoring/audit", "/jobs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert NOTICE in response.text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["redis"] == "unavailable"
    export = client.post("/admin/audit/export")
    assert export.status_code == 503 and "unavailable" in export.text


def test_an_upload_while_redis_is_down_answers_503_and_can_be_started_or_deleted_later(make_app, make_user,
                                                                                        private_redis):
    url, stop_redis = private_redis
    down = make_app(REDIS_URL=url)
    client = down.test_client()
    with down.app_context():
        email = make_user("admin").email
    client.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
    stop_redis()
    with down.app_context():
        queue.forget_availability()

    def upload(name):
        files = {"source": "Hospital", "profile": "hospital_csv", "files": [(io.BytesIO(b"x;y\n1;2\n"), name)]}
        return client.post("/admin/uploads", data=files, content_type="multipart/form-data")

    response = upload("cases.csv")
    assert response.status_code == 503  # was a 500
    assert NOTICE in response.text and "start each pending upload from its page" in response.text
    assert "Traceback" not in response.text
    with down.app_context():
        [pending] = db.session.scalars(select(Upload)).all()
        assert pending.status == UploadStatus.PENDING and pending.job_id is None
        upload_id = pending.id
    page = client.get(f"/admin/uploads/{upload_id}")
    assert "Start ingestion" in page.text
    token = csrf_token_from(page.text)
    assert client.post(f"/admin/uploads/{upload_id}/start", data={"csrf_token": token}).status_code == 503

    # Redis is back (the session's own): the same pending upload starts from its page.
    up = make_app()
    up_client = up.test_client()
    up_client.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
    page = up_client.get(f"/admin/uploads/{upload_id}")
    started = up_client.post(f"/admin/uploads/{upload_id}/start", data={"csrf_token": csrf_token_from(page.text)})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    with up.app_context():
        upload_row = db.session.get(Upload, upload_id)
        assert upload_row.status == UploadStatus.QUEUED and upload_row.job_id is not None


def test_a_pending_upload_left_by_redis_being_down_can_be_deleted(make_app, make_user, private_redis):
    url, stop_redis = private_redis
    app = make_app(REDIS_URL=url)
    stop_redis()
    with app.app_context():
        queue.forget_availability()
        with pytest.raises(UploadsPending) as pending:
            create_upload([("a.csv", io.BytesIO(b"x;y\n1;2\n"))], "Hospital", "hospital_csv")
        [upload] = pending.value.uploads
        assert db.session.get(Upload, upload.id).status == UploadStatus.PENDING
        delete_upload(upload)
        [again] = create_upload([("a.csv", io.BytesIO(b"x;y\n1;2\n"))], "Hospital", "hospital_csv", enqueue=False)
        assert again.status == UploadStatus.PENDING  # no longer refused as a duplicate


def test_flask_ingest_while_redis_is_down_says_so_in_one_line(make_app, private_redis, tmp_path):
    url, stop_redis = private_redis
    app = make_app(REDIS_URL=url)
    stop_redis()
    path = tmp_path / "cases.csv"
    path.write_bytes(b"x;y\n1;2\n")
    with app.app_context():
        queue.forget_availability()
    result = app.test_cli_runner().invoke(args=["ingest", "load", str(path), "--source", "Hospital",
                                                "--profile", "hospital_csv"])
    assert result.exit_code == 1  # a ClickException: one line, no traceback
    assert "Background jobs are unavailable" in result.output and "pending upload(s) #" in result.output
    assert "Traceback" not in result.output
