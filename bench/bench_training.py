"""Benchmark training: seconds and peak RSS to train on ~20,000 demo-like cases, and on 4× as many.

Run from the repository root: ``.venv/bin/python bench/bench_training.py [--patients 20000] [--scale 4]
[--kb-dir DIR]``. Cases are drawn from the knowledge base by ``ml.synthetic`` (the same patients the demo sources are
written from, one case per patient, its home source), in memory. Each training runs in a fresh process; the
figure covers encoding, the search (every unit inline, one after the other, as one worker would run them), the
final refit, calibration, thresholds and the test evaluation — not building the cases or loading the KB. Each
line reports wall seconds and the process's CPU seconds (user + system, by phase); the last line the 4×/1× ratios.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ("logistic_regression", "decision_tree", "random_forest", "hist_gradient_boosting")

TRAIN_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from ml.dataset import dataset_from_records
from ml.features import term_ancestors
from ml.synthetic import demo_case_records
from ml.knowledge import load_kb
from ml.models import TrainingConfig, fit_final, kb_metadata, kb_orphan_of, plan_search, run_search

def cpu():  # CPU seconds (user + system) of this process: unlike wall time, barely moved by others' load.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

kb_dir, patients, seed, config = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
kb = load_kb(kb_dir)
records = demo_case_records(kb, patients, seed=seed)
dataset = dataset_from_records(records)
ancestors = term_ancestors(kb)
config = TrainingConfig(**{**config, "candidates": tuple(config["candidates"])})
# What ml.models.train does, one phase at a time, so each phase's CPU time is printed.
started, cpu_started = time.perf_counter(), cpu()
plan = plan_search(dataset, config=config)
cpu_planned = cpu()
results = run_search(plan, dataset, ancestors=ancestors)
cpu_searched = cpu()
orphan_of = kb_orphan_of(kb)
outcome = fit_final(plan, dataset, results, ancestors=ancestors, orphan=[orphan_of(label) for label in plan.labels],
                    metadata=kb_metadata(kb))
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
m = outcome.test_metrics
print(json.dumps({
    "seconds": seconds, "cpu_seconds": cpu_seconds,
    "cpu_phases": {"plan": cpu_planned - cpu_started, "search": cpu_searched - cpu_planned,
                   "refit_calibrate_evaluate": cpu() - cpu_searched},
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cases": dataset.n_cases, "labels": len(outcome.bundle.labels),
    "below_support": len(outcome.bundle.metadata["below_support"]),
    "features": int(outcome.bundle.encoder.n_features_), "best": outcome.best,
    "draws": len(outcome.leaderboard), "max_negatives": config.max_negatives,
    "labels_sampled": int(getattr(outcome.bundle.model.classifier_, "n_sampled_", 0)),
    "train_rows": len(plan.train_ids), "test": {k: m[k] for k in ("macro_f1", "micro_f1", "top_1", "top_3",
    "top_10", "mrr", "ece", "orphan_recall_at_10")},
}))
"""

BUILD_SCRIPT = """
import sys
from pathlib import Path
from ml.knowledge import build_kb
build_kb(out_dir=Path(sys.argv[1]), common_csv=Path("data/common_diseases.csv"))
"""


def run_script(script: str, *args: str) -> str:
    """Run a Python snippet in a fresh interpreter from the repository root and return its last output line."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    return completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""


def main() -> None:
    """Parse the arguments, train at 1× and ``scale``× in fresh processes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kb-dir", type=Path, default=None, help="a built knowledge base (default: build one)")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--n-draws", type=int, default=2)
    parser.add_argument("--n-folds", type=int, default=2)
    parser.add_argument("--max-negatives", type=int, default=None,
                        help="TrainingConfig.max_negatives (default: its default; 0: every negative row)")
    args = parser.parse_args()
    config = {"candidates": args.candidates.split(","), "n_draws": args.n_draws, "n_folds": args.n_folds}
    if args.max_negatives is not None:
        config["max_negatives"] = args.max_negatives or None
    with tempfile.TemporaryDirectory() as scratch:
        kb_dir = args.kb_dir
        if kb_dir is None:
            kb_dir = Path(scratch) / "kb"
            run_script(BUILD_SCRIPT, str(kb_dir))
        figures = {}
        for factor in sorted({1, args.scale}):
            patients = str(args.patients * factor)
            line = run_script(TRAIN_SCRIPT, str(kb_dir), patients, str(args.seed), json.dumps(config))
            figures[f"{factor}x"] = json.loads(line)
            print(json.dumps({f"{factor}x": figures[f"{factor}x"]}), flush=True)
        big, small = figures[f"{args.scale}x"], figures["1x"]  # the same run with --scale 1
        # Wall time counts other processes' turns on a shared machine; CPU time is the cost of the work itself.
        # Per case x label: 4x the patients also brings more labels (more diseases reach the minimum support).
        per_unit = [f["cpu_seconds"] / (f["cases"] * f["labels"]) for f in (small, big)]
        print(json.dumps({"config": config, "time_ratio": round(big["seconds"] / small["seconds"], 2),
                          "cpu_ratio": round(big["cpu_seconds"] / small["cpu_seconds"], 2),
                          "cpu_ratio_per_case_label": round(per_unit[1] / per_unit[0], 2)}))


if __name__ == "__main__":
    main()
