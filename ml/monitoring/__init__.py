"""Monitoring's pure core: input drift, live performance, trigger decisions and simulated traffic.

A monitoring job fits a :class:`DriftReference` once on the champion's training snapshot
(:func:`reference_frame`), then per window builds a :func:`prediction_frame` from the logged predictions,
calls :meth:`DriftReference.check`, :func:`window_performance` on the confirmed outcomes and
:func:`unmapped_rate`, and passes the drift history and the performance to :func:`evaluate_triggers`.
"""

from ml.monitoring.decisions import (
    CRITICAL,
    DEFAULT_COOLDOWN,
    INFO,
    WARNING,
    Alert,
    ChampionScores,
    Decision,
    Thresholds,
    evaluate_triggers,
    retraining_hold,
)
from ml.monitoring.drift import (
    DEFAULT_THRESHOLDS,
    DriftReference,
    DriftResult,
    FeatureDrift,
    FeatureReference,
    persistent_dataset_drift,
    persistent_features,
    unmapped_rate,
)
from ml.monitoring.frames import FRAME_COLUMNS, frequent_terms, prediction_frame, reference_frame
from ml.monitoring.intervals import Estimate, bootstrap_interval, wilson_interval
from ml.monitoring.performance import Outcome, PerformanceResult, SliceMetrics, window_performance
from ml.monitoring.simulate import (
    SCENARIOS,
    SimulatedQuery,
    SimulatedWindow,
    simulate_traffic,
    synthetic_snapshot,
)

__all__ = [
    "CRITICAL",
    "DEFAULT_COOLDOWN",
    "DEFAULT_THRESHOLDS",
    "FRAME_COLUMNS",
    "INFO",
    "SCENARIOS",
    "WARNING",
    "Alert",
    "ChampionScores",
    "Decision",
    "DriftReference",
    "DriftResult",
    "Estimate",
    "FeatureDrift",
    "FeatureReference",
    "Outcome",
    "PerformanceResult",
    "SimulatedQuery",
    "SimulatedWindow",
    "SliceMetrics",
    "Thresholds",
    "bootstrap_interval",
    "evaluate_triggers",
    "frequent_terms",
    "persistent_dataset_drift",
    "persistent_features",
    "prediction_frame",
    "reference_frame",
    "retraining_hold",
    "simulate_traffic",
    "synthetic_snapshot",
    "unmapped_rate",
    "wilson_interval",
    "window_performance",
]
