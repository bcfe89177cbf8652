// PropDesk shell behaviour. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("auto-submit") && el.form) { el.form.submit(); }
  });
  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("print-button")) { window.print(); }
    if (!el.closest || !el.closest("#search-popup, #global-search")) {
      var pop = document.getElementById("search-popup");
      if (pop) { pop.innerHTML = ""; }
    }
  });
  function drawCharts(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      if (c.dataset.drawn) { return; }
      c.dataset.drawn = "1";
      var datasets = c.dataset.datasets ? JSON.parse(c.dataset.datasets)
        : [{ data: JSON.parse(c.dataset.values || "[]"), label: c.dataset.label || "" }];
      var options = { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: c.dataset.chart !== "bar" || datasets.length > 1 } } };
      if (c.dataset.ymax) {  // e.g. rates: data-ymax="100"
        options.scales = { y: { min: 0, max: Number(c.dataset.ymax) } };
      }
      new Chart(c, {
        type: c.dataset.chart,
        data: { labels: JSON.parse(c.dataset.labels || "[]"), datasets: datasets },
        options: options
      });
    });
  }
  // The caller block of a desk form (templates/macros/caller.html): a caller chosen (by the
  // phone lookup or by hand) who lives in one unit fills the unit box when it is empty, or
  // when it holds a unit filled in this way before.
  function fillCallerUnit(root) {
    var select = root.querySelector ? root.querySelector("select.caller-select") : null;
    var box = document.getElementById("unit_number");
    if (!select || !box) { return; }
    var opt = select.options[select.selectedIndex];
    var unit = opt ? opt.getAttribute("data-unit") : null;
    if (unit && (box.value.trim() === "" || box.dataset.filled === box.value)) {
      box.value = unit;
      box.dataset.filled = unit;
    }
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("caller-select")) { fillCallerUnit(ev.target.parentNode); }
  });
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { drawCharts(ev.target); fillCallerUnit(ev.target); });
})();
