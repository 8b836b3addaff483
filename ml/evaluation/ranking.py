"""Rank metrics that treat ties honestly: tied scores are ordered at random, so a tie is never a win."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from scipy.special import digamma


def _position_range(scores: np.ndarray, true_index: int) -> tuple[int, int]:
    """Return how many scores beat the true one, and how many others tie with it."""
    true_score = scores[true_index]
    better = int(np.count_nonzero(scores > true_score))
    tied = int(np.count_nonzero(scores == true_score)) - 1
    return better, tied


def expected_topk(scores: np.ndarray, true_index: int, k: int) -> float:
    """Return the probability the true item is in the top ``k`` when tied scores are ordered at random."""
    better, tied = _position_range(np.asarray(scores), true_index)
    return float(np.clip((k - better) / (tied + 1), 0.0, 1.0))


def expected_reciprocal_rank(scores: np.ndarray, true_index: int) -> float:
    """Return the mean of 1/rank over the random orders of the true item's tie group."""
    better, tied = _position_range(np.asarray(scores), true_index)
    # mean of 1/r for r in better+1 .. better+tied+1 is (H(better+tied+1) - H(better)) / (tied+1)
    harmonic = digamma(better + tied + 2) - digamma(better + 1)
    return float(harmonic / (tied + 1))


def tie_group_size(scores: np.ndarray, true_index: int) -> int:
    """Return how many items share the true item's score, itself included."""
    return _position_range(np.asarray(scores), true_index)[1] + 1


def largest_tie_in_top(scores: np.ndarray, k: int = 10) -> int:
    """Return the size of the largest group of equal scores that reaches into the top ``k``."""
    scores = np.asarray(scores)
    top_values = np.unique(np.sort(scores)[::-1][:k])
    return max(int(np.count_nonzero(scores == value)) for value in top_values) if len(top_values) else 0


def rank_summary(score_rows: Iterable[np.ndarray], true_indices: Iterable[int], ks=(1, 3, 10)) -> dict:
    """Return expected top-k, mean reciprocal rank and tie-group sizes over patients."""
    topk: dict[int, list[float]] = {k: [] for k in ks}
    reciprocal, true_ties, top_ties = [], [], []
    for scores, true_index in zip(score_rows, true_indices, strict=True):
        for k in ks:
            topk[k].append(expected_topk(scores, true_index, k))
        reciprocal.append(expected_reciprocal_rank(scores, true_index))
        true_ties.append(tie_group_size(scores, true_index))
        top_ties.append(largest_tie_in_top(scores, 10))
    if not reciprocal:
        raise ValueError("no patients to summarise")
    return {
        "patients": len(reciprocal),
        **{f"top{k}": float(np.mean(values)) for k, values in topk.items()},
        "mrr": float(np.mean(reciprocal)),
        "ties": _tie_stats(np.asarray(true_ties), np.asarray(top_ties)),
    }


def _tie_stats(true_ties: np.ndarray, top_ties: np.ndarray) -> Mapping[str, float]:
    """Summarise tie-group sizes at the true disease and in the top 10."""
    return {
        "true_tied_share": float(np.mean(true_ties > 1)),
        "true_tie_mean": float(np.mean(true_ties)),
        "true_tie_max": int(true_ties.max()),
        "top10_tied_share": float(np.mean(top_ties > 1)),
        "top10_tie_max": int(top_ties.max()),
    }


def _group_order(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the item order that sorts by group and the start of each group in it."""
    order = np.argsort(groups, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0])
    return order, starts


def group_max(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Return each group's best score, indexed by group number (groups numbered 0..n_groups-1)."""
    order, starts = _group_order(np.asarray(groups))
    return np.maximum.reduceat(np.asarray(scores)[order], starts)


def group_logsumexp(log_scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Return log sum exp of each group's scores: for log probabilities, the log probability of the group."""
    order, starts = _group_order(np.asarray(groups))
    peak = float(np.max(log_scores))
    return np.log(np.add.reduceat(np.exp(np.asarray(log_scores)[order] - peak), starts)) + peak
