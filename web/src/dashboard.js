// The operator's analytics dashboard (/operator/analytics/, src/cloud/pages/dashboard_page.cpp).
//
// Each panel the server rendered gets its figures from Keen's query API at
// #dashboard's data-queries (the operator's session stands in for a read key:
// src/cloud/api/dashboard_routes.cpp says why), drawn with uPlot (loaded before
// this file from /static/uPlot.iife.min.js) and repeated in a table, which is the
// chart's text alternative and what screen readers and tests read. When every
// panel is done, #dashboard gets data-ready and data-load-ms.
//
// Strict-CSP safe: elements only, styles through the CSSOM.
import {
  DAY_MS,
  dailySeries,
  dayLabel,
  describeSeries,
  failureText,
  groupedDailySeries,
  inactiveUsers,
  onlinePerDay,
  ranking,
  sourceName,
  total,
} from "./dashboard_data.js";

const DAILY = { timeframe: "this_30_days", timezone: "UTC", interval: "daily" };
const LOGGED_IN = { filters: [{ property_name: "success", operator: "eq", property_value: true }] };
const QUERY_TIMEOUT_MS = 30000;
const PALETTE = ["#2e7dbe", "#3a9a4a", "#b0449c", "#8a6d1e", "#6a5acd", "#888888"];

class QueryError extends Error {
  constructor(status, message) {
    super(failureText(status, message));
    this.status = status;
  }
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

// Keen's GET form: plain strings as they are, anything else as JSON text.
async function query(base, analysis, params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    search.set(key, typeof value === "string" ? value : JSON.stringify(value));
  let response;
  try {
    response = await fetch(base + analysis + "?" + search, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
    });
  } catch {
    throw new QueryError(0, "");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || !("result" in body)) throw new QueryError(response.status, body && body.message);
  return body.result;
}

function cssColor(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function seriesColor(index) {
  return index === 0 ? cssColor("--accent", PALETTE[0]) : PALETTE[index % PALETTE.length];
}

const plots = [];

function chart(panel, label, days, series) {
  const box = el("div", { className: "chart" });
  box.setAttribute("role", "img");
  box.setAttribute(
    "aria-label",
    series.map((s) => describeSeries(s.name, days, s.values)).join(" ") + " Figures in the table below.",
  );
  panel.append(box);
  const text = cssColor("--text", "#1d1d1f");
  const line = cssColor("--line", "#dcdad5");
  const axis = { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
  const plot = new window.uPlot(
    {
      title: label,
      width: Math.max(280, box.clientWidth || panel.clientWidth - 32),
      height: 220,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [axis, { ...axis, size: 44 }],
      series: [
        { label: "Day" },
        ...series.map((s, i) => ({ label: s.name, stroke: seriesColor(i), width: 2, points: { show: true } })),
      ],
    },
    [days.map((d) => d / 1000), ...series.map((s) => s.values)],
    box,
  );
  plots.push({ plot, box, panel });
}

function table(caption, headings, rows) {
  const head = el("tr", {}, headings.map((h) => el("th", { scope: "col", textContent: h })));
  const body = rows.map(
    (cells) =>
      el(
        "tr",
        {},
        cells.map((c, i) => (i === 0 ? el("th", { scope: "row", textContent: String(c) }) : el("td", { textContent: String(c) }))),
      ),
  );
  return el("table", { className: "figures" }, [
    el("caption", { textContent: caption }),
    el("thead", {}, [head]),
    el("tbody", {}, body),
  ]);
}

function foldedTable(caption, headings, rows) {
  return el("details", { className: "figures" }, [el("summary", { textContent: "Figures as a table" }), table(caption, headings, rows)]);
}

// A chart of daily series and its table; `empty` when every value is zero.
function showDaily(panel, label, days, series, empty) {
  if (series.every((s) => total(s.values) === 0)) return say(panel, empty);
  say(panel, "");
  chart(panel, label, days, series);
  panel.append(
    foldedTable(
      label + " (UTC days)",
      ["Day", ...series.map((s) => s.name)],
      days.map((d, i) => [dayLabel(d), ...series.map((s) => s.values[i])]),
    ),
  );
}

function say(panel, text, failed = false) {
  const status = panel.querySelector(".panel-status");
  status.textContent = text;
  status.hidden = text === "";
  status.classList.toggle("error", failed);
}

function utcDayStarts(nowMs, count) {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  return Array.from({ length: count }, (_, i) => today - (count - 1 - i) * DAY_MS);
}

const PANELS = {
  "sign-ups": async (panel, q) => {
    const signUps = dailySeries(await q("count", { event_collection: "sign_ups", ...DAILY }));
    showDaily(panel, "Sign-ups per day", signUps.days, [{ name: "Sign-ups", values: signUps.values }], "No sign-ups in the last 30 days.");
  },
  active: async (panel, q) => {
    const [users, lamps] = await Promise.all([
      q("count_unique", { event_collection: "logins", target_property: "user_id", ...LOGGED_IN, ...DAILY }),
      q("count_unique", { event_collection: "lamp_changes", target_property: "device_id", ...DAILY }),
    ]);
    const u = dailySeries(users);
    const l = dailySeries(lamps);
    showDaily(
      panel,
      "Daily active users and lamps",
      u.days,
      [
        { name: "Active users", values: u.values },
        { name: "Active lamps", values: l.values },
      ],
      "No logins and no lamp changes in the last 30 days.",
    );
  },
  referrers: async (panel, q) => {
    const rows = ranking(
      await q("count", { event_collection: "sign_ups", timeframe: "this_30_days", timezone: "UTC", group_by: "referred_by" }),
      "referred_by",
      "(no referrer)",
    );
    if (rows.length === 0) return say(panel, "No sign-ups in the last 30 days.");
    say(panel, "");
    const most = rows[0].count;
    const list = table(
      "Sign-ups by referrer, last 30 days",
      ["Referrer", "Sign-ups", "Share"],
      rows.map((r) => [r.name, r.count, ""]),
    );
    list.querySelectorAll("tbody tr").forEach((tr, i) => {
      const bar = el("span", { className: "bar" });
      bar.style.width = Math.max(2, Math.round((rows[i].count / most) * 100)) + "%";
      bar.setAttribute("aria-hidden", "true");
      tr.lastElementChild.append(bar);
    });
    panel.append(list);
  },
  sources: async (panel, q) => {
    const bySource = groupedDailySeries(
      await q("count", { event_collection: "lamp_changes", group_by: "source", ...DAILY }),
      "source",
      sourceName,
    );
    showDaily(panel, "Lamp changes by source", bySource.days, bySource.series, "No lamp changes in the last 30 days.");
  },
  online: async (panel, q) => {
    const events = await q("extraction", {
      event_collection: "lamp_connections",
      timeframe: "this_90_days",
      timezone: "UTC",
      property_names: ["keen.timestamp", "device_id", "online"],
    });
    const days = utcDayStarts(Date.now(), 30);
    showDaily(panel, "Lamps online per day", days, [{ name: "Lamps online", values: onlinePerDay(events, days) }], "No lamp was online in the last 30 days.");
  },
  retention: async (panel, q) => {
    const now = Date.now();
    const recent = { timeframe: { start: new Date(now - 14 * DAY_MS).toISOString(), end: new Date(now + 60000).toISOString() } };
    const [everSignedUp, everLoggedIn, recentlySignedUp, recentlyLoggedIn] = await Promise.all([
      q("select_unique", { event_collection: "sign_ups", target_property: "username" }),
      q("select_unique", { event_collection: "logins", target_property: "username", ...LOGGED_IN }),
      q("select_unique", { event_collection: "sign_ups", target_property: "username", ...recent }),
      q("select_unique", { event_collection: "logins", target_property: "username", ...LOGGED_IN, ...recent }),
    ]);
    const users = inactiveUsers(everSignedUp, everLoggedIn, recentlySignedUp, recentlyLoggedIn);
    if (users.length === 0) return say(panel, "Every known user signed up or logged in within the last 14 days.");
    say(panel, `${users.length} user${users.length === 1 ? "" : "s"} with no login in 14 days.`);
    panel.append(table("Users with no login in 14 days", ["User"], users.map((u) => [u])));
  },
};

async function start(root) {
  const started = performance.now();
  const base = root.dataset.queries || "/operator/analytics/queries/";
  const q = (analysis, params) => query(base, analysis, params);
  const jobs = [...root.querySelectorAll("section.panel[data-panel]")].map(async (panel) => {
    const fill = PANELS[panel.dataset.panel];
    if (!fill) return;
    try {
      if (!window.uPlot) throw new Error("The chart library did not load. Reload the page.");
      await fill(panel, q);
    } catch (err) {
      say(panel, err instanceof QueryError ? err.message : "This figure could not be shown: " + err.message, true);
    }
  });
  await Promise.all(jobs);
  root.dataset.loadMs = String(Math.round(performance.now() - started));
  root.dataset.ready = "true";
}

function resize() {
  for (const { plot, box, panel } of plots)
    plot.setSize({ width: Math.max(280, box.clientWidth || panel.clientWidth - 32), height: 220 });
}

const root = document.getElementById("dashboard");
if (root) {
  start(root);
  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(resize, 150);
  });
}
