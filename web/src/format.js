// Formatting for the control page: numbers as people read them, colours as the
// lamp shows them, and the words the page uses when something goes wrong.

export function clamp01(v) {
  return Math.min(1, Math.max(0, v));
}

// Hue in degrees, saturation and brightness in percent.
export function formatValue(key, v) {
  return key === "hue" ? Math.round(v * 360) + "°" : Math.round(v * 100) + "%";
}

// The lamp drives its LED from HSV with brightness as the value.
export function hsvToRgb(h, s, v) {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i];
  return rgb.map((c) => Math.round(c * 255));
}

// ws_url may be absolute or a path on this site: "/mqtt", lampi-cloud's relay
// to the broker (or a proxy in front of it), over wss:// when the page is https://.
export function brokerUrl(wsUrl, location) {
  if (/^wss?:\/\//.test(wsUrl)) return wsUrl;
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsUrl;
}

// Whole seconds left until `at`, never below 1 while waiting.
export function secondsUntil(at, now) {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

// What the status line says for a connection state (see connection.js).
export function statusText(state, now) {
  switch (state.kind) {
    case "connecting":
      return state.attempt ? "Cannot reach LAMPi. Reconnecting…" : "Connecting to your lamps…";
    case "connected":
      return "Live: changes made anywhere show here at once.";
    case "reconnecting":
      return "Cannot reach LAMPi. Retrying in " + secondsUntil(state.retryAt, now) + " s";
    case "stopped":
      return state.reason === "session" ? "Your session has ended." : "Live control is unavailable.";
    default:
      return "";
  }
}

// What a lamp's card says when a command it sent was not confirmed.
export function commandFailureText(reason) {
  return reason === "unreachable" ? "Cannot reach LAMPi." : "The lamp did not answer.";
}

export function randomHex(bytes, random = (a) => crypto.getRandomValues(a)) {
  const a = new Uint8Array(bytes);
  random(a);
  return Array.from(a, (x) => x.toString(16).padStart(2, "0")).join("");
}
