"""When Redis stops, pages keep serving and say that background jobs are unavailable."""

import shutil
import socket
import subprocess
import time

import pytest

from app.extensions import queue

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
    for path in ("/", "/admin/", "/admin/audit", "/jobs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert NOTICE in response.text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["redis"] == "unavailable"
    export = client.post("/admin/audit/export")
    assert export.status_code == 503 and "unavailable" in export.text
