// Draw every figure whose JSON sits in a <script type="application/json" data-chart-for="..."> (no inline code).
(function () {
  "use strict";
  document.querySelectorAll("script[data-chart-for]").forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-chart-for"));
    if (!target) { return; }
    if (typeof window.Plotly === "undefined") {
      target.textContent = target.getAttribute("data-chart") + ": plotly is not available.";
      return;
    }
    var figure = JSON.parse(node.textContent);
    window.Plotly.newPlot(target, figure.data, figure.layout, {displaylogo: false, responsive: true});
  });
  // Follow a running training run: poll its status and reload when it ends.
  var run = document.getElementById("run");
  if (run && run.getAttribute("data-active") === "true") {
    var url = run.getAttribute("data-status-url");
    var timer = window.setInterval(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
        var bar = run.querySelector("progress");
        if (bar) { bar.value = data.progress; }
        var stage = run.querySelector("[data-field=stage]");
        if (stage) { stage.textContent = data.stage; }
        if (["finished", "failed", "canceled"].indexOf(data.status) >= 0) {
          window.clearInterval(timer);
          window.location.reload();
        }
      });
    }, 2000);
  }
}());
