// lampi-cloud's JSON API as the page uses it: the broker credential, the
// account's lamps and scenes. Failures are sorted by what the person can do about them:
// "session" (log in again), "unreachable" (wait, the page retries), "server".

// A request that takes longer than this counts as LAMPi being unreachable.
export const REQUEST_TIMEOUT_MS = 5000;

export class ApiError extends Error {
  constructor(kind, detail) {
    super(kind + ": " + detail);
    this.kind = kind;
  }
}

async function getJson(url) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError("unreachable", err.name || "network error");
  }
  if (response.status === 401 || response.status === 403) throw new ApiError("session", "HTTP " + response.status);
  // A proxy in front of a stopped lampi-cloud answers 502-504.
  if (response.status >= 500) throw new ApiError("unreachable", "HTTP " + response.status);
  if (!response.ok) throw new ApiError("server", "HTTP " + response.status);
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError("server", "not JSON");
  }
  return { body, response };
}

export async function fetchCredential(url) {
  const { body, response } = await getJson(url);
  if (!body || typeof body.username !== "string" || typeof body.password !== "string" || !body.ws_url)
    throw new ApiError("server", "unexpected credential");
  // expires_at is in the server's clock; measure the lifetime against it when the
  // server says what time it is.
  const date = Date.parse(response.headers.get("Date") || "");
  body.serverNow = (Number.isFinite(date) ? date : Date.now()) / 1000;
  return body;
}

// The account's lamps: [{device_id, name, online, state, health}, ...].
export async function fetchLamps(url) {
  const { body } = await getJson(url);
  if (!body || !Array.isArray(body.lamps)) throw new ApiError("server", "unexpected lamp list");
  return body.lamps.filter((l) => l && typeof l.device_id === "string");
}

// A lamp's on-hours (GET /api/v1/lamps/<id>/on-hours): {days: [{date, hours}],
// total_hours, rated_hours, used_percent, nearing_end_of_life, counted_since}.
export async function fetchOnHours(url) {
  const { body } = await getJson(url);
  if (!body || !Array.isArray(body.days) || typeof body.total_hours !== "number")
    throw new ApiError("server", "unexpected on-hours");
  return body;
}

// Built-in and saved scenes: [{id, name, builtin, look | room + lamps}, ...].
export async function fetchScenes(url) {
  const { body } = await getJson(url);
  if (!body || !Array.isArray(body.scenes)) throw new ApiError("server", "unexpected scene list");
  return body.scenes.filter((s) => s && typeof s.id === "string" && typeof s.name === "string");
}

// Timers and weekly schedules: {schedules: [{id, kind, lamp, room, ...}], now}.
export async function fetchSchedules(url) {
  const { body } = await getJson(url);
  if (!body || !Array.isArray(body.schedules)) throw new ApiError("server", "unexpected schedule list");
  return { schedules: body.schedules.filter((s) => s && typeof s.id === "string"), now: Number(body.now) || Date.now() / 1000 };
}

// POSTs JSON with the session's CSRF token. Resolves with the answer's JSON; a
// refusal rejects with an ApiError whose message is the server's own words.
export function postJson(url, csrf, payload) {
  return sendJson("POST", url, csrf, payload);
}

// PATCH with the session's CSRF token; refusals as postJson's.
export function patchJson(url, csrf, payload) {
  return sendJson("PATCH", url, csrf, payload);
}

// DELETE with the session's CSRF token; refusals as postJson's.
export function deleteJson(url, csrf) {
  return sendJson("DELETE", url, csrf, undefined);
}

async function sendJson(method, url, csrf, payload) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError("unreachable", err.name || "network error");
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  if (response.status === 401) throw new ApiError("session", "HTTP 401");
  const error = new ApiError(response.status >= 500 ? "unreachable" : "server", "HTTP " + response.status);
  error.reason = body && typeof body.error === "string" ? body.error : "";
  throw error;
}
