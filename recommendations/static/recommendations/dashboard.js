// The admin dashboard's charts: the figures come from the page's json_script (no inline
// script, so the CSP's script-src 'self' holds) and Chart.js is served from our static files.
(function () {
  "use strict";
  const COLORS = ["#e50914", "#1f77b4", "#2e7d32", "#ff9800", "#6a1b9a", "#00838f", "#795548", "#555"];

  function series(named) {
    return Object.entries(named).map(([label, data], i) => ({
      label, data, borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length],
      spanGaps: true, tension: 0.2, pointRadius: 3,
    }));
  }

  function chart(name, config) {
    const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
    if (!canvas) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    new window.Chart(canvas, config);
  }

  function draw() {
    const source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) return;
    const f = JSON.parse(source.textContent);
    const c = f.catalogue;
    chart("catalogue", {
      type: "bar",
      data: { labels: [...c.labels, "Stale model"], datasets: [{ label: "films", data: [...c.values, c.stale], backgroundColor: ["#ff9800", "#2e7d32", "#ba2121", "#795548"] }] },
      options: { plugins: { legend: { display: false } } },
    });
    const j = f.jobs;
    chart("jobs", {
      data: {
        labels: j.days,
        datasets: [
          { type: "bar", label: "finished", data: j.finished, backgroundColor: "#2e7d32", stack: "n" },
          { type: "bar", label: "failed", data: j.failed, backgroundColor: "#ba2121", stack: "n" },
          { type: "line", label: "median duration (s)", data: j.median_s, borderColor: "#1f77b4", yAxisID: "seconds", spanGaps: true },
        ],
      },
      options: { scales: { y: { stacked: true, title: { display: true, text: "jobs" } }, seconds: { position: "right", title: { display: true, text: "s" } } } },
    });
    chart("job-kinds", {
      type: "bar",
      data: { labels: j.kinds, datasets: [{ label: "median duration (s)", data: j.kind_median_s, backgroundColor: "#1f77b4" }] },
      options: { indexAxis: "y" },
    });
    const r = f.reranker;
    chart("reranker", { type: "bar", data: { labels: r.versions, datasets: series(r.ndcg) }, options: { scales: { y: { beginAtZero: true, title: { display: true, text: "nDCG@10" } } } } });
    const curves = Object.entries(r.loss_curves);
    const steps = Math.max(0, ...curves.map(([, v]) => v.length));
    chart("loss", {
      type: "line",
      data: { labels: Array.from({ length: steps }, (_, i) => i + 1), datasets: series(Object.fromEntries(curves)) },
      options: { scales: { x: { title: { display: true, text: "step (tenth of training)" } }, y: { title: { display: true, text: "loss" } } } },
    });
    const m = f.recommender;
    chart("recommender", {
      type: "bar",
      data: { labels: m.versions, datasets: series({ films: m.figures.films, "films with ratings": m.figures.collaborative_films, raters: m.figures.raters }) },
    });
    const e = f.evaluations;
    chart("eval-search", { type: "line", data: { labels: e.search_runs, datasets: series(e.search_ndcg) } });
    chart("eval-recs", { type: "line", data: { labels: e.recs_runs, datasets: series(e.recs_ndcg) } });
    const l = f.latency.buckets;
    chart("latency", {
      type: "line",
      data: { labels: l.map((b) => b.end), datasets: series({ p50: l.map((b) => b.p50), p95: l.map((b) => b.p95), p99: l.map((b) => b.p99) }) },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "ms" } } } },
    });
    document.body.dataset.chartsReady = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
