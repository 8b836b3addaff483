// Draw every chart of a page: each <div data-chart="ID"> takes its figure from <script type="application/json" id="ID">.
(function () {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, { responsive: true, displaylogo: false });
  });
})();
