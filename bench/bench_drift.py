"""Benchmark the drift check: one window of 100,000 predictions against a fitted reference (goal: <= 2 s).

Run from the repository root: ``.venv/bin/python bench/bench_drift.py --kb-dir instance/kb [--cases 20000]``.
The reference is a synthetic snapshot of demo-like cases drawn from the knowledge base; the window resamples
it with the ``covariate`` scenario's shift, so every statistic runs on realistic values. Both reference sizes
are timed: above 1,000 rows (Wasserstein, Jensen–Shannon) and at 1,000 (Kolmogorov–Smirnov, chi-square, Z).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.knowledge import load_kb  # noqa: E402
from ml.monitoring import (  # noqa: E402
    DriftReference,
    frequent_terms,
    prediction_frame,
    reference_frame,
    simulate_traffic,
    synthetic_snapshot,
)


def timed(function, repeats: int) -> tuple[list[float], object]:
    """Return the wall-clock seconds of each call and the last result."""
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> None:
    """Build the reference and the window, then time fit and check."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb-dir", type=Path, default=Path("instance/kb"))
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    kb = load_kb(args.kb_dir)
    started = time.perf_counter()
    snapshot = synthetic_snapshot(kb, n_cases=args.cases, random_state=0)
    terms = frequent_terms(snapshot)
    reference = reference_frame(snapshot, terms=terms)
    (window_traffic,) = simulate_traffic(
        snapshot, kb=kb, scenario="covariate", windows=1, window_size=args.window, onset=0, random_state=1
    )
    records = [query.as_record(query.diagnoses[0] if query.diagnoses else None) for query in window_traffic.queries]
    window = prediction_frame(records, terms=terms)
    print(f"setup: {args.cases:,} reference cases, {len(window):,}-row window, {window.shape[1]} columns "
          f"({len(terms)} terms) in {time.perf_counter() - started:.1f} s")
    for label, frame in (("reference 20,000 rows", reference), ("reference 1,000 rows", reference.iloc[:1_000])):
        fit_seconds, drift = timed(lambda frame=frame: DriftReference().fit(frame), args.repeats)
        check_seconds, result = timed(lambda drift=drift: drift.check(window), args.repeats)
        stats_used = sorted({feature.stat for feature in drift.features_.values()})
        print(f"{label}: fit median {statistics.median(fit_seconds):.3f} s; check of {len(window):,} rows "
              f"median {statistics.median(check_seconds):.3f} s (max {max(check_seconds):.3f} s) over "
              f"{len(drift.features_)} features [{', '.join(stats_used)}]; "
              f"{len(result.drifted_features)} drifted, dataset drift {result.dataset_drift}")
    prediction_seconds, _ = timed(lambda: prediction_frame(records, terms=terms), 1)
    print(f"prediction_frame of {len(records):,} records: {prediction_seconds[0]:.2f} s")


if __name__ == "__main__":
    main()
