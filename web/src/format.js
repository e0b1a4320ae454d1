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

// Colour temperature as the lamp's hue and saturation: the colour of a glowing body
// at `kelvin` (Tanner Helland's fit of the blackbody's RGB), then its HSV hue and
// saturation; brightness stays the lamp's own. Clamped to 2000..6500 K, where the
// fit's red is 255. The same formula is in include/lampi/color.h and web/README.md.
export const WARMEST_KELVIN = 2000;
export const COOLEST_KELVIN = 6500;
const clamp255 = (x) => Math.min(255, Math.max(0, x));

export function whiteOfTemperature(kelvin) {
  const t = Math.min(COOLEST_KELVIN, Math.max(WARMEST_KELVIN, kelvin)) / 100;
  const g = clamp255(99.4708025861 * Math.log(t) - 161.1195681661);
  const b = t <= 19 ? 0 : clamp255(138.5177312231 * Math.log(t - 10) - 305.0447927307);
  return { h: (g - b) / (6 * (255 - b)), s: 1 - b / 255 };
}

// The temperature (in steps of 100 K) whose white the colour is, or null when the
// colour is not one of those whites.
export function temperatureOf(color) {
  let best = null;
  let bestDistance = Infinity;
  for (let k = WARMEST_KELVIN; k <= COOLEST_KELVIN; k += 100) {
    const w = whiteOfTemperature(k);
    const d = Math.abs(w.h - color.h) + Math.abs(w.s - color.s);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= 0.03 ? best : null;
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
