"""Benchmark the knowledge-informed model: accuracy on simulated patients against Resnik, latency, throughput.

Run from the repository root: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_knowledge_model.py [--kb-dir
instance/kb] [--seed 0] [--ablation-patients 2000] [--oracle] [--sensitivity]``. ``--oracle`` adds the simulator's
own likelihood (``ml.evaluation.oracle``), the ceiling any ranker can reach on these patients. Goals (issue #11):
over all annotated diseases, 3 terms, 50 % imprecision, 1 noise term: top-10 >= 90 % and top-1 >= Resnik's + 20
points; ranking every disease for one patient p50 <= 5 ms, p99 <= 50 ms; rank-cases >= 100 cases/s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from ml.evaluation import (
    ResnikBaseline,
    evaluate_simulated,
    fit_temperature,
    grouped_evaluation,
    knowledge_ranker,
    resnik_ranker,
    simulate_patients,
    top1_calibration,
)
from ml.evaluation.oracle import SimulationOracle, oracle_ranker
from ml.knowledge import build_kb, load_kb
from ml.models import KnowledgeModel
from ml.models.cohort import CohortCase, rank_cohort


def knowledge_base(kb_dir: Path | None):
    """Load the knowledge base at ``kb_dir``, or build a fresh one in a temporary folder."""
    if kb_dir is not None:
        return load_kb(kb_dir)
    return load_kb(build_kb(out_dir=Path(tempfile.mkdtemp(prefix="bench-kb-"))))


def accuracy(kb, *, seed: int, n_patients: int | None = None, oracle: bool = False) -> dict:
    """Return dxflow's and Resnik's figures on one simulated patient per annotated disease (or ``n_patients``).

    ``oracle=True`` adds the simulator's exact likelihood of each patient's terms (the attainable ceiling).
    """
    patients = simulate_patients(
        kb, n_patients=n_patients, n_terms=3, imprecision=0.5, noise=1, excluded=0, random_state=seed
    )
    model = KnowledgeModel(kb, prior="uniform").fit()
    rankers = {"dxflow": knowledge_ranker(model), "resnik": resnik_ranker(ResnikBaseline(kb))}
    if oracle:
        rankers["oracle"] = oracle_ranker(SimulationOracle(kb, n_terms=3, imprecision=0.5, noise=1))
    started = time.perf_counter()
    results = evaluate_simulated(patients, rankers)
    # Same patients, OMIM/ORPHA/DECIPHER entries of one disease (kb.disease_group) ranked as one entry.
    grouped = grouped_evaluation(patients, {n: rankers[n] for n in ("dxflow", "resnik")}, kb.disease_group)
    return {"seconds": round(time.perf_counter() - started, 1), **results, "grouped": grouped}


def ablation(kb, *, seed: int, n_patients: int) -> dict:
    """Return figures with 2 excluded terms per patient for each treatment of absent findings and list length."""
    patients = simulate_patients(
        kb, n_patients=n_patients, n_terms=3, imprecision=0.5, noise=1, excluded=2, random_state=seed
    )
    variants = {
        "absent ignored": {"absent_weight": 0.0},
        "absent from 1 - frequency": {"not_annotations": False},
        "absent from 1 - frequency and NOT annotations (kept)": {},
        "no reporting correction (length_penalty 0)": {"length_penalty": 0.0},
        "length_penalty 1": {"length_penalty": 1.0},
        "no finer codings (specific_share 0)": {"specific_share": 0.0},
        "one level of imprecision only (walk_on 0)": {"walk_on": 0.0},
        "noise_rate 0.1": {"noise_rate": 0.1},
    }
    rankers = {
        name: knowledge_ranker(KnowledgeModel(kb, prior="uniform", **params).fit()) for name, params in variants.items()
    }
    return evaluate_simulated(patients, rankers)


def calibration(kb, *, seed: int, n_patients: int) -> dict:
    """Return the top-1 calibration untempered and with a temperature fitted on other simulated patients."""
    model = KnowledgeModel(kb, prior="uniform", temperature=1.0).fit()
    fitting = simulate_patients(kb, n_patients=n_patients, random_state=seed + 3)
    temperature = fit_temperature(model, fitting)
    held_out = simulate_patients(kb, n_patients=n_patients, random_state=seed + 1)
    return {
        "temperature": temperature,
        "before": top1_calibration(model, held_out),
        "after": top1_calibration(model.set_params(temperature=temperature), held_out),
    }


def latency(kb, *, seed: int, n_patients: int = 1000) -> dict:
    """Return p50/p99 milliseconds of ``KnowledgeModel.rank`` over every disease, and cohort cases per second."""
    model = KnowledgeModel(kb).fit()
    patients = simulate_patients(kb, n_patients=n_patients, excluded=1, random_state=seed + 2)
    queries = [([kb.term_ids[t] for t in p.present], [kb.term_ids[t] for t in p.absent]) for p in patients]
    for present, absent in queries[:20]:
        model.rank(present, absent)
    timings = []
    for present, absent in queries:
        started = time.perf_counter()
        model.rank(present, absent, top=10)
        timings.append(time.perf_counter() - started)
    cases = [CohortCase(f"c{n}", tuple(present), tuple(absent)) for n, (present, absent) in enumerate(queries)]
    started = time.perf_counter()
    rank_cohort(model, cases, top=10)
    per_second = len(cases) / (time.perf_counter() - started)
    milliseconds = np.array(timings) * 1e3
    return {
        "queries": len(timings),
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p99_ms": float(np.percentile(milliseconds, 99)),
        "max_ms": float(milliseconds.max()),
        "rank_cases_per_second": float(per_second),
    }


# Simulation settings the defaults were not chosen on: (terms, imprecision, noise terms, excluded terms).
SENSITIVITY_SETTINGS = [(3, 0.5, 1, 0), (3, 0.0, 0, 0), (3, 0.2, 0, 0), (3, 0.8, 1, 0), (3, 0.5, 2, 0),
                        (5, 0.5, 1, 0), (5, 0.3, 1, 2), (2, 0.5, 0, 0), (8, 0.5, 2, 0)]


def sensitivity(kb, *, seed: int = 11, n_patients: int = 1000) -> dict:
    """Return top-1/3/10 and MRR under other simulation settings than the goal's (3 terms, 50 %, 1 noise term).

    The model's reporting parameters sit near the goal's scenario; these figures show whether what it gained
    there holds when patients report more or fewer, vaguer or noisier findings.
    """
    model = KnowledgeModel(kb, prior="uniform").fit()
    figures = {}
    for terms, imprecision, noise, excluded in SENSITIVITY_SETTINGS:
        patients = simulate_patients(kb, n_patients=n_patients, n_terms=terms, imprecision=imprecision, noise=noise,
                                     excluded=excluded, random_state=seed)
        result = evaluate_simulated(patients, {"dxflow": knowledge_ranker(model)})["dxflow"]
        key = f"terms={terms} imprecision={imprecision} noise={noise} excluded={excluded}"
        figures[key] = {name: round(result[name], 3) for name in ("top1", "top3", "top10", "mrr")}
    return figures


def main() -> None:
    """Print every figure as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ablation-patients", type=int, default=2000)
    parser.add_argument("--no-ablation", action="store_true", help="Skip the absent-findings ablation.")
    parser.add_argument("--patients", type=int, default=None, help="Accuracy on the first N simulated patients.")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--oracle", action="store_true", help="Also rank by the simulator's exact likelihood.")
    parser.add_argument("--sensitivity", action="store_true",
                        help="Only the figures under other simulation settings (1,000 patients each, seed 11).")
    args = parser.parse_args()
    kb = knowledge_base(args.kb_dir)
    if args.sensitivity:
        print(json.dumps(sensitivity(kb), indent=2))
        return
    figures = {} if args.no_latency else {"latency": latency(kb, seed=args.seed)}
    print(json.dumps(figures, indent=2), flush=True)
    figures["accuracy"] = accuracy(kb, seed=args.seed, n_patients=args.patients, oracle=args.oracle)
    print(json.dumps(figures["accuracy"], indent=2), flush=True)
    figures["calibration"] = calibration(kb, seed=args.seed, n_patients=args.ablation_patients)
    print(json.dumps(figures["calibration"], indent=2), flush=True)
    if not args.no_ablation:
        figures["ablation"] = ablation(kb, seed=args.seed, n_patients=args.ablation_patients)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
