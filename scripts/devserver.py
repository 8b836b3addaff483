"""`make run`: prepare the database, accounts, knowledge base, demo data and services, then serve dxflow until Ctrl-C.

Steps: migrate the database, create one account per role (passwords printed once), make sure Redis answers
(starting a private ``redis-server`` under ``instance/`` when none does, or running jobs inline when there is no
``redis-server`` at all), then start the worker and the web app on http://127.0.0.1:5000 — queueing the demo data for
ingestion on the first run — and stop them all together.

The terminal gets one line per step and, last, the URL and the accounts (with their passwords when they were just
created). What the commands, the worker and the web server print goes to ``instance/logs/`` (``setup.log``,
``worker.log``, ``web.log``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = Path(os.environ.get("DXFLOW_INSTANCE_DIR", ROOT / "instance"))
PRIVATE_REDIS_PORT = 6390
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "5000"))
DEMO_DIR = INSTANCE / "demo"
DEMO_QUEUED = DEMO_DIR / ".queued"  # written once every demo source has been handed to ingestion
LOGS = INSTANCE / "logs"
SETUP_LOG = LOGS / "setup.log"


def log_file(path: Path):
    """Open a log file for appending (its folder created), for a child process's output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")


def flask(*args: str, env: dict, secret: bool = False) -> str:
    """Run a ``flask`` command in the project, its output appended to setup.log (unless ``secret``: it holds
    passwords); return its output.

    On failure the end of its output is shown (it says what went wrong) and CalledProcessError is raised.
    """
    with log_file(SETUP_LOG) as log:
        log.write(f"$ flask {' '.join(args)}\n")
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        log.write("(output not logged: it shows passwords)\n" if secret else result.stdout)
    if result.returncode:
        print("\n".join(result.stdout.splitlines()[-15:]), file=sys.stderr)
        raise subprocess.CalledProcessError(result.returncode, [sys.executable, "-m", "flask", *args])
    return result.stdout


def start_logged(command: list[str], log_path: Path, env: dict) -> subprocess.Popen:
    """Start a long-running process whose output goes to ``log_path`` rather than the terminal."""
    with log_file(log_path) as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def ready_message(url: str, accounts: str, *, logs: Path, notes: list[str] = ()) -> str:
    """Return what the terminal shows once serving: notes and where the logs are, then the URL and accounts last."""
    lines = [f"dxflow: {note}" for note in notes]
    lines.append(f"dxflow: logs of the worker, the web server and the set-up are in {logs}/.")
    lines.append("")
    lines.append("dxflow: accounts" + (" (passwords are shown only now, when created):" if "password:" in accounts
                                       else ":"))
    lines += [line for line in accounts.splitlines() if line.startswith("  ")]
    lines.append(f"dxflow: serving on {url} — press Ctrl-C to stop.")
    return "\n".join(lines)


def answers(host: str, port: int) -> bool:
    """Return whether something accepts TCP connections at host:port."""
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def ensure_redis(env: dict, processes: list) -> None:
    """Point REDIS_URL at a Redis that answers, starting a private one if needed, or fall back to inline jobs."""
    url = urlsplit(env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if answers(url.hostname or "127.0.0.1", url.port or 6379):
        return
    server = shutil.which("redis-server")
    if server is None:
        print("dxflow: no Redis answers and redis-server is not installed: jobs run inline in the web app.")
        env["RQ_INLINE"] = "1"
        return
    data_dir = INSTANCE / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    processes.append(subprocess.Popen(
        [server, "--port", str(PRIVATE_REDIS_PORT), "--bind", "127.0.0.1", "--dir", str(data_dir),
         "--logfile", str(data_dir / "redis.log")]))
    for _ in range(50):
        if answers("127.0.0.1", PRIVATE_REDIS_PORT):
            break
        time.sleep(0.1)
    env["REDIS_URL"] = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    print(f"dxflow: started a private Redis on port {PRIVATE_REDIS_PORT} (data in {data_dir}).")


DEMO_SOURCES = (  # (file or folder in the demo output, source name, built-in profile)
    ("hospital_records.csv", "Hospital clinical records", "hospital_csv"),
    ("rare_disease_registry.jsonl", "Rare-disease registry", "registry_jsonl"),
    ("research_database.xlsx", "Research database", "research_xlsx"),
    ("notes", "Clinic notes", "clinic_notes"),
)


def prepare(env: dict) -> tuple[bool, str]:
    """Migrate, seed accounts, build the knowledge base and generate the demo data; return whether the demo
    data still has to be queued for ingestion, and what ``flask seed-accounts`` printed."""
    flask("db", "upgrade", env=env)
    accounts = flask("seed-accounts", env=env, secret=True)
    print("dxflow: database migrated; accounts ready.")
    if not (INSTANCE / "kb" / "current").exists() and not env.get("KB_DIR"):
        print("dxflow: building the knowledge base (once).")
        flask("kb", "build", env=env)
    if not (DEMO_DIR / "manifest.json").exists():
        patients = env.get("DEMO_PATIENTS", "20000")
        print(f"dxflow: generating demo data for {patients} patients (once).")
        flask("demo", "generate", "--out", str(DEMO_DIR), "--patients", patients, "--seed", "0", env=env)
    return not DEMO_QUEUED.exists(), accounts


def queue_demo(env: dict) -> str:
    """Hand each demo source to ``flask ingest`` (jobs for the worker, or inline), mark the demo queued and return
    a one-line summary; the commands' output goes to setup.log."""
    wait = ["--wait"] if env.get("RQ_INLINE") == "1" else []
    failed = 0
    for name, source, profile in DEMO_SOURCES:
        try:
            flask("ingest", "load", str(DEMO_DIR / name), "--source", source, "--profile", profile, *wait, env=env)
        except subprocess.CalledProcessError:
            failed += 1
    if not failed:
        DEMO_QUEUED.touch()
    return (f"demo data queued for ingestion ({len(DEMO_SOURCES) - failed} of {len(DEMO_SOURCES)} sources, one upload "
            "each); follow it on the Jobs and Uploads pages.")


def train_first_model(env: dict) -> None:
    """Train a first model once ingestion ends, so a new user has a champion (no-op when a run exists)."""
    wait = ["--wait"] if env.get("RQ_INLINE") == "1" else []
    # With the by-source slice: the model is registered (and served) before the slice's jobs run, so it only
    # delays the run's "finished", not the first champion.
    subprocess.run([sys.executable, "-m", "flask", "train", "--after-ingestion", "--reason",
                    "first model on the demo", *wait], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def queue_demo_then_train(env: dict) -> None:
    """Ingest the demo data inline, then train the first model on it."""
    queue_demo(env)
    train_first_model(env)


def wait_until_answering(process: subprocess.Popen, seconds: float = 60) -> bool:
    """Wait until the web app accepts connections; return False if it stopped or took too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if answers(HOST, PORT):
            return True
        time.sleep(0.2)
    return False


def serve(env: dict, processes: list, *, with_demo: bool, accounts: str) -> None:
    """Start the worker and the web app (and queue the demo data); print the URL and accounts last; wait until
    one stops or Ctrl-C."""
    if env.get("RQ_INLINE") != "1":
        processes.append(start_logged([sys.executable, "-m", "worker"], LOGS / "worker.log", env))
        # RQ's cron scheduler runs the periodic jobs of worker/cron.py (the monitoring check), as compose's scheduler.
        rq = str(Path(sys.executable).with_name("rq"))
        processes.append(start_logged([rq, "cron", "--url", env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                                       "worker.cron"], LOGS / "scheduler.log", env))
    web = start_logged([sys.executable, "-m", "flask", "run", "--host", HOST, "--port", str(PORT)], LOGS / "web.log",
                       env)
    processes.append(web)
    notes = []
    if with_demo and env.get("RQ_INLINE") == "1":  # inline ingestion takes minutes: in the background
        threading.Thread(target=queue_demo_then_train, args=(env,), daemon=True).start()
        notes.append("ingesting the demo data in the background (no Redis); follow it on the Uploads page.")
    else:
        if with_demo:
            notes.append(queue_demo(env))
        threading.Thread(target=train_first_model, args=(env,), daemon=True).start()
    if not wait_until_answering(web):
        print(f"dxflow: the web app did not start; see {LOGS / 'web.log'}.", file=sys.stderr)
        return
    print(ready_message(f"http://{HOST}:{PORT}", accounts, logs=LOGS, notes=notes), flush=True)
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    stopped = [process.args[2] for process in processes if process.poll() is not None and len(process.args) > 2]
    if stopped:
        print(f"dxflow: {', '.join(stopped)} stopped; see {LOGS}/.", file=sys.stderr)


def stop(processes: list) -> None:
    """Stop every process this script started, newest first (the web app and worker before Redis)."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # A second Ctrl-C must not leave orphans behind.
        signal.signal(signum, signal.SIG_IGN)
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    env = {**os.environ, "DXFLOW_INSTANCE_DIR": str(INSTANCE), "PYTHONUNBUFFERED": "1"}
    env.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{INSTANCE / 'mlflow.db'}")  # `mlflow ui --backend-store-uri` it
    processes: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, interrupt)
    try:
        ensure_redis(env, processes)
        with_demo, accounts = prepare(env)
        serve(env, processes, with_demo=with_demo, accounts=accounts)
    except KeyboardInterrupt:
        print("\ndxflow: stopping.")
    except subprocess.CalledProcessError as error:
        print(f"dxflow: {' '.join(error.cmd[2:])} failed (exit {error.returncode}).", file=sys.stderr)
        return 1
    finally:
        stop(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
