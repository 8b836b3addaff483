"""Plotly figures (plain ``{"data", "layout"}`` dicts) of the monitoring dashboard.

The page embeds each as JSON in a ``<script type="application/json">`` element; ``static/js/charts.js`` draws
them with the plotly bundle the EDA blueprint serves from the installed package (no inline script, no CDN).
"""

from __future__ import annotations

from flask_babel import gettext as _

SEVERITY_COLOURS = {"info": "#2c7fb8", "warning": "#e69f00", "critical": "#c0392b"}


def _layout(title: str, **extra) -> dict:
    return {"title": {"text": title}, "margin": {"l": 60, "r": 20, "t": 50, "b": 40}, "height": 360,
            "xaxis": {"automargin": True}, "yaxis": {"automargin": True}, **extra}


def _time(run) -> str:
    return run.created_at.isoformat()


def volume_chart(runs: list) -> dict:
    """Return the predictions per check and their mean and 95th-percentile latency."""
    x = [_time(run) for run in runs]
    return {"data": [
        {"type": "bar", "x": x, "y": [run.n_predictions for run in runs], "name": _("Predictions")},
        {"type": "scatter", "mode": "lines+markers", "x": x, "y": [run.mean_latency_ms for run in runs],
         "name": _("Mean latency (ms)"), "yaxis": "y2"},
        {"type": "scatter", "mode": "lines+markers", "x": x, "y": [run.p95_latency_ms for run in runs],
         "name": _("95th percentile latency (ms)"), "yaxis": "y2"},
    ], "layout": _layout(_("Prediction volume and latency"),
                         yaxis2={"overlaying": "y", "side": "right", "title": {"text": "ms"}})}


def drift_heatmap(runs: list) -> dict:
    """Return the drift per feature and check: 1 drifted, 0 tested and stable, empty when not tested."""
    tested = [run for run in runs if run.drift]
    features = list(dict.fromkeys(name for run in tested for name in run.drift["features"]))
    z = [[(1 if run.drift["features"][name]["drifted"] else 0) if name in run.drift["features"]
          and run.drift["enough_data"] else None for run in tested] for name in features]
    return {"data": [{"type": "heatmap", "x": [_time(run) for run in tested], "y": features, "z": z,
                      "zmin": 0, "zmax": 1, "colorscale": [[0, "#f7fbff"], [1, "#c0392b"]], "showscale": False}],
            "layout": _layout(_("Drift per feature over time"), height=max(360, 18 * len(features) + 120))}


def performance_chart(runs: list) -> dict:
    """Return macro-F1 and top-10 per check with their confidence bands."""
    data = []
    for key, metric, label in (("f1_macro", None, _("Macro-F1")), ("top_k", "10", _("Top-10"))):
        points = []
        for run in runs:
            overall = (run.performance or {}).get("overall") or {}
            estimate = overall.get(key) if metric is None else (overall.get(key) or {}).get(metric)
            if estimate and estimate.get("value") is not None:
                points.append((_time(run), estimate))
        if not points:
            continue
        x = [when for when, _estimate in points]
        data.append({"type": "scatter", "mode": "lines", "x": x + x[::-1], "fill": "toself", "hoverinfo": "skip",
                     "y": [e["high"] for _w, e in points] + [e["low"] for _w, e in points][::-1],
                     "line": {"width": 0}, "opacity": 0.25, "name": _("%(metric)s 95 %% interval", metric=label)})
        data.append({"type": "scatter", "mode": "lines+markers", "x": x, "y": [e["value"] for _w, e in points],
                     "name": label, "text": [f"n={e['n']}" for _w, e in points]})
    return {"data": data, "layout": _layout(_("Live performance with confidence bands"), yaxis={"range": [0, 1]})}


def alert_timeline(alerts: list) -> dict:
    """Return every alert as a point in time by kind, coloured by severity."""
    data = []
    for severity, colour in SEVERITY_COLOURS.items():
        chosen = [alert for alert in alerts if alert.severity == severity]
        if chosen:
            data.append({"type": "scatter", "mode": "markers", "name": severity,
                         "marker": {"color": colour, "size": 10},
                         "x": [alert.created_at.isoformat() for alert in chosen], "y": [alert.kind for alert in chosen],
                         "text": [alert.message for alert in chosen]})
    return {"data": data, "layout": _layout(_("Alert timeline"))}


def model_timeline(versions: list) -> dict:
    """Return each model version's registration and, when promoted, its promotion."""
    data = [{"type": "scatter", "mode": "markers", "name": _("Registered"),
             "x": [version.created_at.isoformat() for version in versions],
             "y": [f"v{version.version}" for version in versions],
             "text": [version.alias for version in versions]}]
    promoted = [version for version in versions if version.promoted_at]
    if promoted:
        data.append({"type": "scatter", "mode": "markers", "name": _("Promoted to champion"),
                     "marker": {"symbol": "star", "size": 14},
                     "x": [version.promoted_at.isoformat() for version in promoted],
                     "y": [f"v{version.version}" for version in promoted]})
    return {"data": data, "layout": _layout(_("Model versions"))}
