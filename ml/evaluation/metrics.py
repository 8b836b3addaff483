"""One structured, JSON-serialisable evaluation of multi-label disease probabilities, and the champion rule.

Conventions:

* a label is predicted when its probability is ≥ its threshold;
* ranking metrics (top-k, MRR) use the cases with at least one true label among the model's labels; a case is
  a hit at k when one of its true labels is among the k highest probabilities. **Ties are never wins**: a tie
  group straddling rank k counts with the probability that a random order of the group puts a true label
  inside (the expectation), and MRR uses the expected rank of the first true label in its tie group;
* ROC AUC and PR AUC (average precision) are macro means over the labels with both classes present;
* ECE: 10 equal-width bins over every (case, label) probability, weighted by bin size;
* slices by label (orphan / common, training support 1–5, 6–50, > 50) report macro precision/recall/F1 over the
  slice's labels and recall@10 over the cases carrying one of them (a hit = one of those labels in the top 10);
  slices by case (sex, age group) report micro F1 and top-k over the slice's cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

SUPPORT_BANDS = (("support_1_5", 1, 5), ("support_6_50", 6, 50), ("support_gt_50", 51, None))
TOP_K = (1, 3, 10)


def _float(value) -> float | None:
    """Return a JSON-safe float (None for NaN)."""
    value = float(value)
    return None if np.isnan(value) else value


def _hit_and_rank(p: np.ndarray, truth: np.ndarray, ks: Sequence[int]) -> tuple[list[float], float]:
    """Return the expected hit at each k and the expected reciprocal rank for one case."""
    best = p[truth].max()
    greater = int(np.sum(p > best))
    tied = int(np.sum(p == best))
    true_tied = int(np.sum(p[truth] == best))
    hits = []
    for k in ks:
        slots = k - greater
        if slots <= 0:
            hits.append(0.0)
        elif slots >= tied:
            hits.append(1.0)
        else:
            hits.append(1.0 - comb(tied - true_tied, slots) / comb(tied, slots))
    return hits, 1.0 / (greater + (tied + 1) / (true_tied + 1))


def ranking_metrics(Y: np.ndarray, P: np.ndarray, *, ks: Sequence[int] = TOP_K) -> dict:
    """Return ``top_k`` hit rates and ``mrr`` over the cases with at least one true label."""
    rows = np.flatnonzero(np.asarray(Y).sum(axis=1) > 0)
    if len(rows) == 0:
        return {**{f"top_{k}": None for k in ks}, "mrr": None, "n_ranked": 0}
    hits, ranks = [], []
    for row in rows:
        hit, rank = _hit_and_rank(P[row], np.asarray(Y[row], dtype=bool), ks)
        hits.append(hit)
        ranks.append(rank)
    means = np.mean(hits, axis=0)
    return {**{f"top_{k}": float(m) for k, m in zip(ks, means, strict=True)}, "mrr": float(np.mean(ranks)),
            "n_ranked": int(len(rows))}


def expected_calibration_error(Y: np.ndarray, P: np.ndarray, *, n_bins: int = 10) -> float:
    """Return the ECE over every (case, label) pair with ``n_bins`` equal-width bins."""
    p, y = np.asarray(P, dtype=np.float64).ravel(), np.asarray(Y, dtype=np.float64).ravel()
    if len(p) == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() / len(p) * abs(y[inside].mean() - p[inside].mean())
    return float(total)


def _per_label(Y, P, Y_pred, labels, thresholds, orphan, train_support) -> list[dict]:
    """Return one row per label: supports, P/R/F1, AUCs, threshold and orphan flag."""
    precision, recall, f1, support = precision_recall_fscore_support(Y, Y_pred, average=None, zero_division=0)
    table = []
    for j, label in enumerate(labels):
        both = 0 < Y[:, j].sum() < len(Y)
        table.append({
            "label": str(label),
            "orphan": bool(orphan[j]),
            "support_train": None if train_support is None else int(train_support[j]),
            "support_test": int(support[j]),
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "roc_auc": _float(roc_auc_score(Y[:, j], P[:, j])) if both else None,
            "pr_auc": _float(average_precision_score(Y[:, j], P[:, j])) if both else None,
            "threshold": float(thresholds[j]),
        })
    return table


def _label_slice(Y, P, Y_pred, columns: np.ndarray) -> dict:
    """Return macro P/R/F1 over ``columns`` and recall@10 over the cases carrying one of them."""
    if len(columns) == 0:
        return {"n_labels": 0, "n_cases": 0, "macro_precision": None, "macro_recall": None, "macro_f1": None,
                "recall_at_10": None}
    precision, recall, f1, _ = precision_recall_fscore_support(
        Y[:, columns], Y_pred[:, columns], average="macro", zero_division=0
    )
    carrying = np.flatnonzero(Y[:, columns].sum(axis=1) > 0)
    hits = []
    for row in carrying:
        truth = np.zeros(Y.shape[1], dtype=bool)
        truth[columns[Y[row, columns] > 0]] = True
        hits.append(_hit_and_rank(P[row], truth, (10,))[0][0])
    return {"n_labels": int(len(columns)), "n_cases": int(len(carrying)), "macro_precision": float(precision),
            "macro_recall": float(recall), "macro_f1": float(f1),
            "recall_at_10": float(np.mean(hits)) if hits else None}


def _case_slice(Y, P, Y_pred, rows: np.ndarray) -> dict:
    """Return micro F1 and top-k over ``rows``."""
    _, _, f1, _ = precision_recall_fscore_support(Y[rows], Y_pred[rows], average="micro", zero_division=0)
    return {"n_cases": int(len(rows)), "micro_f1": float(f1), **ranking_metrics(Y[rows], P[rows])}


def _slices(Y, P, Y_pred, orphan, train_support, cases) -> dict:
    """Return the label slices (orphan, common, support bands) and case slices (sex, age group)."""
    slices = {
        "orphan": _label_slice(Y, P, Y_pred, np.flatnonzero(orphan)),
        "common": _label_slice(Y, P, Y_pred, np.flatnonzero(~orphan)),
    }
    if train_support is not None:
        for name, low, high in SUPPORT_BANDS:
            inside = (train_support >= low) & (train_support <= (high if high is not None else np.inf))
            slices[name] = _label_slice(Y, P, Y_pred, np.flatnonzero(inside))
    if cases is not None:
        for column in ("sex", "age_group"):
            values = cases[column].astype(object).where(cases[column].notna(), "unknown").to_numpy()
            for value in sorted(set(values), key=str):
                slices[f"{column}:{value}"] = _case_slice(Y, P, Y_pred, np.flatnonzero(values == value))
    return slices


def evaluate(
    Y: np.ndarray,
    P: np.ndarray,
    *,
    labels: Sequence[str],
    thresholds: np.ndarray | Sequence[float] | None = None,
    orphan: Sequence[bool] | None = None,
    train_support: Sequence[int] | None = None,
    cases: pd.DataFrame | None = None,
) -> dict:
    """Return the full evaluation of probabilities ``P`` against the 0/1 matrix ``Y`` as one JSON-ready dict.

    ``orphan`` flags each label (default: not ``ICD10:``), ``train_support`` gives each label's training cases
    (for the support slices), ``cases`` holds ``sex`` and ``age_group`` per row (for the case slices).
    """
    Y, P = np.asarray(Y, dtype=np.int64), np.asarray(P, dtype=np.float64)
    if Y.shape != P.shape or Y.shape[1] != len(labels):
        raise ValueError(f"Y {Y.shape}, P {P.shape} and {len(labels)} labels do not match")
    thresholds = np.full(Y.shape[1], 0.5) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    orphan = np.asarray([not str(label).startswith("ICD10:") for label in labels] if orphan is None else orphan,
                        dtype=bool)
    train_support = None if train_support is None else np.asarray(train_support, dtype=np.int64)
    Y_pred = (thresholds <= P).astype(np.int64)
    result = {"n_cases": int(len(Y)), "n_labels": int(Y.shape[1])}
    result["subset_accuracy"] = float(np.mean(np.all(Y_pred == Y, axis=1))) if len(Y) else None
    result["hamming_loss"] = float(np.mean(Y_pred != Y)) if len(Y) else None
    for average in ("micro", "macro", "weighted"):
        precision, recall, f1, _ = precision_recall_fscore_support(Y, Y_pred, average=average, zero_division=0)
        result |= {f"{average}_precision": float(precision), f"{average}_recall": float(recall),
                   f"{average}_f1": float(f1)}
    per_label = _per_label(Y, P, Y_pred, labels, thresholds, orphan, train_support)
    scored = [row for row in per_label if row["roc_auc"] is not None]
    result["n_labels_auc"] = len(scored)
    result["roc_auc_macro"] = float(np.mean([row["roc_auc"] for row in scored])) if scored else None
    result["pr_auc_macro"] = float(np.mean([row["pr_auc"] for row in scored])) if scored else None
    result |= ranking_metrics(Y, P)
    result["ece"] = _float(expected_calibration_error(Y, P))
    result["brier"] = float(np.mean((P - Y) ** 2)) if Y.size else None
    result["slices"] = _slices(Y, P, Y_pred, orphan, train_support, cases)
    result["orphan_recall_at_10"] = result["slices"]["orphan"]["recall_at_10"]
    result["per_label"] = per_label
    return result


#: The champion rule's defaults (see :func:`champion_wins`).
CHAMPION_RULE = {"min_macro_f1_gain": 0.0, "orphan_recall_at_10_floor": 0.5, "max_orphan_recall_drop": 0.02}


def champion_wins(
    challenger: Mapping, champion: Mapping | None, *, rule: Mapping[str, float] = CHAMPION_RULE
) -> tuple[bool, str]:
    """Return (promote?, reason) for a challenger against the champion, both scored on the same holdout.

    The rule: the challenger must (1) keep orphan recall@10 at or above ``orphan_recall_at_10_floor``, (2) not lose
    more than ``max_orphan_recall_drop`` of the champion's orphan recall@10, and (3) beat the champion's macro-F1
    by more than ``min_macro_f1_gain``. An orphan slice with no cases makes (1) and (2) not applicable. Without a
    champion, (1) alone decides.
    """
    orphan = challenger.get("orphan_recall_at_10")
    if orphan is not None and orphan < rule["orphan_recall_at_10_floor"]:
        return False, (f"orphan recall@10 {orphan:.3f} is under the floor "
                       f"{rule['orphan_recall_at_10_floor']:.3f}")
    if champion is None:
        return True, "no champion yet; the orphan floor holds"
    held = champion.get("orphan_recall_at_10")
    if orphan is not None and held is not None and orphan < held - rule["max_orphan_recall_drop"]:
        return False, f"orphan recall@10 falls from {held:.3f} to {orphan:.3f}"
    gain = challenger["macro_f1"] - champion["macro_f1"]
    if gain <= rule["min_macro_f1_gain"]:
        return False, (f"macro-F1 {challenger['macro_f1']:.3f} does not beat the champion's "
                       f"{champion['macro_f1']:.3f} by more than {rule['min_macro_f1_gain']:.3f}")
    return True, f"macro-F1 rises by {gain:.3f} and the orphan slice holds"
