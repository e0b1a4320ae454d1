// Round trip of the control page on a running platform: a brightness slider moved
// in the page -> set_config over WebSocket -> cloud broker -> bridge -> lampid (LED
// duty file rewritten) -> lamp/changed back through the bridge and the cloud broker
// -> the page takes it (its data-state shows the new brightness).
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json node tests/browser/roundtrip-bench.mjs [MOVES]
//
// Times are taken in this process: t0 just before the slider's change event is
// dispatched (through the DevTools protocol, ~0.1-0.5 ms), the LED when the duty
// file holds the new value (inotify on its directory), the page when it reports
// the confirmed state back through an exposed binding.
import fs from "node:fs";
import path from "node:path";

import { connectOperator, launchBrowser, loadEndpoints, login, newPage, subscribe } from "./support.mjs";

const moves = Number(process.argv[2] || 50);
const endpoints = loadEndpoints();
if (!endpoints) {
  console.error("set LAMPI_ENDPOINTS to a running platform's endpoints.json");
  process.exit(2);
}
const base = endpoints.cloud.http.url;
const lamp = endpoints.lamps[0];
const sel = `li.lamp[data-device-id="${lamp.device_id}"]`;

const browser = await launchBrowser();
// An operator on the plain MQTT listener splits the return path: when the cloud
// broker has the lamp's changed, against when the page has it over WebSocket.
const operator = await connectOperator(endpoints);
try {
  let cloudSeen = null;
  operator.on("message", (_topic, payload) => cloudSeen?.(JSON.parse(payload.toString()).brightness));
  await subscribe(operator, `devices/${lamp.device_id}/lamp/changed`);
  const { page } = await newPage(browser, { baseUrl: base });
  await login(page, base, endpoints.demo);
  await page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 10000 });
  await page.waitForSelector(`${sel} [data-control="brightness"]:not([disabled])`, { timeout: 10000 });
  if (!(await page.isChecked(`${sel} [data-control="on"]`))) {
    await page.click(`${sel} .power`);
    await page.waitForFunction((s) => JSON.parse(document.querySelector(s).dataset.state).on, sel);
  }

  // The page tells us when a confirmed brightness lands in data-state.
  let pageSeen = null;
  await page.exposeFunction("__lampiBenchSeen", (b) => pageSeen?.(b));
  await page.evaluate((s) => {
    const li = document.querySelector(s);
    new MutationObserver(() => {
      const state = JSON.parse(li.dataset.state);
      window.__lampiBenchSeen(state.brightness);
    }).observe(li, { attributes: true, attributeFilter: ["data-state"] });
  }, sel);

  let ledSeen = null;
  const dutyFile = lamp.led_duty_file;
  const watcher = fs.watch(path.dirname(dutyFile), () => ledSeen?.());

  const led = [];
  const cloud = [];
  const round = [];
  for (let i = 0; i < moves; i++) {
    // Alternate between two ranges so every move changes the lamp.
    const value = Number(((i % 2 ? 0.2 : 0.8) + (i % 10) * 0.01).toFixed(3));
    const peak = Math.pow(value, 2.2);
    let t0 = 0;
    const ledAt = new Promise((resolve) => {
      ledSeen = () => {
        try {
          const duty = fs.readFileSync(dutyFile, "utf8").trim().split(/\s+/).map(Number);
          if (Math.abs(Math.max(...duty) - peak) < 1e-3) resolve(performance.now());
        } catch {
          // mid-rename: the next event will tell
        }
      };
    });
    const pageAt = new Promise((resolve) => {
      pageSeen = (b) => {
        if (Math.abs(b - value) < 1e-6) resolve(performance.now());
      };
    });
    const cloudAt = new Promise((resolve) => {
      cloudSeen = (b) => {
        if (Math.abs(b - value) < 1e-6) resolve(performance.now());
      };
    });
    t0 = performance.now();
    await page.$eval(
      `${sel} [data-control="brightness"]`,
      (el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      },
      value
    );
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`move ${i} to ${value} timed out`)), 5000));
    const [tLed, tCloud, tPage] = await Promise.race([Promise.all([ledAt, cloudAt, pageAt]), timeout]);
    led.push(tLed - t0);
    cloud.push(tCloud - t0);
    round.push(tPage - t0);
    await new Promise((r) => setTimeout(r, 30));
  }
  watcher.close();

  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const line = (name, xs) =>
    `${name.padEnd(32)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms   max ${Math.max(...xs).toFixed(1).padStart(6)} ms`;
  console.log(`control page round trip over ${moves} slider moves (loopback, ${endpoints.cloud.websocket?.url || "ws"})`);
  console.log(line("slider -> lamp LED", led));
  console.log(line("slider -> lamp -> cloud broker", cloud));
  console.log(line("slider -> lamp -> page", round));
} finally {
  operator.end(true);
  await browser.close();
}
