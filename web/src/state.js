// The lamp's state as the page understands it, and the commands waiting for the
// lamp to confirm them. Pure: no DOM, no network, time is passed in.
import { clamp01 } from "./format.js";

// How long a command may wait for the lamp's lamp/changed before it counts as failed.
export const CONFIRM_WINDOW_MS = 2000;

// A lamp/changed payload (text or parsed object), checked and clamped; null when
// it is not a lamp state.
export function parseState(input) {
  if (!input) return null;
  let s = input;
  if (typeof input === "string") {
    try {
      s = JSON.parse(input);
    } catch {
      return null;
    }
  }
  if (!s || typeof s !== "object" || typeof s.on !== "boolean" || !s.color || typeof s.color !== "object") return null;
  const h = Number(s.color.h);
  const sat = Number(s.color.s);
  const b = Number(s.brightness);
  if (![h, sat, b].every(Number.isFinite)) return null;
  return {
    on: s.on,
    color: { h: clamp01(h), s: clamp01(sat) },
    brightness: clamp01(b),
    client: typeof s.client === "string" ? s.client : "",
    version: Number.isInteger(s.version) ? s.version : undefined,
  };
}

export function valueOf(state, key) {
  if (key === "on") return state.on;
  if (key === "hue") return state.color.h;
  if (key === "saturation") return state.color.s;
  return state.brightness;
}

// The lamp keeps three decimals of what it is sent.
export function sameValue(key, a, b) {
  return key === "on" ? a === b : Math.abs(a - b) < 0.0015;
}

// The set_config fields that set one control.
export function fieldsFor(key, value) {
  if (key === "hue") return { color: { h: value } };
  if (key === "saturation") return { color: { s: value } };
  if (key === "on") return { on: value };
  return { brightness: value };
}

// The [control key, value] pairs a set_config payload sets.
export function controlValues(payload) {
  const pairs = [];
  if ("on" in payload) pairs.push(["on", payload.on]);
  if (payload.color && "h" in payload.color) pairs.push(["hue", payload.color.h]);
  if (payload.color && "s" in payload.color) pairs.push(["saturation", payload.color.s]);
  if ("brightness" in payload) pairs.push(["brightness", payload.brightness]);
  return pairs;
}

// Whether `state` shows every field of a set_config payload.
export function reflects(state, payload) {
  return controlValues(payload).every(([key, v]) => sameValue(key, valueOf(state, key), v));
}

// Merges set_config fields into `into` (colour components combine).
export function mergeFields(into, fields) {
  for (const [name, v] of Object.entries(fields)) {
    if (name === "color") into.color = Object.assign(into.color || {}, v);
    else into[name] = v;
  }
  return into;
}

// lamp/health: whether the lamp can save its changes and drive its LED; null for
// an empty (cleared) or malformed report.
export function parseHealth(text) {
  try {
    const parsed = typeof text === "string" ? JSON.parse(text) : text;
    if (parsed && typeof parsed === "object" && typeof parsed.durable === "boolean") return parsed;
  } catch {
    // fall through: nothing to show
  }
  return null;
}

export function healthProblem(health) {
  if (!health) return "";
  if (health.led === false) return "LED fault";
  if (health.durable === false) return "not saving";
  return "";
}

// What a lamp's badge says. Only a live connection can vouch for "online": while
// the page's own connection is down the lamp's state is unknown.
export function badgeFor({ connection, online, denied, health }) {
  if (connection !== "connected") {
    const doing = connection === "stopped" ? "not connected" : connection === "connecting" ? "connecting" : "reconnecting";
    return { kind: "unknown", text: "unknown / " + doing, problem: "" };
  }
  if (denied) return { kind: "offline", text: "no access", problem: "" };
  if (!online) return { kind: "offline", text: "offline", problem: "" };
  const problem = healthProblem(health);
  return { kind: "online", text: problem ? "online, " + problem : "online", problem };
}

// Commands sent to one lamp, per control, until its lamp/changed confirms them or
// the confirmation window passes.
export class CommandTracker {
  constructor(clientTag, windowMs = CONFIRM_WINDOW_MS) {
    this.clientTag = clientTag;
    this.windowMs = windowMs;
    this.pending = new Map(); // control key -> {value, fields, sentAt, deadline}
  }

  // A new value for `key` went out at `now`. While the lamp has not answered, the
  // deadline of the first unanswered value stands, so a long drag to a dead lamp
  // still fails in time.
  // The lamp answers only what changes it: a value it already reports (with
  // nothing else of ours on its way) is not waited for.
  sent(key, value, now, reported = null) {
    const old = this.pending.get(key);
    if (!old && reported && sameValue(key, valueOf(reported, key), value)) return;
    const deadline = old ? old.deadline : now + this.windowMs;
    this.pending.set(key, { value, fields: fieldsFor(key, value), sentAt: now, deadline });
  }

  isPending(key) {
    return this.pending.has(key);
  }

  // A lamp/changed arrived. Our own intermediate echoes show the lamp answers:
  // the newest value then gets its own window. The echo of the newest value, or
  // anyone else's change, settles the control. Returns the settled keys.
  observe(state) {
    const settled = [];
    const ours = state.client === this.clientTag;
    for (const [key, p] of this.pending) {
      if (ours && !sameValue(key, valueOf(state, key), p.value)) {
        p.deadline = p.sentAt + this.windowMs;
        continue;
      }
      this.pending.delete(key);
      settled.push(key);
    }
    return settled;
  }

  // Removes and returns the commands whose window has passed, merged into one
  // set_config payload to retry; null when none failed.
  expire(now) {
    let failed = null;
    for (const [key, p] of this.pending) {
      if (p.deadline > now) continue;
      failed = mergeFields(failed || {}, p.fields);
      this.pending.delete(key);
    }
    return failed;
  }

  // Everything still waiting failed at once (the connection dropped).
  failAll() {
    let failed = null;
    for (const p of this.pending.values()) failed = mergeFields(failed || {}, p.fields);
    this.pending.clear();
    return failed;
  }

  nextDeadline() {
    let next = Infinity;
    for (const p of this.pending.values()) next = Math.min(next, p.deadline);
    return next;
  }
}

// Which cards to add and remove so the page shows the account's lamps.
export function diffLamps(shownIds, apiLamps) {
  const wanted = new Map(apiLamps.map((l) => [l.device_id, l]));
  const shown = new Set(shownIds);
  return {
    added: apiLamps.filter((l) => !shown.has(l.device_id)),
    removed: [...shown].filter((id) => !wanted.has(id)),
  };
}
