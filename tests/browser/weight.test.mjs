// The control page's weight: what a first visit (empty cache) transfers for the page
// of a logged-in person with lamps, compressed as Chromium receives it: the HTML and
// every script, stylesheet, icon and manifest it loads (mqtt.js, which the page
// script loads, included), plus the manifest's icons and the service worker when
// the page itself did not fetch them (then fetched with Accept-Encoding: br). The
// API's answers and the broker's WebSocket are data, not weight. The total must stay
// under 150 KB; the figure and each file's share are printed. Both scripts come
// under their content-hashed names, served as immutable.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/weight.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { launchBrowser, loadEndpoints, login, newPage } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";
const BUDGET_BYTES = 150 * 1000;

describe("the control page's weight", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  let browser;
  let visit;

  // Opens as every page's test does (support.mjs); only this one visit is weighed.
  before(async () => {
    browser = await launchBrowser();
    visit = await newPage(browser, { baseUrl: base });
    await login(visit.page, base, endpoints.demo);
  });

  after(async () => {
    await visit?.context.close();
    await browser?.close();
  });

  test("a first visit transfers under 150 KB, compressed", async () => {
    const { page, context } = visit;
    // A context of its own logged in with the same session: no HTTP cache, no worker yet.
    const cookies = await context.cookies();
    const fresh = await browser.newContext({ ignoreHTTPSErrors: base.startsWith("https:") });
    await fresh.addCookies(cookies);
    const first = await fresh.newPage();
    const loads = [];
    const counted = async (request) => {
      const url = new URL(request.url());
      if (url.origin !== new URL(base).origin || url.pathname.startsWith("/api/")) return;
      const response = await request.response();
      const sizes = await request.sizes();
      // No size known (Chromium says -1 or less): fetched below instead.
      if (sizes.responseBodySize < 0) return;
      loads.push({
        path: url.pathname,
        bytes: sizes.responseBodySize,
        encoding: response?.headers()["content-encoding"] || "identity",
        cacheControl: response?.headers()["cache-control"] || "",
      });
    };
    first.on("requestfinished", counted);
    await first.goto(`${base}/`);
    await first.waitForSelector('#lamps[data-connection="connected"]', { timeout: 15000 });
    await first.waitForLoadState("networkidle");
    first.off("requestfinished", counted);

    // What the page names but a headless visit may not fetch: the manifest, its icons,
    // the touch icon, the service worker.
    const named = await first.evaluate(async () => {
      const links = [...document.querySelectorAll('link[rel="manifest"], link[rel="icon"], link[rel="apple-touch-icon"]')];
      const paths = links.map((l) => new URL(l.href).pathname);
      const manifest = document.querySelector('link[rel="manifest"]');
      const icons = manifest ? (await (await fetch(manifest.href)).json()).icons || [] : [];
      return [...paths, ...icons.map((i) => new URL(i.src, manifest.href).pathname), "/sw.js"];
    });
    for (const path of new Set(named)) {
      if (loads.some((l) => l.path === path)) continue;
      const r = await fresh.request.get(`${base}${path}`, { headers: { "Accept-Encoding": "br" } });
      assert.equal(r.status(), 200, path);
      const length = Number(r.headers()["content-length"]);
      assert.ok(length > 0, `${path} has a Content-Length`);
      loads.push({ path, bytes: length, encoding: r.headers()["content-encoding"] || "identity", fetched: true });
    }
    await fresh.close();

    const seen = new Map();
    for (const l of loads) if (!seen.has(l.path)) seen.set(l.path, l);
    const total = [...seen.values()].reduce((sum, l) => sum + l.bytes, 0);
    console.log(`control page weight: ${total} bytes (${(total / 1000).toFixed(1)} KB) of ${BUDGET_BYTES} budget`);
    for (const l of [...seen.values()].sort((a, b) => b.bytes - a.bytes))
      console.log(`  ${String(l.bytes).padStart(7)}  ${l.encoding.padEnd(8)} ${l.path}${l.fetched ? " (fetched)" : ""}`);
    for (const must of ["/", "/static/manifest.webmanifest"]) assert.ok(seen.has(must), `${must} is counted`);
    // The page's scripts under their content-hashed names, which browsers keep for ever.
    for (const [what, name] of [
      ["the page's script", /^\/static\/lampi\.[0-9a-f]{10}\.js$/],
      ["mqtt.js", /^\/static\/mqtt\.min\.[0-9a-f]{10}\.js$/],
    ]) {
      const load = [...seen.values()].find((l) => name.test(l.path));
      assert.ok(load, `${what} is counted under a hashed name`);
      assert.equal(load.cacheControl, "public, max-age=31536000, immutable", `${load.path} is immutable`);
    }
    assert.ok(!seen.has("/static/mqtt.min.js"), "mqtt.js is not loaded under its plain name");
    assert.ok(total < BUDGET_BYTES, `the control page weighs ${total} bytes, over the ${BUDGET_BYTES}-byte budget`);
  });
});
