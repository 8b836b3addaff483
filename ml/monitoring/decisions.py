"""Decisions: from the drift history and the latest performance to alerts and whether to retrain.

Default thresholds (:class:`Thresholds`), each a trigger only on enough data:

* dataset drift (at least ``drift_share`` of input features: the reference's, default 50 %, unless set here)
  that persists over ``persistence_windows`` = 3 consecutive tested windows: a *warning* and a retraining trigger;
* single features drifting persistently without dataset drift: an *info* alert naming them;
* the predicted top-1 diseases drifting persistently: a *warning* (the case mix or the model changed);
* macro-F1 at least ``f1_macro_drop`` = 0.05 below the champion's test macro-F1, over at least
  ``min_confirmed_cases`` = 200 confirmed cases: *critical* and a retraining trigger;
* orphan top-10 at least ``orphan_top_k_drop`` = 0.10 below the champion's, over at least
  ``min_orphan_cases`` = 30 orphan cases: *critical* and a retraining trigger;
* unmapped terms above ``max_unmapped_rate`` = 15 % of at least ``min_entered_terms`` = 200 entered terms: a
  *warning* (the vocabulary misses what clinicians type; retraining would not help).

A trigger retrains unless a retraining is running or the last one started less than ``cooldown`` (default
24 h) ago; the decision then says what held it back, and an *info* alert records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ml.monitoring.drift import DriftResult, persistent_dataset_drift, persistent_features
from ml.monitoring.intervals import Estimate
from ml.monitoring.performance import PerformanceResult

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITIES = (INFO, WARNING, CRITICAL)
DEFAULT_COOLDOWN = timedelta(hours=24)


@dataclass(frozen=True)
class Thresholds:
    """The documented defaults of every trigger; an admin may change them."""

    persistence_windows: int = 3
    drift_share: float | None = None  # None: the share the drift reference was configured with (default 0.5)
    f1_macro_drop: float = 0.05
    min_confirmed_cases: int = 200
    orphan_top_k: int = 10
    orphan_top_k_drop: float = 0.10
    min_orphan_cases: int = 30
    max_unmapped_rate: float = 0.15
    min_entered_terms: int = 200


@dataclass(frozen=True)
class ChampionScores:
    """The serving model's test scores that live performance is compared with."""

    f1_macro: float | None = None
    orphan_top_k: float | None = None


@dataclass(frozen=True)
class Alert:
    """One alert: its kind, severity, a message for people and the figures behind it."""

    kind: str
    severity: str
    message: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What one monitoring run concluded: the alerts, whether to retrain, and why (or why not)."""

    alerts: tuple[Alert, ...]
    retrain: bool
    reasons: tuple[str, ...]
    held_back_by: str | None = None

    @property
    def triggered(self) -> bool:
        """Return whether any trigger fired, retraining held back or not."""
        return bool(self.reasons)

    @property
    def severity(self) -> str | None:
        """Return the highest severity among the alerts, or None when there are none."""
        return max((alert.severity for alert in self.alerts), key=SEVERITIES.index, default=None)


def drift_alerts(history: Sequence[DriftResult], thresholds: Thresholds) -> tuple[list[Alert], list[str]]:
    """Return the drift alerts and retraining reasons of a window history (oldest first)."""
    if not history or not history[-1].enough_data:
        return [], []
    windows = thresholds.persistence_windows
    persistent = persistent_features(history, windows=windows)
    latest = history[-1]
    inputs = [name for name in latest.input_features if persistent.get(name)]
    outputs = [name for name in latest.output_features if persistent.get(name)]
    alerts, reasons = [], []
    details = {"features": inputs, "windows": windows, "share": len(inputs) / max(len(latest.input_features), 1)}
    if persistent_dataset_drift(history, windows=windows, share=thresholds.drift_share):
        message = f"Dataset drift over {windows} windows: {len(inputs)} of {len(latest.input_features)} features"
        alerts.append(Alert("dataset_drift", WARNING, message, details))
        reasons.append("dataset_drift")
    elif inputs:
        alerts.append(Alert("feature_drift", INFO, f"Features drifting over {windows} windows: {', '.join(inputs)}"))
    if outputs:
        message = f"The predicted top-1 diseases drift over {windows} windows"
        alerts.append(Alert("prediction_drift", WARNING, message, {"features": outputs, "windows": windows}))
    return alerts, reasons


def _drop_alert(kind: str, name: str, estimate: Estimate, baseline: float, drop: float, minimum: int) -> Alert | None:
    """Return a critical alert when an estimate over enough cases fell at least ``drop`` below its baseline."""
    # The tolerance keeps a drop of exactly ``drop`` a drop despite float rounding (0.9 - 0.85 < 0.05).
    if estimate.n < minimum or estimate.value != estimate.value or baseline - estimate.value < drop - 1e-9:
        return None
    message = f"{name} {estimate.value:.3f} over {estimate.n} cases, {baseline - estimate.value:.3f} below the champion"
    details = {"value": estimate.value, "low": estimate.low, "high": estimate.high, "n": estimate.n}
    return Alert(kind, CRITICAL, message, details | {"champion": baseline, "drop": baseline - estimate.value})


def performance_alerts(
    performance: PerformanceResult | None, champion: ChampionScores, thresholds: Thresholds
) -> list[Alert]:
    """Return the alerts of a live performance that fell below the champion's test scores."""
    if performance is None:
        return []
    candidates = []
    if champion.f1_macro is not None:
        candidates.append(
            _drop_alert(
                "performance_drop", "Macro-F1", performance.overall.f1_macro, champion.f1_macro,
                thresholds.f1_macro_drop, thresholds.min_confirmed_cases,
            )
        )  # fmt: skip
    orphan_estimate = performance.orphan.top_k.get(thresholds.orphan_top_k)
    if champion.orphan_top_k is not None and orphan_estimate is not None:
        candidates.append(
            _drop_alert(
                "orphan_drop", f"Orphan top-{thresholds.orphan_top_k}", orphan_estimate, champion.orphan_top_k,
                thresholds.orphan_top_k_drop, thresholds.min_orphan_cases,
            )
        )  # fmt: skip
    return [alert for alert in candidates if alert is not None]


def unmapped_alert(unmapped: Estimate | None, thresholds: Thresholds) -> Alert | None:
    """Return a warning when too many entered terms mapped to no HPO id."""
    if unmapped is None or unmapped.n < thresholds.min_entered_terms or unmapped.value <= thresholds.max_unmapped_rate:
        return None
    message = f"{unmapped.value:.1%} of {unmapped.n} entered terms mapped to no HPO term"
    return Alert("unmapped_terms", WARNING, message, unmapped.as_dict() | {"limit": thresholds.max_unmapped_rate})


def retraining_hold(
    *, last_retrain_at: datetime | None, now: datetime, cooldown: timedelta, retraining_running: bool
) -> str | None:
    """Return what holds a retraining back (``"running"`` or ``"cooldown"``), or None when it may start."""
    if retraining_running:
        return "running"
    if last_retrain_at is not None and now - last_retrain_at < cooldown:
        return "cooldown"
    return None


def evaluate_triggers(
    drift: Sequence[DriftResult],
    performance: PerformanceResult | None,
    thresholds: Thresholds = Thresholds(),
    *,
    champion: ChampionScores = ChampionScores(),
    unmapped: Estimate | None = None,
    last_retrain_at: datetime | None,
    now: datetime,
    cooldown: timedelta = DEFAULT_COOLDOWN,
    retraining_running: bool,
) -> Decision:
    """Return the alerts and the retraining decision of one monitoring run.

    ``drift`` is the history of drift results, oldest first, ending with the current window.
    """
    alerts, reasons = drift_alerts(drift, thresholds)
    for alert in performance_alerts(performance, champion, thresholds):
        alerts.append(alert)
        reasons.append(alert.kind)
    unmapped_warning = unmapped_alert(unmapped, thresholds)
    if unmapped_warning is not None:
        alerts.append(unmapped_warning)
    if not reasons:
        return Decision(tuple(alerts), False, ())
    hold = retraining_hold(
        last_retrain_at=last_retrain_at, now=now, cooldown=cooldown, retraining_running=retraining_running
    )
    if hold is not None:
        why = "a retraining is running" if hold == "running" else f"the last one started under {cooldown} ago"
        alerts.append(Alert("retraining_held", INFO, f"Retraining not started: {why}", {"reasons": reasons}))
    return Decision(tuple(alerts), hold is None, tuple(reasons), hold)
