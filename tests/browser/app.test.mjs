// The control page as an installable app and as the phone's way to a lamp nearby,
// in Chromium against the running platform:
// - the manifest is linked and has what installing needs (Chromium's own parse
//   through the DevTools protocol, and every icon at its size);
// - the service worker registers and activates with scope "/", takes the page,
//   and, with the browser offline, the shell (script, styles) comes from its cache
//   and a page visit gets the offline page, while the API is never cached;
// - "Control nearby lamp over Bluetooth" stays hidden without Web Bluetooth (as in
//   this Chromium); with a fake navigator.bluetooth that plays the lamp's GATT
//   service, the lamp's card appears and its controls write the right bytes to
//   the right characteristic, and failures are said in plain words. The section
//   passes axe with no serious or critical violation.
// No real Bluetooth: this machine has no controller (src/ble/README.md).
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/app.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { audit, launchBrowser, loadEndpoints, login, newPage, waitUntil } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

const SERVICE = "4c414d50-6900-4c50-8000-000000000001";
const UUID = {
  colour: "4c414d50-6900-4c50-8000-000000000002",
  brightness: "4c414d50-6900-4c50-8000-000000000003",
  power: "4c414d50-6900-4c50-8000-000000000004",
  deviceId: "4c414d50-6900-4c50-8000-000000000005",
};

// Runs in the page before its scripts: a navigator.bluetooth whose one lamp
// (on, hue 0.5, saturation 1, brightness 0.25) records every write in
// window.__bleWrites and notifies it back, as lampi-ble does after lampid's
// lamp/changed. window.__bleNext.refuse / .cancel make the next write or
// chooser fail as a browser reports it.
function fakeBluetooth({ uuids, service }) {
  const writes = [];
  const next = { refuse: null, cancel: false };
  window.__bleWrites = writes;
  window.__bleNext = next;
  const initial = {
    [uuids.colour]: [0x00, 0x80, 0xff, 0xff],
    [uuids.brightness]: [0x00, 0x40],
    [uuids.power]: [1],
    [uuids.deviceId]: Array.from("b827eb74663e", (c) => c.charCodeAt(0)),
  };
  const characteristic = (uuid) => {
    const c = new EventTarget();
    c.uuid = uuid;
    c.value = new DataView(Uint8Array.from(initial[uuid]).buffer);
    c.readValue = async () => c.value;
    c.startNotifications = async () => c;
    c.writeValueWithResponse = async (bytes) => {
      const list = Array.from(new Uint8Array(bytes.buffer || bytes, bytes.byteOffset || 0, bytes.byteLength));
      if (next.refuse) {
        const err = new DOMException(next.refuse, "NotSupportedError");
        next.refuse = null;
        throw err;
      }
      writes.push({ uuid, bytes: list });
      c.value = new DataView(Uint8Array.from(list).buffer);
      setTimeout(() => c.dispatchEvent(new Event("characteristicvaluechanged")), 5);
    };
    return c;
  };
  const characteristics = Object.fromEntries(Object.values(uuids).map((u) => [u, characteristic(u)]));
  // The event's target is the characteristic, as in the browser.
  for (const c of Object.values(characteristics)) {
    const dispatch = c.dispatchEvent.bind(c);
    c.dispatchEvent = (event) => {
      Object.defineProperty(event, "target", { value: c });
      return dispatch(event);
    };
  }
  const device = new EventTarget();
  device.name = "LAMPi b827eb74663e";
  device.gatt = {
    connected: false,
    connect: async () => {
      device.gatt.connected = true;
      return {
        getPrimaryService: async (uuid) => {
          if (uuid !== service) throw new DOMException("No Services matching UUID found in Device.", "NotFoundError");
          return { getCharacteristic: async (u) => characteristics[u] };
        },
      };
    },
    disconnect: () => {
      device.gatt.connected = false;
      device.dispatchEvent(new Event("gattserverdisconnected"));
    },
  };
  window.__bleDevice = device;
  const bluetooth = {
    requestDevice: async (options) => {
      window.__bleRequest = options;
      if (next.cancel) {
        next.cancel = false;
        throw new DOMException("User cancelled the requestDevice() chooser.", "NotFoundError");
      }
      return device;
    },
  };
  Object.defineProperty(Navigator.prototype, "bluetooth", { get: () => bluetooth, configurable: true });
}

describe("installable app and nearby lamp", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  let browser;
  let plain; // {context, page, problems}: Chromium as it is, without Web Bluetooth
  let withBle; // the same with the fake navigator.bluetooth

  before(async () => {
    browser = await launchBrowser();
    plain = await newPage(browser, { baseUrl: base, viewport: { width: 375, height: 740 } });
    await login(plain.page, base, endpoints.demo);
    withBle = await newPage(browser, { baseUrl: base, viewport: { width: 375, height: 740 } });
    await withBle.context.addInitScript(fakeBluetooth, { uuids: UUID, service: SERVICE });
    await login(withBle.page, base, endpoints.demo);
  });

  after(async () => {
    await plain?.context.close();
    await withBle?.context.close();
    await browser?.close();
  });

  test("the page links a manifest with what installing needs, and its icons", async () => {
    const { page, context } = plain;
    const href = await page.getAttribute('link[rel="manifest"]', "href");
    assert.equal(href, "/static/manifest.webmanifest");
    const answer = await context.request.get(base + href);
    assert.equal(answer.status(), 200);
    assert.equal(answer.headers()["content-type"], "application/manifest+json");
    const manifest = await answer.json();
    assert.equal(manifest.name, "LAMPi");
    assert.ok(manifest.short_name);
    assert.equal(manifest.start_url, "/");
    assert.equal(manifest.scope, "/");
    assert.equal(manifest.display, "standalone");
    // The header's colour in the light theme, as the page's theme-color says.
    assert.equal(await page.getAttribute('meta[name="theme-color"][media*="light"]', "content"), manifest.theme_color);
    assert.match(manifest.background_color, /^#[0-9a-f]{6}$/);

    // Chromium's own reading of it.
    const cdp = await context.newCDPSession(page);
    const parsed = await cdp.send("Page.getAppManifest");
    assert.equal(parsed.url, base + href);
    assert.deepEqual(parsed.errors, [], JSON.stringify(parsed.errors));
    // Nothing keeps it from being installed but the test's own throwaway profile.
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors.map((e) => e.errorId), ["in-incognito"]);

    const pngSize = (buffer) => [buffer.readUInt32BE(16), buffer.readUInt32BE(20)];
    const icons = manifest.icons.filter((i) => i.type === "image/png");
    for (const size of [192, 512]) {
      assert.ok(icons.some((i) => i.sizes === `${size}x${size}` && i.purpose.includes("any")), `a ${size} px icon`);
    }
    assert.ok(icons.some((i) => i.purpose.includes("maskable")), "a maskable icon");
    const apple = await page.getAttribute('link[rel="apple-touch-icon"]', "href");
    for (const { src, sizes } of [...icons, { src: apple, sizes: "180x180" }]) {
      const icon = await context.request.get(base + src);
      assert.equal(icon.status(), 200, src);
      assert.equal(icon.headers()["content-type"], "image/png", src);
      assert.deepEqual(pngSize(await icon.body()), sizes.split("x").map(Number), src);
    }
  });

  test("the service worker registers and activates with scope / and takes the page", async () => {
    const { page, context } = plain;
    const worker = await context.request.get(`${base}/sw.js`);
    assert.equal(worker.status(), 200);
    assert.match(worker.headers()["content-type"], /^text\/javascript/);
    assert.equal(worker.headers()["cache-control"], "no-cache");
    assert.doesNotMatch(await worker.text(), /__SHELL_VERSION__/, "the build stamped its version");

    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      return { scope: r.scope, state: r.active.state, script: r.active.scriptURL };
    });
    assert.deepEqual(registration, { scope: `${base}/`, state: "activated", script: `${base}/sw.js` });
    await waitUntil(() => page.evaluate(() => navigator.serviceWorker.controller !== null), 5000, "the worker to take the page");
    // One cache, of this version, holding the shell only: no page with the lamps or a token, no API.
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const urls = [];
      for (const name of names) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
      return { names, urls: urls.sort() };
    });
    assert.equal(cached.names.length, 1, cached.names.join());
    assert.match(cached.names[0], /^lampi-shell-[0-9a-f]{16}$/);
    for (const path of ["/offline/", "/static/icon-192.png"]) assert.ok(cached.urls.includes(path), `${path} in ${cached.urls}`);
    // The script and stylesheet under the content-hashed names the pages link.
    for (const name of [/^\/static\/lampi\.[0-9a-f]{10}\.js$/, /^\/static\/lampi\.[0-9a-f]{10}\.css$/])
      assert.ok(cached.urls.some((path) => name.test(path)), `${name} in ${cached.urls}`);
    for (const path of cached.urls) assert.ok(path === "/offline/" || path.startsWith("/static/"), `${path} is cached`);
  });

  test("offline, the shell comes from the cache and a visit gets the offline page", async () => {
    const { page, context } = withBle;
    await page.evaluate(() => navigator.serviceWorker.ready);
    await waitUntil(() => page.evaluate(() => navigator.serviceWorker.controller !== null), 5000, "the worker to take the page");
    const served = new Map();
    const seen = (r) => served.set(new URL(r.url()).pathname, { status: r.status(), fromWorker: r.fromServiceWorker() });
    page.on("response", seen);
    await context.setOffline(true);
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector("text=You are offline");
      const shell = [...served.keys()].filter((path) => /^\/static\/lampi\.[0-9a-f]{10}\.(js|css)$/.test(path));
      assert.equal(shell.length, 2, `the hashed script and stylesheet in ${[...served.keys()]}`);
      for (const path of ["/", ...shell]) {
        assert.deepEqual(served.get(path), { status: 200, fromWorker: true }, path);
      }
      // The styles apply and the script runs: it shows the nearby lamp's button.
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(246, 245, 242)");
      assert.ok(await page.isVisible("#nearby button.nearby-connect"));
      // The API is never answered from the cache.
      assert.equal(await page.evaluate(() => fetch("/api/v1/lamps").then(() => "answered", () => "failed")), "failed");
    } finally {
      page.off("response", seen);
      await context.setOffline(false);
    }
    await page.goto(`${base}/`);
    await page.waitForSelector("#lamps");
  });

  test("without Web Bluetooth there is no Bluetooth button", async () => {
    const { page } = plain;
    await page.goto(`${base}/`);
    await page.waitForSelector("#lamps");
    assert.equal(await page.evaluate(() => "bluetooth" in navigator), false, "this Chromium has no Web Bluetooth");
    assert.equal(await page.$eval("#nearby", (s) => s.hidden), true);
    assert.equal(await page.isVisible("text=Control nearby lamp over Bluetooth"), false);
  });

  test("a nearby lamp's controls write the lamp's bytes to its characteristics", async () => {
    const { page } = withBle;
    const card = 'li.lamp[data-device-id="nearby-b827eb74663e"]';
    const writes = () => page.evaluate(() => window.__bleWrites.splice(0));
    const lastWrite = async (uuid) => {
      const list = await waitUntil(async () => {
        const w = (await page.evaluate(() => window.__bleWrites.slice())).filter((x) => x.uuid === uuid);
        return w.length ? w : null;
      }, 3000, `a write to ${uuid}`);
      return list[list.length - 1].bytes;
    };
    const button = page.getByRole("button", { name: "Control nearby lamp over Bluetooth" });
    assert.ok(await button.isVisible());

    await page.evaluate(() => (window.__bleNext.cancel = true));
    await button.click();
    await page.waitForSelector('#nearby .nearby-status >> text="No lamp was chosen."');

    await button.click();
    await page.waitForSelector(`${card} [data-control="brightness"]:not([disabled])`);
    assert.deepEqual(await page.evaluate(() => window.__bleRequest), { filters: [{ services: [SERVICE] }] });
    assert.match(await page.textContent("#nearby .nearby-status"), /Connected to LAMPi b827eb74663e/);
    // The lamp's state as read: on, brightness 0.25 (00 40), hue 0.5 and saturation 1 (00 80 ff ff).
    assert.equal(await page.isChecked(`${card} [data-control="on"]`), true);
    assert.equal(await page.textContent(`${card} .slider.brightness output`), "25%");

    await writes();
    await page.fill(`${card} [data-control="brightness"]`, "0.25");
    await page.fill(`${card} [data-control="brightness"]`, "0.75");
    assert.deepEqual(await lastWrite(UUID.brightness), [0xff, 0xbf]); // round(0.75 × 65535) = 49151
    await page.fill(`${card} [data-control="hue"]`, "0");
    assert.deepEqual(await lastWrite(UUID.colour), [0x00, 0x00, 0xff, 0xff], "the hue, with the saturation it had");
    await page.click(`${card} .power`);
    assert.deepEqual(await lastWrite(UUID.power), [0]);
    const all = await writes();
    assert.ok(all.every((w) => w.uuid !== UUID.deviceId), "the device id is never written");
    assert.deepEqual(new Set(all.map((w) => w.uuid)), new Set([UUID.brightness, UUID.colour, UUID.power]));
    // The lamp's notifications confirm each change: no failure is shown.
    await page.waitForTimeout(300);
    assert.equal(await page.isVisible(`${card} .command-error`), false);

    // A write the lamp refuses because it cannot reach lampid (ATT 0x81).
    await page.evaluate(() => (window.__bleNext.refuse = "GATT operation failed: 0x81"));
    await page.click(`${card} .power`);
    await page.waitForSelector("#nearby .nearby-status >> text=/lamp not reachable/");
    await page.waitForSelector(`${card} .command-error >> text="The change did not reach the lamp."`);

    // The link drops: the card goes and the page says so.
    await page.evaluate(() => window.__bleDevice.gatt.disconnect());
    await page.waitForSelector(card, { state: "detached" });
    assert.match(await page.textContent("#nearby .nearby-status"), /disconnected/);
  });

  test("the nearby lamp section passes axe in both themes", async () => {
    const { page } = withBle;
    await page.click("#nearby button.nearby-connect");
    await page.waitForSelector('li.lamp[data-device-id="nearby-b827eb74663e"]');
    const serious = [];
    for (const theme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: theme });
      for (const v of await audit(page))
        if (v.impact === "serious" || v.impact === "critical") serious.push(`${theme}: ${v.id} ${v.help} at ${v.targets}`);
    }
    assert.deepEqual(serious, [], serious.join("\n"));
  });

  test("no CSP violation or page error", () => {
    assert.deepEqual(plain.problems, []);
    // Offline, Chromium logs the API fetch the test makes (and any of the page's own
    // before it leaves) as failed to load; nothing else may show.
    const offline = "console error: Failed to load resource: net::ERR_INTERNET_DISCONNECTED";
    assert.deepEqual(withBle.problems.filter((p) => p !== offline), []);
  });
});
