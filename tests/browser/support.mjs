// Shared pieces of the browser tests: the running platform (endpoints.json), the
// web page's node_modules, headless Chromium, logging in, MQTT as the operator,
// the simulated LED.
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

// mqtt and playwright-core come from the web page's npm install: the build tree's
// (LAMPI_NODE_MODULES, set by CMake) or, for a quick run, web/node_modules.
function webRequire() {
  const candidates = [process.env.LAMPI_NODE_MODULES, path.resolve(here, "../../web/node_modules")].filter(Boolean);
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, "mqtt")) && fs.existsSync(path.join(dir, "playwright-core"))) {
      return createRequire(path.join(dir, "..", "package.json"));
    }
  }
  throw new Error(
    "mqtt and playwright-core are not installed: build the web_static target (it runs npm ci) and set " +
      "LAMPI_NODE_MODULES=<build>/web/node_modules, or run `npm ci` in web/ (looked in: " + candidates.join(", ") + ")"
  );
}

const require = webRequire();
export const mqtt = require("mqtt");
// axe-core's browser bundle, for the accessibility checks.
export const axeSource = () => fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { chromium } = require("playwright-core");

// axe-core's WCAG 2.1 A and AA rules on the page as it is: the violations, each
// with its impact and up to three of its elements.
export async function audit(page) {
  // axe goes in through the DevTools protocol: the page's own CSP allows only its scripts.
  await page.evaluate(axeSource());
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
}

export function loadEndpoints() {
  const file = process.env.LAMPI_ENDPOINTS;
  if (!file) return null;
  const e = JSON.parse(fs.readFileSync(file, "utf8"));
  const need = [
    ["cloud.http.url", e.cloud?.http?.url],
    ["cloud.mqtt.port", e.cloud?.mqtt?.port],
    ["cloud.operator.username", e.cloud?.operator?.username],
    ["demo.username", e.demo?.username],
    ["second_user.username", e.second_user?.username],
    ["lamps[0].device_id", e.lamps?.[0]?.device_id],
  ];
  const missing = need.filter(([, v]) => v === undefined || v === null || v === "").map(([k]) => k);
  if (missing.length) throw new Error(`${file} lacks ${missing.join(", ")}`);
  e.cloud.http.url = e.cloud.http.url.replace(/\/$/, "");
  // The platform's own CA (TLS everywhere): Node trusts it explicitly.
  e.ca = e.ca_file ? fs.readFileSync(e.ca_file) : undefined;
  return e;
}

// Chromium without internet: no first-run, background, component or sync traffic.
// Playwright gives every launch a fresh temporary profile (its own --user-data-dir)
// and deletes it on close. The stack's certificates come from its own CA, which
// that profile does not hold: a context's ignoreHTTPSErrors covers pages, but
// Chromium fetches a service worker's script only without certificate errors
// (or with this switch), and the page registers one.
export async function launchBrowser() {
  const executablePath = process.env.LAMPI_CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath} (Debian: apt-get install chromium; or set LAMPI_CHROMIUM)`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--ignore-certificate-errors",
    ],
  });
}

// A page that records CSP violations, page errors and console errors so a test
// can assert there were none.
// `httpCredentials` ({username, password}): what the browser answers an HTTP Basic challenge with.
export async function newPage(browser, { baseUrl, viewport, httpCredentials }) {
  const context = await browser.newContext({
    viewport: viewport || { width: 1280, height: 800 },
    httpCredentials,
    // The stack's certificates come from its own CA, which this throwaway profile
    // does not hold (the Node side does verify them against ca_file).
    ignoreHTTPSErrors: baseUrl.startsWith("https:"),
  });
  const page = await context.newPage();
  const problems = [];
  // Every broker credential lampi.js fetched: {at (ms, Date.now()), body}.
  const credentials = [];
  page.on("response", async (r) => {
    if (!r.url().endsWith("/api/v1/mqtt-credential") || !r.ok()) return;
    if (r.request().headers()["x-lampi-test"]) return; // pageCredential's, not lampi.js's
    try {
      credentials.push({ at: Date.now(), body: await r.json() });
    } catch {
      // the page navigated away; nothing to record
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  await context.exposeBinding("__lampiCspViolation", (_source, text) => problems.push(`CSP violation: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__lampiCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`)
    );
  });
  return { context, page, problems, credentials };
}

// Logs in through the real form, as a person would.
export async function login(page, baseUrl, user) {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/accounts\/login\//);
  await page.fill("#id_username", user.username);
  await page.fill("#id_password", user.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click("form button[type=submit]")]);
  await page.waitForSelector("#lamps");
}

// The page's own broker credential, fetched with its session like lampi.js does.
export async function pageCredential(page) {
  return page.evaluate(async () => {
    const r = await fetch("/api/v1/mqtt-credential", { credentials: "same-origin", headers: { "X-Lampi-Test": "1" } });
    if (!r.ok) throw new Error(`mqtt-credential answered ${r.status}`);
    return r.json();
  });
}

// The broker URL a credential names, as the page resolves it: a path such as
// "/mqtt" (lampi-cloud's relay) is on the page's own site, over wss:// for https://.
export function brokerUrl(wsUrl, base) {
  if (/^wss?:\/\//.test(wsUrl)) return wsUrl;
  const site = new URL(base);
  return (site.protocol === "https:" ? "wss://" : "ws://") + site.host + wsUrl;
}

// `ca` (a PEM buffer) verifies mqtts:// and wss:// brokers.
export function connectMqtt(url, options) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once("connect", () => resolve(client));
    client.once("error", (err) => {
      client.end(true);
      reject(err);
    });
  });
}

// The broker connection the page opens with its credential `cred` (pageCredential).
export function connectWithCredential(cred, base, ca) {
  return connectMqtt(brokerUrl(cred.ws_url, base), {
    username: cred.username,
    password: cred.password,
    clientId: `${cred.username}-browser-test-${process.pid}`,
    ca,
  });
}

export function connectOperator(endpoints) {
  const { host, port, tls } = endpoints.cloud.mqtt;
  const { username, password } = endpoints.cloud.operator;
  return connectMqtt(`${tls ? "mqtts" : "mqtt"}://${host}:${port}`, {
    clientId: `${username}-browser-test-${process.pid}`,
    username,
    password,
    ca: endpoints.ca,
  });
}

export function subscribe(client, topics) {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, { qos: 1 }, (err, granted) => {
      // mqtt.js reports a SUBACK with any refusal (0x80) as an error carrying the packet.
      if (err && err.packet?.granted) {
        const list = Array.isArray(topics) ? topics : typeof topics === "string" ? [topics] : Object.keys(topics);
        resolve(err.packet.granted.map((qos, i) => ({ topic: list[i], qos })));
      } else if (err) {
        reject(err);
      } else {
        resolve(granted);
      }
    });
  });
}

// Follows every lamp's lamp/changed (newest version wins) and its set_config traffic.
export class LampWatch {
  constructor(client) {
    this.client = client;
    this.states = new Map(); // device id -> latest changed
    this.setConfigs = []; // {id, payload, at}
    this.waiters = new Set();
    client.on("message", (topic, buf) => {
      const m = /^devices\/([0-9a-f]{12})\/lamp\/(changed|set_config)$/.exec(topic);
      if (!m) return;
      let payload;
      try {
        payload = JSON.parse(buf.toString());
      } catch {
        return;
      }
      if (m[2] === "set_config") {
        this.setConfigs.push({ id: m[1], payload, at: performance.now() });
      } else {
        const old = this.states.get(m[1]);
        if (old && typeof payload.version === "number" && payload.version < old.version) return;
        this.states.set(m[1], payload);
      }
      for (const w of this.waiters) w();
    });
  }

  static async start(client, ids) {
    const watch = new LampWatch(client);
    await subscribe(
      client,
      ids.flatMap((id) => [`devices/${id}/lamp/changed`, `devices/${id}/lamp/set_config`])
    );
    return watch;
  }

  state(id) {
    return this.states.get(id);
  }

  // Resolves with the first state of `id` for which `predicate` holds.
  waitFor(id, predicate, timeoutMs = 5000, what = "a matching lamp/changed") {
    return new Promise((resolve, reject) => {
      const check = () => {
        const s = this.states.get(id);
        if (s && predicate(s)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(s);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} of ${id}; last: ${JSON.stringify(this.states.get(id))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

export function setConfig(client, id, update) {
  return new Promise((resolve, reject) => {
    client.publish(`devices/${id}/lamp/set_config`, JSON.stringify(update), { qos: 1 }, (err) =>
      err ? reject(err) : resolve()
    );
  });
}

// The simulated LED: "R G B" duty cycles in 0..1.
export function readDuty(file) {
  const parts = fs.readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || !parts.every(Number.isFinite)) throw new Error(`${file} does not hold "R G B": ${parts}`);
  return parts;
}

// What lampid drives for a state (src/lampid/color.cpp): HSV with brightness as the
// value, then gamma 2.2; everything off when the lamp is off. It has the shape of
// the page's hsvToRgb (web/src/format.js) on purpose: the textbook six-sector
// formula. It is not taken on trust: control-page.test.mjs checks it, and the LED,
// against a table of hand-worked colours.
export function expectedDuty(state, gamma = 2.2) {
  if (!state.on) return [0, 0, 0];
  const h = state.color.h;
  const s = state.color.s;
  const v = state.brightness;
  const sector = (h * 6) % 6;
  const i = Math.floor(sector);
  const f = sector - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i];
  return rgb.map((c) => Math.pow(c, gamma));
}

export async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function near(a, b, eps = 0.002) {
  return Math.abs(a - b) <= eps;
}

// Drags a range input with the mouse from where its thumb is to `value`.
export async function dragSlider(page, selector, value, steps = 12) {
  const input = page.locator(selector);
  const box = await input.boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  const current = Number(await input.inputValue());
  // The thumb's centre runs from thumb/2 to width - thumb/2; lampi.css makes the
  // thumb 1.9rem. Being a pixel off only changes which value is reached, and callers
  // read the value back.
  const thumb = 30;
  const xOf = (v) => box.x + thumb / 2 + v * (box.width - thumb);
  const y = box.y + box.height / 2;
  await page.mouse.move(xOf(current), y);
  await page.mouse.down();
  await page.mouse.move(xOf(value), y, { steps });
  await page.mouse.up();
  return Number(await input.inputValue());
}

export function artifactsDir() {
  const dir = process.env.LAMPI_ARTIFACTS;
  if (!dir) return null;
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Full-page screenshots of the page as it is, at a phone's width (375) and a
// laptop's (1280), as <name>-375.png and <name>-1280.png in the artifacts
// directory (docs/screenshots/ keeps a copy). The page's own size is put back.
export async function screenshotBothSizes(page, name) {
  const dir = artifactsDir();
  if (!dir) return;
  const own = page.viewportSize();
  for (const [width, height] of [[375, 740], [1280, 800]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(dir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(own);
}

// The platform's processes, through its supervisord (the stack directory holds
// endpoints.json and supervisord.conf): to freeze, stop and start them in tests.
export class Stack {
  constructor(endpointsFile = process.env.LAMPI_ENDPOINTS) {
    this.conf = path.join(path.dirname(endpointsFile), "supervisord.conf");
  }

  ctl(...args) {
    const r = spawnSync("/usr/bin/supervisorctl", ["-c", this.conf, ...args], { encoding: "utf8", timeout: 30000 });
    return (r.stdout || "") + (r.stderr || "");
  }

  pid(program) {
    const pid = Number.parseInt(this.ctl("pid", program), 10);
    if (!(pid > 1)) throw new Error(`${program} is not running`);
    return pid;
  }

  // SIGSTOP: the process holds its sockets open but answers nothing, like a hung
  // host; thaw() lets it go on.
  freeze(program) {
    const pid = this.pid(program);
    process.kill(pid, "SIGSTOP");
    return { thaw: () => process.kill(pid, "SIGCONT") };
  }
}

// The operator's view of every lamp, once the first lamp's retained state is in.
export async function watchLamps(endpoints) {
  const operator = await connectOperator(endpoints);
  const watch = await LampWatch.start(operator, endpoints.lamps.map((l) => l.device_id));
  await watch.waitFor(endpoints.lamps[0].device_id, () => true, 5000, "the retained state");
  return { operator, watch };
}

// fetch() with the page's session and CSRF header; answers {status, body}.
export function apiOf(page) {
  return (method, url, body) =>
    page.evaluate(
      async ({ method, url, body }) => {
        const csrf = document.cookie.match(/csrftoken=([0-9a-f]+)/)[1];
        const r = await fetch(url, {
          method,
          headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
          body: body ? JSON.stringify(body) : undefined,
        });
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : null };
      },
      { method, url, body }
    );
}

// The code the lamp shows on its screen (the simulated lamp writes it to a file).
export function lampCode(lamp) {
  return waitUntil(
    () => {
      const text = fs.readFileSync(lamp.association_code_file, "utf8").trim();
      return /^\d{6}$/.test(text) ? text : null;
    },
    10000,
    "the lamp to show a code"
  );
}

// Puts `lamps` in `room` through the API; resolves with a function that puts each
// back in the room it had.
export async function moveToRoom(api, lamps, room) {
  const rooms = new Map();
  for (const l of lamps) {
    rooms.set(l.device_id, (await api("GET", `/api/v1/lamps/${l.device_id}`)).body.room);
    const moved = await api("PATCH", `/api/v1/lamps/${l.device_id}`, { room });
    if (moved.status !== 200) throw new Error(`cannot move ${l.device_id} to ${room}: HTTP ${moved.status}`);
  }
  return async () => {
    for (const [id, old] of rooms) await api("PATCH", `/api/v1/lamps/${id}`, { room: old || "" }).catch(() => {});
  };
}

// The demo user logged in and live with every demo lamp in `room`, and the
// operator watching the lamps; close() puts the rooms back and closes it all.
export async function demoInRoom(endpoints, room, viewport) {
  const base = endpoints.cloud.http.url;
  const browser = await launchBrowser();
  const { operator, watch } = await watchLamps(endpoints);
  const demo = await newPage(browser, { baseUrl: base, viewport });
  await login(demo.page, base, endpoints.demo);
  const api = apiOf(demo.page);
  const restoreRooms = await moveToRoom(api, endpoints.lamps, room);
  await demo.page.reload();
  await demo.page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 15000 });
  return {
    browser,
    demo,
    api,
    operator,
    watch,
    async close() {
      await restoreRooms();
      await demo.context.close();
      await browser.close();
      operator.end(true);
    },
  };
}
