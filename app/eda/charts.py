"""Plotly figures (plain ``{"data", "layout"}`` dicts) built from an ``ml.eda.summarize`` summary.

The page embeds each figure as JSON in a ``<script type="application/json">`` element and ``static/js/charts.js``
draws it with the plotly bundle served by :func:`app.eda.routes.plotly_js`: no inline script, no CDN.
"""

from __future__ import annotations

import math

from flask_babel import gettext as _

ORPHAN_COLOUR, COMMON_COLOUR = "#c0392b", "#2c7fb8"
MAX_BARS = 60


def _layout(title: str, *, xaxis: dict | None = None, yaxis: dict | None = None, **extra) -> dict:
    # Margins grow with the tick labels (automargin): long disease names get room, short ids leave no blank band.
    return {"title": {"text": title}, "margin": {"l": 60, "r": 20, "t": 50, "b": 40}, "height": 440,
            "xaxis": {"automargin": True, **(xaxis or {})}, "yaxis": {"automargin": True, **(yaxis or {})}, **extra}


def _label(names: dict, key: str, width: int = 40) -> str:
    name = names.get(key)
    text = f"{name} ({key})" if name else key
    return text if len(text) <= width else text[: width - 1] + "…"


def disease_chart(summary: dict) -> dict:
    """Return the cases per disease on a log axis, orphan diseases in red."""
    diseases, names = summary["diseases"], summary["names"]["diseases"]
    rows = list(zip(diseases["disease_ids"], diseases["cases"], diseases["orphan"], diseases["irlbl"], strict=True))
    rows = rows[:MAX_BARS]
    traces = []
    for orphan, label, colour in ((False, _("Common disease"), COMMON_COLOUR), (True, _("Orphan disease"),
                                                                                 ORPHAN_COLOUR)):
        chosen = [row for row in rows if row[2] == orphan]
        traces.append({"type": "bar", "name": label, "marker": {"color": colour},
                       "x": [_label(names, row[0]) for row in chosen], "y": [row[1] for row in chosen],
                       "customdata": [round(row[3], 2) for row in chosen],
                       "hovertemplate": "%{x}<br>%{y} " + _("cases") + "<br>IRLbl %{customdata}<extra></extra>"})
    order = [_label(names, row[0]) for row in rows]
    # A log axis draws bars up from its bottom edge: start it below one case so a bar's height is its count.
    top = math.log10(max((row[1] for row in rows), default=1) * 1.5)
    return {"data": traces, "layout": _layout(_("Cases per disease (log scale)"), barmode="overlay",
                                              yaxis={"type": "log", "range": [math.log10(0.5), top], "dtick": "D2",
                                                     "title": {"text": _("Cases")}},
                                              xaxis={"categoryorder": "array", "categoryarray": order})}


def _heatmap(title: str, z: list, x: list, y: list, **trace) -> dict:
    return {"data": [{"type": "heatmap", "z": z, "x": x, "y": y, **trace}],
            "layout": _layout(title, height=max(300, 24 * len(y) + 160))}


def prevalence_chart(summary: dict) -> dict:
    """Return the share of each frequent disease's cases with each frequent symptom."""
    data, names = summary["prevalence"], summary["names"]
    return _heatmap(_("Symptom prevalence per disease"), data["prevalence"],
                    [_label(names["terms"], term, 30) for term in data["hpo_ids"]],
                    [_label(names["diseases"], disease) for disease in data["disease_ids"]],
                    colorscale="Blues", reversescale=True, zmin=0, zmax=1)  # plotly's Blues runs dark → light


def missingness_chart(summary: dict) -> dict:
    """Return the share of cases missing each field, per source and overall."""
    data = summary["missingness"]
    return _heatmap(_("Missing values per field and source"), [data["overall"], *data["by_source"]],
                    data["fields"], [_("all sources"), *data["sources"]], colorscale="Reds", zmin=0, zmax=1)


def _grouped_bars(title: str, table: dict) -> dict:
    traces = [{"type": "bar", "name": column, "x": table["rows"], "y": [row[index] for row in table["counts"]]}
              for index, column in enumerate(table["columns"])]
    return {"data": traces, "layout": _layout(title, barmode="group", showlegend=True,  # even for one group
                                              yaxis={"title": {"text": _("Cases")}})}


def age_chart(summary: dict) -> dict:
    """Return the cases per source by age group."""
    return _grouped_bars(_("Age group by source"), summary["demographics"]["age_group"])


def sex_chart(summary: dict) -> dict:
    """Return the cases per source by sex."""
    return _grouped_bars(_("Sex by source"), summary["demographics"]["sex"])


def _vertical_line(x: float | None, colour: str) -> list:
    return [] if x is None else [{"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
                                  "line": {"color": colour, "dash": "dash"}}]


def temperature_chart(summary: dict) -> dict:
    """Return the temperature histogram with the IQR fences (orange) and the z-score bounds (red)."""
    data = summary["temperature"]
    edges = data["bin_edges"]
    centres = [(low + high) / 2 for low, high in zip(edges[:-1], edges[1:], strict=True)]
    shapes = [*_vertical_line(data["iqr_low"], "#e67e22"), *_vertical_line(data["iqr_high"], "#e67e22"),
              *_vertical_line(data["z_low"], ORPHAN_COLOUR), *_vertical_line(data["z_high"], ORPHAN_COLOUR)]
    return {"data": [{"type": "bar", "x": centres, "y": data["counts"], "name": _("Cases"),
                      "marker": {"color": COMMON_COLOUR}}],
            "layout": _layout(_("Temperature (°C) with outlier bounds"), shapes=shapes, bargap=0.02,
                              xaxis={"title": {"text": "°C"}}, yaxis={"title": {"text": _("Cases")}})}


def cooccurrence_chart(summary: dict) -> dict:
    """Return the phi coefficients between the most frequent symptoms."""
    data, names = summary["cooccurrence"], summary["names"]["terms"]
    labels = [_label(names, term, 30) for term in data["hpo_ids"]]
    return _heatmap(_("Symptom co-occurrence (phi coefficient)"), data["phi"], labels, labels,
                    colorscale="RdBu", zmin=-1, zmax=1, zmid=0, reversescale=True)


def projection_chart(summary: dict) -> dict:
    """Return the 2-D projection of the cases, one colour per disease group."""
    data, names = summary["projection"], summary["names"]["diseases"]
    groups = sorted(set(data["group"]))
    traces = []
    for group in groups:
        index = [i for i, value in enumerate(data["group"]) if value == group]
        traces.append({"type": "scatter", "mode": "markers", "name": _label(names, group, 30),
                       "x": [data["x"][i] for i in index], "y": [data["y"][i] for i in index],
                       "marker": {"size": 5, "opacity": 0.6}})
    share = "{:.0%}".format(sum(data["explained_variance_ratio"]))
    return {"data": traces, "layout": _layout(_("Cases projected on two dimensions (TruncatedSVD, %(share)s of "
                                                "variance)", share=share),
                                              height=520, margin={"l": 50, "r": 20, "t": 50, "b": 50})}


def heterogeneity_chart(summary: dict) -> dict:
    """Return each source's Jensen–Shannon distance to the other sources, for diseases and symptoms."""
    rows = summary["sources"]["sources"]
    sources = [row["source"] for row in rows]
    traces = [{"type": "bar", "name": label, "x": sources, "y": [row[key] for row in rows]}
              for key, label in (("disease_js", _("Diseases")), ("symptom_js", _("Symptoms")))]
    return {"data": traces, "layout": _layout(_("Distance of each source from the others (Jensen–Shannon)"),
                                              barmode="group", yaxis={"range": [0, 1]})}


def all_charts(summary: dict) -> dict[str, dict]:
    """Return every figure of the EDA page, keyed by its element id."""
    return {
        "chart-diseases": disease_chart(summary),
        "chart-prevalence": prevalence_chart(summary),
        "chart-missingness": missingness_chart(summary),
        "chart-age": age_chart(summary),
        "chart-sex": sex_chart(summary),
        "chart-temperature": temperature_chart(summary),
        "chart-cooccurrence": cooccurrence_chart(summary),
        "chart-projection": projection_chart(summary),
        "chart-heterogeneity": heterogeneity_chart(summary),
    }
