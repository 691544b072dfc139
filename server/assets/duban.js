// Duban's pages: draws each <canvas data-chart="bar|pie" data-labels='[…]' data-values='[…]'>
// with the vendored Chart.js. The figures come rendered by the server; nothing is fetched.
(function () {
  "use strict";
  var palette = ["#2f6fb0", "#e0a100", "#c23b22", "#5b8c3a", "#7a4fa3", "#2a9d8f",
    "#b5651d", "#6c757d", "#d4507a", "#3d5a80"];
  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    var labels = JSON.parse(canvas.dataset.labels || "[]");
    var values = JSON.parse(canvas.dataset.values || "[]");
    var colours = canvas.dataset.colours ? JSON.parse(canvas.dataset.colours) : null;
    var kind = canvas.dataset.chart === "pie" ? "pie" : "bar";
    new Chart(canvas, {
      type: kind,
      data: {
        labels: labels,
        datasets: [{
          label: canvas.dataset.title || "",
          data: values,
          backgroundColor: colours || (kind === "pie" ? palette : palette[0])
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: kind === "pie" } },
        indexAxis: canvas.dataset.horizontal ? "y" : "x",
        // Every unit named on its bar, not every other one.
        scales: kind === "pie" ? {} : { x: { ticks: { autoSkip: false, precision: 0 } },
                                         y: { ticks: { autoSkip: false, precision: 0 } } }
      }
    });
    canvas.dataset.drawn = "1";
  }
  function drawAll(root) {
    // A chart's height comes as data-height (the pages' CSP admits no inline style).
    (root || document).querySelectorAll(".chart[data-height]").forEach(function (box) {
      box.style.height = Number(box.dataset.height) + "px";
    });
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
})();

// Registration: show only the chosen category's attributes; the upload's progress bar.
(function () {
  function attrs() {
    var chosen = document.querySelector("#category");
    if (!chosen) return;
    document.querySelectorAll("fieldset.attrs").forEach(function (f) {
      f.hidden = f.dataset.category !== chosen.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    attrs();
    var chosen = document.querySelector("#category");
    if (chosen) chosen.addEventListener("change", attrs);
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = e.target.querySelector && e.target.querySelector("progress.upload");
    if (bar && e.detail.lengthComputable) {
      bar.max = e.detail.total;
      bar.value = e.detail.loaded;
    }
  });
})();
