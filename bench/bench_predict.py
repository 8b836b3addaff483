"""Benchmark prediction: in-process latency over every disease (knowledge-only, champion), the API under gunicorn.

Run from the repository root: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_predict.py [--kb-dir DIR]
[--full-sample 1000] [--seconds 15] [--clients 4] [--train-patients 3000] [--skip-server] [--skip-in-process]
[--wrk] [--rounds 1] [--database dxflow_bench_predict]``. Goals (issue #12): in-process prediction over every
disease p50 <= 5 ms, p99 <= 50 ms, for the knowledge-only ranker and for the champion (a trained bundle fused with
the knowledge model); under gunicorn with 2 workers on loopback, the throughput of ``/api/v1/predict`` at least 60 %
of a trivial endpoint's (``/healthz``) in the same run.

In-process figures: ``rank`` is the ranker alone (every disease scored, one simulated patient per annotated
disease, 3 terms, 50 % imprecision, 1 noise term, a seeded age, sex and temperature); ``full`` adds what the page
adds in ``ml`` (evidence for the top 10 and the five next questions) over a sample. The champion is trained here
on ``--train-patients`` synthetic demo patients (``ml.synthetic``, as bench_training.py) with the fast logistic
configuration (``ml.models.train``, two draws, two folds); training is not timed. Each figure also gives the CPU
time per prediction (``time.process_time``), which a busy machine inflates less than the wall clock.

The server figures include the HTTP stack, the bearer-token lookup, the vocabulary, the prediction log insert
(PostgreSQL) and the JSON: first with no champion (knowledge-only), then with the trained bundle registered and
promoted in the bench database. Each phase loads ``/healthz`` before and after ``/api/v1/predict`` and divides by
the mean of the two (the machine's load drifts). ``--wrk`` repeats each phase with ``wrk`` (two threads, as many
connections as ``--clients``) when it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
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
from ml.models import FusedRanker, KnowledgeModel  # noqa: E402
from ml.models.knowledge import explain_disease  # noqa: E402
from ml.predict import BundleRanker, KnowledgeRanker, Query, annotation_table, candidate_findings, next_questions  # noqa: E402,E501

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


def make_queries(kb, seed: int) -> list[Query]:
    """Return one simulated patient per annotated disease, with a seeded age, sex and temperature."""
    patients = simulate_patients(kb, n_terms=3, imprecision=0.5, noise=1, excluded=0, random_state=seed)
    rng = random.Random(seed)
    return [Query(present=tuple(kb.term_ids[t] for t in p.present), absent=tuple(kb.term_ids[t] for t in p.absent),
                  age=rng.choice([None, rng.uniform(0, 90)]), sex=rng.choice([None, "female", "male"]),
                  temperature_c=rng.choice([None, round(rng.gauss(37.6, 1.0), 1)])) for p in patients]


def timed(function, queries: list[Query]) -> dict:
    """Return the latency percentiles of ``function`` over ``queries`` and its mean CPU time per call."""
    times = []
    cpu = time.process_time()
    for query in queries:
        started = time.perf_counter()
        function(query)
        times.append(time.perf_counter() - started)
    return {**percentiles(times), "cpu_mean_ms": round((time.process_time() - cpu) / len(queries) * 1000, 3)}


def in_process(kb, model, ranker, queries: list[Query], *, full_sample: int) -> dict:
    """Return the in-process latency figures of one ranker."""
    for query in queries[:20]:
        full_prediction(kb, model, ranker, query)  # warm caches
    return {"model_version": ranker.model_version, "rank": timed(ranker.rank, queries),
            "full": timed(lambda query: full_prediction(kb, model, ranker, query), queries[:full_sample])}


def train_champion(kb, *, patients: int, seed: int):
    """Return a bundle trained on synthetic demo patients with the fast logistic configuration."""
    from ml.dataset import dataset_from_records
    from ml.features import term_ancestors
    from ml.models import TrainingConfig, kb_metadata, kb_orphan_of, train
    from ml.synthetic import demo_case_records

    records = demo_case_records(kb, patients, seed=seed)
    config = TrainingConfig(min_support=5, candidates=("logistic_regression",), n_draws=2, n_folds=2)
    outcome = train(dataset_from_records(records), config=config, ancestors=term_ancestors(kb),
                    orphan_of=kb_orphan_of(kb), metadata=kb_metadata(kb))
    return outcome.bundle


# ------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_server_env(kb_dir: Path, instance: Path, database: str = BENCH_DB) -> dict:
    """Create the bench database, migrate it, and return the environment of the app."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=f"{PG_SERVER}/{database}", KB_DIR=str(kb_dir),
               PREDICTOR_CHECK_SECONDS="1",
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


PROMOTE = """
import sys, joblib
from app import create_app
from app.registry.service import promote, register
from ml.registry import sign_bundle
app = create_app()
with app.app_context():
    bundle = joblib.load(sys.argv[1])
    version = register(sign_bundle(bundle, app.config["MODEL_SIGNING_KEY"]), summary={"bench": True})
    promote(version, reason="bench")
    print(version.version)
"""


def promote_bundle(env: dict, bundle) -> int:
    """Register and promote ``bundle`` in the bench database (signed with the app's key); return its version."""
    import joblib

    with tempfile.NamedTemporaryFile(suffix=".joblib", delete=False) as handle:
        joblib.dump(bundle, handle.name)
    done = subprocess.run([sys.executable, "-c", PROMOTE, handle.name], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True)
    os.unlink(handle.name)
    return int(done.stdout.strip().splitlines()[-1])


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, token: str, *, clients: int, seconds: float, paths: list[str] | None = None) -> dict:
    """Return wrk's p50/p99 (ms) and requests/s for ``url`` (cycling through ``paths`` when given)."""
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    script = None
    if paths:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            items = ",".join(json.dumps(path) for path in paths)
            handle.write(f"paths = {{{items}}}\ncounter = 0\nrequest = function()\n  counter = counter + 1\n"
                         "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n")
            script = handle.name
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(script)
    figures = {}
    for name, label in (("p50_ms", "50%"), ("p99_ms", "99%")):
        found = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        figures[name] = round(float(found.group(1)) * _UNITS[found.group(2)], 2) if found else None
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {**figures, "requests_per_s": float(found.group(1)) if found else None,
            "errors": int(errors.group(1)) if errors else 0}


def phase(base: str, paths: list[str], token: str, *, clients: int, seconds: float, use_wrk: bool,
          rounds: int = 1) -> dict:
    """Load /healthz, /api/v1/predict, /healthz again, ``rounds`` times; return each round and the median ratio.

    A round's ratio is the predict throughput over the mean of the two healthz loads around it (the machine's
    speed drifts); on a shared 2-core machine single rounds of the same code vary by ±15 %.
    """
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for tool in ["python"] + (["wrk"] if use_wrk else []):
        measured = []
        for _ in range(rounds):
            if tool == "python":
                before = load(lambda i: base + "/healthz", headers, clients=clients, seconds=seconds)
                predict = load(lambda i: base + paths[i % len(paths)], headers, clients=clients, seconds=seconds)
                after = load(lambda i: base + "/healthz", headers, clients=clients, seconds=seconds)
            else:
                before = run_wrk(base + "/healthz", token, clients=clients, seconds=seconds)
                predict = run_wrk(base + "/", token, clients=clients, seconds=seconds, paths=paths)
                after = run_wrk(base + "/healthz", token, clients=clients, seconds=seconds)
            health = (before["requests_per_s"] + after["requests_per_s"]) / 2
            measured.append({"healthz_before": before, "predict": predict, "healthz_after": after,
                             "throughput_ratio": round(predict["requests_per_s"] / max(health, 1e-9), 3),
                             "load_average": os.getloadavg()})
        ratios = [item["throughput_ratio"] for item in measured]
        out[tool] = {"throughput_ratio": round(float(np.median(ratios)), 3), "min_ratio": min(ratios),
                     "max_ratio": max(ratios), "rounds": measured}
    return out


def api_parameters(query: Query) -> list[tuple[str, str]]:
    """Return a query as the API's parameters (the present findings as HPO ids, age, sex, temperature in °C)."""
    parameters = [("present", term) for term in query.present] + [("absent", term) for term in query.absent]
    if query.age is not None:
        parameters.append(("age", f"{query.age:.0f}"))
    if query.sex is not None:
        parameters.append(("sex", query.sex))
    if query.temperature_c is not None:
        parameters += [("temperature", f"{query.temperature_c:g}"), ("temperature_unit", "C")]
    return parameters


def server(kb_dir: Path, queries: list[Query], *, clients: int, seconds: float, database: str, bundle=None,
           use_wrk: bool = False, rounds: int = 1) -> dict:
    """Return the gunicorn figures for /healthz and /api/v1/predict, knowledge-only and then with the champion."""
    from urllib.parse import urlencode

    instance = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    env = prepare_server_env(kb_dir, instance, database)
    token = make_token(env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120",
         "wsgi:app"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    use_wrk = use_wrk and shutil.which("wrk") is not None

    def warm(expected_version: str) -> None:
        # Both workers fit the model, build the vocabulary (and load the champion) before timing.
        seen = 0
        for path in paths[:200]:
            request = urllib.request.Request(base + path, headers=headers)
            answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
            seen = seen + 1 if answer["model_version"] == expected_version else 0
            if seen >= 40:
                return
            time.sleep(0.02 if seen else 0.1)
        raise RuntimeError(f"the server does not serve {expected_version}")

    figures = {"workers": 2, "clients": clients, "seconds": seconds}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        paths = [f"/api/v1/predict?{urlencode(api_parameters(q))}" for q in queries[:2000]]
        warm("knowledge-only")
        figures["knowledge_only"] = phase(base, paths, token, clients=clients, seconds=seconds, use_wrk=use_wrk,
                                            rounds=rounds)
        if bundle is not None:
            version = promote_bundle(env, bundle)
            warm(f"v{version}")
            figures["champion"] = phase(base, paths, token, clients=clients, seconds=seconds, use_wrk=use_wrk,
                                            rounds=rounds)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", type=Path)
    parser.add_argument("--full-sample", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-patients", type=int, default=3000)
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true", help="only the gunicorn figures")
    parser.add_argument("--wrk", action="store_true", help="also load the server with wrk (when installed)")
    parser.add_argument("--rounds", type=int, default=1, help="healthz/predict/healthz rounds per phase (median)")
    parser.add_argument("--database", default=BENCH_DB, help="the PostgreSQL database the bench (re)creates")
    args = parser.parse_args()
    kb_dir = args.kb_dir or Path(tempfile.mkdtemp(prefix="bench-kb-"))
    try:
        kb = load_kb(resolve_build_dir(kb_dir))
    except FileNotFoundError:
        kb = load_kb(build_kb(out_dir=kb_dir))
    model = KnowledgeModel(kb).fit()
    queries = make_queries(kb, args.seed)
    bundle = train_champion(kb, patients=args.train_patients, seed=args.seed)
    champion = BundleRanker(FusedRanker(model, bundle).fit(), "champion")
    figures = {"diseases": kb.n_diseases, "patients": len(queries),
               "champion_labels": len(bundle.labels), "champion_features": int(bundle.encoder.n_features_)}
    if not args.skip_in_process:
        figures.update(
            knowledge_only=in_process(kb, model, KnowledgeRanker(model), queries, full_sample=args.full_sample),
            champion=in_process(kb, model, champion, queries, full_sample=args.full_sample),
            load_average=os.getloadavg())
    if not args.skip_server:
        figures["server"] = server(kb_dir, queries, clients=args.clients, seconds=args.seconds,
                                   database=args.database, bundle=bundle, use_wrk=args.wrk,
                                   rounds=args.rounds)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
