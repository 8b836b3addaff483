"""`make run` (scripts/devserver.py): child output goes to instance/logs/, and the URL and accounts come last."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("devserver", ROOT / "scripts" / "devserver.py")
devserver = importlib.util.module_from_spec(spec)
spec.loader.exec_module(devserver)


def test_the_url_and_the_seeded_accounts_are_printed_last_and_each_account_logs_in(app, client, tmp_path):
    seeded = app.test_cli_runner().invoke(args=["seed-accounts"]).output
    shown = devserver.ready_message("http://127.0.0.1:5077", seeded, logs=tmp_path / "logs",
                                    notes=["demo data queued for ingestion (4 of 4 sources, one upload each)."])
    lines = shown.splitlines()
    assert lines[-1] == "dxflow: serving on http://127.0.0.1:5077 — press Ctrl-C to stop."
    accounts = [re.fullmatch(r" +(\w+) +(\S+@\S+) +password: (\S+)", line) for line in lines[-4:-1]]
    assert all(accounts), shown
    assert "passwords are shown only now" in lines[-5] and str(tmp_path / "logs") in shown
    assert shown.index("demo data queued") < shown.index("accounts")
    for match in accounts:
        response = client.post("/auth/login", data={"email": match[2], "password": match[3]})
        assert response.status_code == 302 and response.headers["Location"] == "/", match[2]
        client.post("/auth/logout")


def test_on_later_runs_the_accounts_are_listed_without_passwords(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-accounts"])
    shown = devserver.ready_message("http://127.0.0.1:5000", runner.invoke(args=["seed-accounts"]).output,
                                    logs=Path("instance/logs"))
    lines = shown.splitlines()
    assert [line.split() for line in lines[-4:-1]] == [[role, f"{role}@dxflow.example.org"] for role in (
        "admin", "auditor", "clinician")] and "password" not in shown
    assert lines[-1].startswith("dxflow: serving on http://127.0.0.1:5000")


def test_a_long_running_child_writes_to_its_log_not_the_terminal(tmp_path, capfd):
    log = tmp_path / "logs" / "worker.log"
    child = devserver.start_logged([sys.executable, "-c", "import sys; print('job 1 done'); "
                                    "print('job 2 failed', file=sys.stderr)"], log, env=None)
    assert child.wait(timeout=30) == 0
    assert log.read_text().splitlines() == ["job 1 done", "job 2 failed"]
    out, err = capfd.readouterr()
    assert "job" not in out and "job" not in err
