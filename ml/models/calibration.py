"""Per-label probability calibration (Platt scaling, kept only where it lowers the Brier score) and thresholds."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    """Return the log-odds of probabilities clipped away from 0 and 1."""
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _platt(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Return (slope, intercept) of a logistic fit of ``y`` on logit(``p``)."""
    model = LogisticRegression(C=1e4).fit(_logit(p)[:, None], y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _apply(p: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """Return Platt-scaled probabilities."""
    return 1 / (1 + np.exp(-(slope * _logit(p) + intercept)))


def _halves(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a 0/1 half per row with positives and negatives each shared out alternately."""
    half = np.zeros(len(y), dtype=np.int8)
    for value in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == value))
        half[rows[1::2]] = 1
    return half


def fit_calibration(P: np.ndarray, Y: np.ndarray, *, random_state: int = 0) -> dict:
    """Return per-label Platt parameters, kept only where cross-fitted calibration lowers the Brier score.

    The decision is honest: the Brier score of the calibrated probabilities is measured with two-fold cross-fitting
    on ``(P, Y)`` (fit on one half, score the other); a kept label is then refitted on all rows. Labels with fewer
    than two positives or two negatives are left uncalibrated. JSON-serialisable.
    """
    rng = np.random.default_rng(random_state)
    n_labels = P.shape[1]
    slope, intercept = np.ones(n_labels), np.zeros(n_labels)
    kept = np.zeros(n_labels, dtype=bool)
    brier_raw, brier_calibrated = np.full(n_labels, np.nan), np.full(n_labels, np.nan)
    for label in range(n_labels):
        p, y = P[:, label], np.asarray(Y[:, label], dtype=np.int64)
        brier_raw[label] = np.mean((p - y) ** 2)
        if y.sum() < 4 or (1 - y).sum() < 4:
            continue
        half = _halves(y, rng)
        crossed = np.empty_like(p)
        for side in (0, 1):
            a, b = _platt(p[half != side], y[half != side])
            crossed[half == side] = _apply(p[half == side], a, b)
        brier_calibrated[label] = np.mean((crossed - y) ** 2)
        if brier_calibrated[label] < brier_raw[label]:
            kept[label] = True
            slope[label], intercept[label] = _platt(p, y)
    return {
        "method": "platt",
        "kept": kept.tolist(),
        "slope": slope.tolist(),
        "intercept": intercept.tolist(),
        "brier_raw": [None if np.isnan(v) else float(v) for v in brier_raw],
        "brier_calibrated": [None if np.isnan(v) else float(v) for v in brier_calibrated],
    }


def apply_calibration(P: np.ndarray, calibration: dict | None) -> np.ndarray:
    """Return ``P`` with each kept label's Platt scaling applied (a copy; ``P`` is unchanged)."""
    out = np.array(P, dtype=np.float64, copy=True)
    if not calibration:
        return out
    kept = np.flatnonzero(calibration["kept"])
    if len(kept):  # every kept label at once (the same elementwise arithmetic as one label at a time)
        slope = np.asarray(calibration["slope"], dtype=np.float64)[kept]
        intercept = np.asarray(calibration["intercept"], dtype=np.float64)[kept]
        out[:, kept] = _apply(out[:, kept], slope, intercept)
    return out


def tune_thresholds(P: np.ndarray, Y: np.ndarray, *, default: float = 0.5) -> np.ndarray:
    """Return per-label thresholds maximising F1 on ``(P, Y)``; ``default`` for labels with no positive row."""
    thresholds = np.full(P.shape[1], default)
    for label in range(P.shape[1]):
        y = np.asarray(Y[:, label], dtype=bool)
        if not y.any():
            continue
        order = np.argsort(-P[:, label], kind="stable")
        scores, hits = P[order, label], np.cumsum(y[order])
        f1 = 2 * hits / (np.arange(1, len(y) + 1) + y.sum())
        # A threshold between distinct scores only: a cut inside a tie would not be reproducible.
        last_of_tie = np.r_[scores[1:] != scores[:-1], True]
        best = np.flatnonzero(last_of_tie)[np.argmax(f1[last_of_tie])]
        thresholds[label] = float(scores[best])
    return thresholds
