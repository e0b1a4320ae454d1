// Pure: the operator dashboard's figures from Keen-shaped query answers
// (src/cloud/README.md, "The operator's dashboard"). No DOM, so node tests it.

export const DAY_MS = 86400000;

// "2026-11-30" for a UTC day's start.
export function dayLabel(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// An interval answer [{value, timeframe: {start}}] as {days: [ms], values: [n]}.
export function dailySeries(result) {
  const steps = Array.isArray(result) ? result : [];
  return {
    days: steps.map((s) => Date.parse(s.timeframe.start)),
    values: steps.map((s) => (typeof s.value === "number" ? s.value : 0)),
  };
}

// Keen's group value (null: the property was missing) as a person reads it.
export function groupName(value, missing) {
  return value === null || value === undefined || value === "" ? missing : String(value);
}

// An interval answer grouped by `key` ({value: [{<key>, result}]}) as one
// series per name (`nameOf` maps a group's value to it, so several groups may
// add up under one name), the largest first: {days, series: [{name, values}]}.
export function groupedDailySeries(result, key, nameOf) {
  const steps = Array.isArray(result) ? result : [];
  const rowsOf = (s) => (Array.isArray(s.value) ? s.value : []);
  const totals = new Map();
  for (const s of steps)
    for (const row of rowsOf(s)) totals.set(nameOf(row[key]), (totals.get(nameOf(row[key])) || 0) + row.result);
  const names = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || (a < b ? -1 : 1));
  const series = names.map((name) => ({
    name,
    values: steps.map((s) => rowsOf(s).reduce((sum, row) => sum + (nameOf(row[key]) === name ? row.result : 0), 0)),
  }));
  return { days: steps.map((s) => Date.parse(s.timeframe.start)), series };
}

// Who made a lamp change, as lamp_changes' `source` says (src/cloud/README.md,
// "The platform's own events"), in words; a source not known here keeps its name.
const SOURCE_NAMES = {
  lamp_ui: "lamp screen",
  lamp_ble: "lamp Bluetooth",
  homeassistant: "Home Assistant",
  lamp_service: "lamp",
  web: "web page",
  web_ble: "web page (Bluetooth)",
  api: "API",
  schedule: "schedule",
  other: "other",
};
export function sourceName(source) {
  return Object.hasOwn(SOURCE_NAMES, source) ? SOURCE_NAMES[source] : groupName(source, "(unknown)");
}

// A group_by answer [{<key>, result}] as [{name, count}], the largest first.
export function ranking(result, key, missing) {
  return (Array.isArray(result) ? result : [])
    .map((row) => ({ name: groupName(row[key], missing), count: row.result }))
    .filter((row) => row.count > 0)
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

// Lamps online at some moment of each day [start, start + 1 day): online when the
// day began (its last event before said online) or coming online during it.
// `events`: lamp_connections extraction rows {"keen.timestamp", device_id, online},
// oldest first, reaching back before the first day. Today ends at `nowMs`.
export function onlinePerDay(events, dayStarts) {
  const rows = (Array.isArray(events) ? events : [])
    .map((e) => ({ at: Date.parse(e["keen.timestamp"]), device: e.device_id, online: e.online === true }))
    .filter((e) => Number.isFinite(e.at) && typeof e.device === "string")
    .sort((a, b) => a.at - b.at);
  const online = new Map();
  let next = 0;
  return dayStarts.map((start) => {
    for (; next < rows.length && rows[next].at < start; ++next) online.set(rows[next].device, rows[next].online);
    const seen = new Set([...online].filter(([, on]) => on).map(([device]) => device));
    for (; next < rows.length && rows[next].at < start + DAY_MS; ++next) {
      online.set(rows[next].device, rows[next].online);
      if (rows[next].online) seen.add(rows[next].device);
    }
    return seen.size;
  });
}

// Users known from sign-ups or logins, less those seen in the recent window.
export function inactiveUsers(everSignedUp, everLoggedIn, recentlySignedUp, recentlyLoggedIn) {
  const recent = new Set([...(recentlySignedUp || []), ...(recentlyLoggedIn || [])]);
  const all = new Set([...(everSignedUp || []), ...(everLoggedIn || [])]);
  return [...all].filter((name) => typeof name === "string" && !recent.has(name)).sort();
}

export function total(values) {
  return values.reduce((sum, v) => sum + v, 0);
}

// One sentence for a chart's text alternative: the total, and the busiest day.
export function describeSeries(label, days, values) {
  const sum = total(values);
  if (sum === 0) return `${label}: none in these ${days.length} days.`;
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]) best = i;
  });
  return `${label}: ${sum} in ${days.length} days, most on ${dayLabel(days[best])} (${values[best]}).`;
}

// Why a query failed, in words for the operator: {status, message} from the answer.
export function failureText(status, message) {
  if (status === 0) return "Cannot reach LAMPi. Check your connection and reload the page.";
  if (status === 401) return "Your session has ended. Log in again to see the dashboard.";
  if (status === 403) return "Only operators can see these figures.";
  if (status === 503) return "The server is busy. Reload the page in a moment.";
  if (status >= 500) return "LAMPi could not work this figure out" + (message ? ": " + message : ".");
  return "This figure could not be worked out" + (message ? ": " + message : ".");
}
