// lampi-load's live page: polls /stats once a second, draws the charts with
// uPlot and the tables, and steers the run through POST /start, /stop, /quit.
"use strict";

const $ = (id) => document.getElementById(id);
const fixed = (v, digits = 0) => (typeof v === "number" ? v.toFixed(digits) : "-");
let charts = null;
let formFilled = false;

function chart(element, title, series, unit) {
  const width = Math.max(320, element.clientWidth || document.body.clientWidth - 48);
  return new uPlot(
    {
      title,
      width,
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: "seconds" }, { label: unit }],
      series: [{ label: "t" }, ...series.map(([label, stroke]) => ({ label, stroke, width: 2 }))],
    },
    [[], ...series.map(() => [])],
    element
  );
}

function makeCharts() {
  return {
    rps: chart($("chart-rps"), "Requests per second", [["requests/s", "#2e7d32"], ["failures/s", "#c62828"]], "per s"),
    times: chart($("chart-times"), "Response times (ms)", [["median", "#1565c0"], ["95th percentile", "#ef6c00"]], "ms"),
    users: chart($("chart-users"), "Number of users", [["users", "#6a1b9a"]], "users"),
  };
}

function row(cells, className) {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const c of cells) {
    const td = document.createElement("td");
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
}

function show(stats) {
  $("host").textContent = stats.host;
  $("state").textContent = stats.state;
  $("state").dataset.state = stats.state;
  $("users").textContent = stats.users;
  $("scenario").textContent = stats.scenario || "";
  const total = stats.requests.find((r) => r.name === "Aggregated");
  $("rps").textContent = fixed(stats.current.requests_per_s, 1);
  $("fail-share").textContent = total && total.requests ? fixed((100 * total.failures) / total.requests, 1) + "%" : "0%";
  if (!formFilled) {
    $("form-users").value = stats.target_users;
    $("form-rate").value = stats.spawn_rate;
    formFilled = true;
  }
  $("start").textContent = stats.state === "running" ? "Update" : "Start";
  $("stop").disabled = stats.state !== "running";

  fill(
    "requests",
    stats.requests.map((r) =>
      row(
        [r.method, r.name, r.requests, r.failures, fixed(r.median_ms), fixed(r.p95_ms), fixed(r.p99_ms),
         fixed(r.avg_ms, 1), fixed(r.min_ms), fixed(r.max_ms), fixed(r.avg_bytes), fixed(r.per_s, 1),
         fixed(r.failures_per_s, 1)],
        r.name === "Aggregated" ? "aggregated" : ""
      )
    )
  );
  fill("failures", stats.failures.map((f) => row([f.occurrences, f.method, f.name, f.error])));
  fill("errors", stats.errors.map((e) => row([e.count, e.error])));

  if (typeof uPlot === "undefined") return;
  charts = charts || makeCharts();
  const h = stats.history;
  charts.rps.setData([h.t, h.requests_per_s, h.failures_per_s]);
  charts.times.setData([h.t, h.p50_ms, h.p95_ms]);
  charts.users.setData([h.t, h.users]);
  $("chart-rps").dataset.points = h.t.length;
}

async function poll() {
  try {
    const response = await fetch("/stats", { cache: "no-store" });
    if (response.ok) show(await response.json());
  } catch (e) {
    $("message").textContent = "lampi-load does not answer: has the run ended?";
  }
}

async function steer(path, body) {
  $("message").textContent = "";
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const answer = await response.json();
  if (!response.ok) $("message").textContent = answer.error;
  else show(answer);
}

$("steer").addEventListener("submit", (event) => {
  event.preventDefault();
  steer("/start", { users: Number($("form-users").value), spawn_rate: Number($("form-rate").value) });
});
$("stop").addEventListener("click", () => steer("/stop"));
$("quit").addEventListener("click", () => {
  steer("/quit");
  $("message").textContent = "The run has ended: the report is on lampi-load's output.";
});

poll();
setInterval(poll, 1000);
