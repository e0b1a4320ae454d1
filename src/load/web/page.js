// lampi-load's live page: polls /stats once a second, draws the charts with
// uPlot and the tables, and steers the run through POST /start, /stop, /quit.
// One page for both kinds of run: web users (http --web) and MQTT publishers
// (publish --web: clients, their connect rate and messages per second).
"use strict";

const $ = (id) => document.getElementById(id);
const fixed = (v, digits = 0) => (typeof v === "number" ? v.toFixed(digits) : "-");
let charts = null;
let formFilled = false;
let publishers = false;

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
  if (publishers) {
    return {
      rps: chart($("chart-rps"), "Messages per second",
        [["confirmed/s", "#2e7d32"], ["sent/s", "#00838f"], ["errors/s", "#c62828"]], "per s"),
      times: chart($("chart-times"), "Publish -> confirmation (ms)",
        [["median", "#1565c0"], ["95th percentile", "#ef6c00"], ["99th percentile", "#ad1457"]], "ms"),
      users: chart($("chart-users"), "Clients", [["connected", "#6a1b9a"], ["started", "#9e9e9e"]], "clients"),
    };
  }
  return {
    rps: chart($("chart-rps"), "Requests per second", [["requests/s", "#2e7d32"], ["failures/s", "#c62828"]], "per s"),
    times: chart($("chart-times"), "Response times (ms)", [["median", "#1565c0"], ["95th percentile", "#ef6c00"]], "ms"),
    users: chart($("chart-users"), "Number of users", [["users", "#6a1b9a"]], "users"),
  };
}

// A publisher run's words and parts of the page, once, from the first /stats.
function showKind(kind) {
  publishers = kind === "publish";
  if (!publishers) return;
  $("users-label").textContent = "Clients connected";
  $("rps-label").textContent = "Messages/s";
  $("fail-label").textContent = "Lost";
  $("form-users-label").textContent = "Clients";
  $("form-rate-label").textContent = "Connect rate (clients/s)";
  $("form-users").name = "clients";
  $("form-rate").name = "connect_rate";
  $("message-rate-field").hidden = false;
  $("messages-section").hidden = false;
  $("requests-section").hidden = true;
  $("failures-title").textContent = "Errors";
  $("failures").hidden = true;
  $("errors-title").hidden = true;
  for (const li of document.querySelectorAll(".for-http")) li.hidden = true;
  for (const li of document.querySelectorAll(".for-publish")) li.hidden = false;
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

function showMessages(stats) {
  const m = stats.messages;
  const c = stats.current;
  $("users").textContent = c.connected ?? 0;
  $("fail-share").textContent = fixed(m.lost);
  fill("messages", [
    row([m.sent, m.confirmed, fixed(m.in_flight), fixed(m.lost), m.errors, fixed(c.requests_per_s, 1),
         fixed(c.p50_ms, 2), fixed(c.p95_ms, 2), fixed(c.p99_ms, 2)]),
  ]);
}

function show(stats) {
  if (!formFilled) showKind(stats.kind);
  $("host").textContent = stats.host;
  $("state").textContent = stats.state;
  $("state").dataset.state = stats.state;
  $("users").textContent = stats.users;
  $("scenario").textContent = stats.scenario || "";
  const total = stats.requests.find((r) => r.name === "Aggregated");
  $("rps").textContent = fixed(stats.current.requests_per_s, 1);
  $("fail-share").textContent = total && total.requests ? fixed((100 * total.failures) / total.requests, 1) + "%" : "0%";
  if (publishers) showMessages(stats);
  if (!formFilled) {
    $("form-users").value = stats.target_users;
    $("form-rate").value = stats.spawn_rate;
    if (publishers) $("form-message-rate").value = stats.message_rate;
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
  if (publishers) {
    charts.rps.setData([h.t, h.requests_per_s, h.sent_per_s, h.failures_per_s]);
    charts.times.setData([h.t, h.p50_ms, h.p95_ms, h.p99_ms]);
    charts.users.setData([h.t, h.connected, h.users]);
  } else {
    charts.rps.setData([h.t, h.requests_per_s, h.failures_per_s]);
    charts.times.setData([h.t, h.p50_ms, h.p95_ms]);
    charts.users.setData([h.t, h.users]);
  }
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
  const users = Number($("form-users").value);
  const rate = Number($("form-rate").value);
  if (publishers) {
    steer("/start", { clients: users, connect_rate: rate, message_rate: Number($("form-message-rate").value) });
  } else {
    steer("/start", { users, spawn_rate: rate });
  }
});
$("stop").addEventListener("click", () => steer("/stop"));
$("quit").addEventListener("click", () => {
  steer("/quit");
  $("message").textContent = "The run has ended: the report is on lampi-load's output.";
});

poll();
setInterval(poll, 1000);
