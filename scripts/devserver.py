"""`make run`: prepare the database, accounts, knowledge base, demo data and services, then serve dxflow until Ctrl-C.

Steps: migrate the database, create one account per role (passwords printed once), make sure Redis answers
(starting a private ``redis-server`` under ``instance/`` when none does, or running jobs inline when there is no
``redis-server`` at all), then start the worker and the web app on http://127.0.0.1:5000 — queueing the demo data for
ingestion meanwhile on the first run — and stop them all together.
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


def flask(*args: str, env: dict) -> None:
    """Run a ``flask`` command in the project and stop on failure."""
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True)


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


def prepare(env: dict) -> bool:
    """Migrate, seed accounts, build the knowledge base and generate the demo data; return whether the demo
    data still has to be queued for ingestion."""
    flask("db", "upgrade", env=env)
    print("dxflow: accounts (passwords are shown only when they are created):")
    flask("seed-accounts", env=env)
    if not (INSTANCE / "kb" / "current").exists() and not env.get("KB_DIR"):
        flask("kb", "build", env=env)
    if not (DEMO_DIR / "manifest.json").exists():
        patients = env.get("DEMO_PATIENTS", "20000")
        print(f"dxflow: generating demo data for {patients} patients.")
        flask("demo", "generate", "--out", str(DEMO_DIR), "--patients", patients, "--seed", "0", env=env)
    return not DEMO_QUEUED.exists()


def queue_demo(env: dict) -> None:
    """Hand each demo source to ``flask ingest`` (jobs for the worker, or inline), then mark the demo queued."""
    wait = ["--wait"] if env.get("RQ_INLINE") == "1" else []
    failed = 0
    for name, source, profile in DEMO_SOURCES:
        path = DEMO_DIR / name
        command = [sys.executable, "-m", "flask", "ingest", "load", str(path), "--source", source, "--profile", profile]
        result = subprocess.run([*command, *wait], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        failed += result.returncode != 0
    if not failed:
        DEMO_QUEUED.touch()
    print(f"dxflow: demo data queued for ingestion ({len(DEMO_SOURCES) - failed} of {len(DEMO_SOURCES)} sources);"
          " follow it on the Jobs and Uploads pages.")


def serve(env: dict, processes: list, *, with_demo: bool) -> None:
    """Start the worker and the web app (and queue the demo data meanwhile); wait until one stops or Ctrl-C."""
    if env.get("RQ_INLINE") != "1":
        processes.append(subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env))
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--host", HOST, "--port", str(PORT)], cwd=ROOT, env=env))
    print(f"dxflow: serving on http://{HOST}:{PORT} — press Ctrl-C to stop.")
    if with_demo:
        threading.Thread(target=queue_demo, args=(env,), daemon=True).start()
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)


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
    processes: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, interrupt)
    try:
        ensure_redis(env, processes)
        with_demo = prepare(env)
        serve(env, processes, with_demo=with_demo)
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
