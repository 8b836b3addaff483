"""What the run page charts beside the metrics: a reliability (calibration) curve and the top confusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


def calibration_curve(Y: np.ndarray, P: np.ndarray, *, n_bins: int = 10) -> list[dict]:
    """Return per equal-width bin of every (case, label) probability: mean predicted, observed rate, count."""
    y, p = np.asarray(Y, dtype=float).ravel(), np.asarray(P, dtype=float).ravel()
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            rows.append({"bin": b, "predicted": float(p[inside].mean()), "observed": float(y[inside].mean()),
                         "count": int(inside.sum())})
    return rows


def top_confusions(Y: np.ndarray, P: np.ndarray, labels: Sequence[str], *, top: int = 10) -> list[dict]:
    """Return the most frequent (true label, top-1 prediction) pairs among cases whose top-1 is wrong."""
    Y, P = np.asarray(Y), np.asarray(P)
    counts: Counter = Counter()
    for row in range(len(Y)):
        truth = np.flatnonzero(Y[row])
        if len(truth) == 0:
            continue
        predicted = int(np.argmax(P[row]))
        if predicted not in truth:
            counts[(str(labels[truth[0]]), str(labels[predicted]))] += 1
    return [{"true": true, "predicted": predicted, "count": count}
            for (true, predicted), count in counts.most_common(top)]
