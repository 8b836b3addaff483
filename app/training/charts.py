"""Plotly figure specs (plain JSON) for the run page, built from a run's stored metrics."""

from __future__ import annotations


def run_charts(runs: list) -> dict:
    """Return the figures comparing finished ``runs`` (best first) and detailing the first one."""
    finished = [run for run in runs if run.metrics]
    if not finished:
        return {}
    main = finished[0].metrics
    return {
        "candidates": _candidates(main),
        "compare": _compare(finished),
        "support": _support(main),
        "calibration": _calibration(main),
        "confusions": _confusions(main),
    }


def _layout(title: str, **extra) -> dict:
    return {"title": {"text": title}, "margin": {"t": 40, "l": 60, "r": 20, "b": 60}, "height": 340, **extra}


def _candidates(metrics: dict) -> dict:
    board = metrics.get("leaderboard") or []
    names = [f"{row['candidate']} #{i + 1}" for i, row in enumerate(board)]
    return {"data": [{"type": "bar", "x": names, "y": [row["mean_score"] for row in board], "name": "PR AUC"}],
            "layout": _layout("Search: mean validation PR AUC per draw", yaxis={"range": [0, 1]})}


def _compare(runs: list) -> dict:
    keys = ("macro_f1", "micro_f1", "top_1", "top_3", "top_10", "mrr", "orphan_recall_at_10")
    return {"data": [{"type": "bar", "name": f"run {run.id}", "x": list(keys),
                      "y": [run.metrics["test"].get(key) for key in keys]} for run in runs[:6]],
            "layout": _layout("Test metrics per run", barmode="group", yaxis={"range": [0, 1]})}


def _support(metrics: dict) -> dict:
    rows = metrics["test"].get("per_label") or []
    return {"data": [{"type": "scatter", "mode": "markers", "x": [row["support_train"] for row in rows],
                      "y": [row["f1"] for row in rows], "text": [row["label"] for row in rows]}],
            "layout": _layout("Per-label F1 against training support", xaxis={"type": "log", "title": "cases"},
                              yaxis={"range": [0, 1.05], "title": "F1"})}


def _calibration(metrics: dict) -> dict:
    curve = metrics.get("calibration") or []
    return {"data": [{"type": "scatter", "mode": "lines+markers", "name": "model",
                      "x": [row["predicted"] for row in curve], "y": [row["observed"] for row in curve]},
                     {"type": "scatter", "mode": "lines", "name": "perfect", "x": [0, 1], "y": [0, 1],
                      "line": {"dash": "dot"}}],
            "layout": _layout("Calibration (test)", xaxis={"title": "predicted"}, yaxis={"title": "observed"})}


def _confusions(metrics: dict) -> dict:
    rows = metrics.get("confusions") or []
    return {"data": [{"type": "bar", "orientation": "h", "x": [row["count"] for row in rows],
                      "y": [f"{row['true']} → {row['predicted']}" for row in rows]}],
            "layout": _layout("Top confusions (true → predicted first)", yaxis={"automargin": True})}
