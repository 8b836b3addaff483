"""Benchmark prediction: in-process latency over every disease, and /api/v1/predict under gunicorn.

Run from the repository root:
``PYTHONPATH=$PWD .venv/bin/python bench/bench_predict.py [--kb-dir DIR] [--full-sample 1000] [--seconds 15]
[--clients 4] [--skip-server]``. Goals (issue #12): in-process prediction over every disease p50 <= 5 ms,
p99 <= 50 ms; under gunicorn with 2 workers on loopback, the throughput of ``/api/v1/predict`` at least 60 % of
a trivial endpoint's (``/healthz``) in the same run.

In-process figures: ``rank`` is the ranker alone (every disease scored, one simulated patient per annotated
disease, 3 terms, 50 % imprecision, 1 noise term); ``full`` adds what the page adds in ``ml`` (evidence for the
top 10 and the five next questions) over a sample. The server figures include the HTTP stack, the vocabulary,
the bearer-token lookup and the prediction log insert (PostgreSQL database ``dxflow_bench_predict``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.evaluation import simulate_patients  # noqa: E402
from ml.knowledge import build_kb, load_kb, resolve_build_dir  # noqa: E402
from ml.models import KnowledgeModel  # noqa: E402
from ml.models.knowledge import explain_disease  # noqa: E402
from ml.predict import KnowledgeRanker, Query, annotation_table, candidate_findings, next_questions  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_DB = "dxflow_bench_predict"


def percentiles(seconds: list[float]) -> dict:
    """Return p50/p99/max in milliseconds."""
    ms = np.asarray(seconds) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2)}


def full_prediction(kb, model, ranker, query: Query) -> None:
    """Do what the service does in ml/: rank, evidence for the top 10, the next questions."""
    ranking = ranker.rank(query)
    top = ranking.top(query.top)
    table = ranking.extra["evidence_table"]
    [explain_disease(table, kb.disease_index[disease]) for disease, _ in top]
    pool = list(ranking.disease_ids)
    candidates = candidate_findings(kb, pool[:10], query.present + query.absent)
    next_questions(np.asarray(ranking.probabilities), candidates, lambda ids: model.term_likelihoods(ids, pool),
                   shortlist=annotation_table(kb, pool, candidates))


def in_process(kb, *, full_sample: int, seed: int) -> dict:
    """Return the in-process latency figures."""
    model = KnowledgeModel(kb).fit()
    ranker = KnowledgeRanker(model)
    patients = simulate_patients(kb, n_terms=3, imprecision=0.5, noise=1, excluded=0, random_state=seed)
    queries = [Query(present=tuple(kb.term_ids[t] for t in p.present), absent=tuple(kb.term_ids[t] for t in p.absent))
               for p in patients]
    for query in queries[:20]:
        ranker.rank(query)  # warm caches
    rank_times = []
    for query in queries:
        started = time.perf_counter()
        ranker.rank(query)
        rank_times.append(time.perf_counter() - started)
    full_times = []
    for query in queries[:full_sample]:
        started = time.perf_counter()
        full_prediction(kb, model, ranker, query)
        full_times.append(time.perf_counter() - started)
    return {"diseases": kb.n_diseases, "patients": len(queries), "rank": percentiles(rank_times),
            "full": percentiles(full_times), "queries": queries}


# ------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_server_env(kb_dir: Path, instance: Path) -> dict:
    """Create the bench database, migrate it, and return the environment of the app."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=f"{PG_SERVER}/{BENCH_DB}", KB_DIR=str(kb_dir),
               DXFLOW_INSTANCE_DIR=str(instance), REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
               FLASK_APP="wsgi:app")
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    return env


def make_token(env: dict) -> str:
    """Create a clinician and an API token in the bench database; return the token."""
    code = (
        "from app import create_app\nfrom app.extensions import db\nfrom app.models import User\n"
        "from app.auth.tokens import create_token\napp = create_app()\nwith app.app_context():\n"
        "    user = User(email='bench@example.org', role='clinician'); user.set_password('bench-password-123')\n"
        "    db.session.add(user); db.session.commit()\n    print(create_token(user, 'bench')[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def load(url_for, headers: dict, *, clients: int, seconds: float) -> dict:
    """Hit the server from ``clients`` threads for ``seconds``; return latency percentiles and throughput."""
    times: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def run(worker: int) -> None:
        i = worker
        while time.perf_counter() < stop:
            request = urllib.request.Request(url_for(i), headers=headers)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                (times.append(elapsed) if ok else errors.__setitem__(0, errors[0] + 1))
            i += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {**percentiles(times), "errors": errors[0], "requests_per_s": round(len(times) / wall, 1)}


def server(kb_dir: Path, queries: list[Query], *, clients: int, seconds: float) -> dict:
    """Return the gunicorn figures for /healthz and /api/v1/predict in the same run."""
    from urllib.parse import urlencode

    instance = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    env = prepare_server_env(kb_dir, instance)
    token = make_token(env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120",
         "wsgi:app"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        paths = [f"/api/v1/predict?{urlencode([('present', t) for t in q.present])}" for q in queries[:2000]]
        for path in paths[:40]:  # both workers fit the model and build the vocabulary before timing
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=60).read()
        health = load(lambda i: base + "/healthz", headers, clients=clients, seconds=seconds)
        predict = load(lambda i: base + paths[i % len(paths)], headers, clients=clients, seconds=seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return {"workers": 2, "clients": clients, "seconds": seconds, "healthz": health, "predict": predict,
            "throughput_ratio": round(predict["requests_per_s"] / max(health["requests_per_s"], 1e-9), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", type=Path)
    parser.add_argument("--full-sample", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    kb_dir = args.kb_dir or Path(tempfile.mkdtemp(prefix="bench-kb-"))
    try:
        kb = load_kb(resolve_build_dir(kb_dir))
    except FileNotFoundError:
        kb = load_kb(build_kb(out_dir=kb_dir))
    figures = in_process(kb, full_sample=args.full_sample, seed=args.seed)
    queries = figures.pop("queries")
    if not args.skip_server:
        figures["server"] = server(kb_dir, queries, clients=args.clients, seconds=args.seconds)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
