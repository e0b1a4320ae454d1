// The live control page in headless Chromium against a running platform.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_ARTIFACTS=<dir>] \
//   [LAMPI_NODE_MODULES=<build>/web/node_modules] node --test tests/browser/
//
// The page runs under the Content-Security-Policy lampi-cloud sends (checked to
// be strict here) and must raise no CSP violation, page error or console error. The lamps are real lampid processes with the simulated LED: what
// the page does is checked on the LED's duty file and on the cloud broker.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import {
  LampWatch,
  artifactsDir,
  connectOperator,
  connectWithCredential,
  dragSlider,
  expectedDuty,
  launchBrowser,
  loadEndpoints,
  login,
  near,
  newPage,
  pageCredential,
  readDuty,
  setConfig,
  subscribe,
  waitUntil,
} from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

// Records, in the page, when it sends an MQTT message to a lamp's set_config
// (performance.now()), in window.__lampiSetConfigSends: the throttle's spacing as sent.
async function recordSetConfigSends(context) {
  await context.addInitScript(() => {
    const sends = [];
    window.__lampiSetConfigSends = sends;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : null;
      if (bytes) {
        let text = "";
        for (const b of bytes) text += String.fromCharCode(b);
        const now = performance.now();
        for (let at = text.indexOf("/set_config"); at >= 0; at = text.indexOf("/set_config", at + 1)) sends.push(now);
      }
      return send.call(this, data);
    };
  });
}

describe("control page", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  const lamp = endpoints?.lamps[0];
  const lampSel = `li.lamp[data-device-id="${lamp?.device_id}"]`;
  const OPERATOR = "browser-test-operator";
  let browser;
  let operator;
  let watch;
  let demo; // {context, page, problems}
  let demoLampIds = [];

  // What the page shows for lamp 1: its controls and the last lamp/changed it took.
  const shown = (page) =>
    page.$eval(lampSel, (li) => {
      const q = (k) => li.querySelector(`[data-control="${k}"]`);
      return {
        on: q("on").checked,
        hue: Number(q("hue").value),
        saturation: Number(q("saturation").value),
        brightness: Number(q("brightness").value),
        brightnessText: li.querySelector(".slider.brightness output").textContent,
        online: li.dataset.online,
        badge: li.querySelector(".badge").textContent,
        state: li.dataset.state ? JSON.parse(li.dataset.state) : null,
        disabled: q("brightness").disabled,
      };
    });

  // Lamp 1's health as lampid would report it, published by the operator.
  const publishHealth = (health) =>
    new Promise((resolve, reject) =>
      operator.publish(`devices/${lamp.device_id}/lamp/health`, JSON.stringify(health), { qos: 1 }, (e) =>
        e ? reject(e) : resolve()
      )
    );

  // The LED shows `state` (to the duty file's 6 decimals).
  const ledShows = (state) => {
    const duty = readDuty(lamp.led_duty_file);
    const want = expectedDuty(state);
    return duty.every((d, i) => Math.abs(d - want[i]) < 1e-3);
  };

  before(async () => {
    browser = await launchBrowser();
    operator = await connectOperator(endpoints);
    watch = await LampWatch.start(
      operator,
      endpoints.lamps.map((l) => l.device_id)
    );
    await watch.waitFor(lamp.device_id, () => true, 5000, "the retained state");
  });

  after(async () => {
    await demo?.context.close();
    await browser?.close();
    operator?.end(true);
  });

  test("the demo user logs in through the form and sees their lamps, live", async () => {
    demo = await newPage(browser, { baseUrl: base });
    await recordSetConfigSends(demo.context);
    const { page } = demo;
    // The server's own policy: no inline code, no eval, WebSocket only to the broker.
    const policy = (await page.request.get(`${base}/accounts/login/`)).headers()["content-security-policy"] || "";
    assert.match(policy, /script-src 'self';/, `a strict script-src (got "${policy}")`);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/, `no unsafe-* in "${policy}"`);
    assert.ok(policy.includes(new URL(endpoints.cloud.websocket.url).origin), `connect-src names the broker: "${policy}"`);
    await login(page, base, endpoints.demo);
    demoLampIds = await page.$$eval("li.lamp", (lis) => lis.map((li) => li.dataset.deviceId));
    assert.ok(demoLampIds.includes(lamp.device_id), `lamp ${lamp.device_id} is listed (got ${demoLampIds})`);
    await page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 10000 });
    await page.waitForSelector(`${lampSel}[data-online="true"] [data-control="brightness"]:not([disabled])`, {
      timeout: 10000,
    });
    const s = await shown(page);
    const truth = watch.state(lamp.device_id);
    assert.equal(s.badge, "online");
    assert.equal(s.state.version, truth.version, "the page holds the lamp's latest version");
    assert.equal(s.on, truth.on);
    assert.ok(near(s.brightness, truth.brightness), `brightness ${s.brightness} vs lamp ${truth.brightness}`);
    const status = await page.textContent(".conn-status");
    assert.match(status, /live/i);
  });

  test("the power switch turns the lamp on and off", async () => {
    const { page } = demo;
    const tag = await page.getAttribute("#lamps", "data-client-tag");
    assert.match(tag, /^web-[0-9a-f]+$/);
    for (let i = 0; i < 2; i++) {
      const before = watch.state(lamp.device_id);
      await page.click(`${lampSel} .power`);
      const after = await watch.waitFor(
        lamp.device_id,
        (s) => s.on === !before.on && s.version > before.version,
        5000,
        `on=${!before.on}`
      );
      assert.equal(after.client, tag, "the change is attributed to this page");
      await waitUntil(() => ledShows(after), 3000, `the LED to show on=${after.on}`);
      assert.equal((await shown(page)).on, after.on);
    }
    if (!watch.state(lamp.device_id).on) {
      await page.click(`${lampSel} .power`);
      await watch.waitFor(lamp.device_id, (s) => s.on, 5000, "on=true");
    }
  });

  test("dragging the brightness slider sets the lamp, throttled, ending on the final value", async () => {
    const { page } = demo;
    const start = watch.state(lamp.device_id);
    const target = start.brightness > 0.5 ? 0.15 : 0.85;
    const firstSetConfig = watch.setConfigs.length;
    const firstPageSend = await page.evaluate(() => window.__lampiSetConfigSends.length);
    const t0 = performance.now();
    const value = await dragSlider(page, `${lampSel} [data-control="brightness"]`, target, 25);
    const dragMs = performance.now() - t0;
    assert.ok(near(value, target, 0.05), `the slider reached ${value}, near ${target}`);
    const final = await watch.waitFor(lamp.device_id, (s) => near(s.brightness, value, 0.0015), 5000, `brightness ${value}`);
    assert.equal(final.on, true);
    await waitUntil(() => ledShows(final), 3000, `the LED to show brightness ${value}`);
    const duty = readDuty(lamp.led_duty_file);
    assert.ok(near(Math.max(...duty), Math.pow(value, 2.2), 1e-3), `LED peak ${Math.max(...duty)} = ${value}^2.2`);

    // Throttled to ~10/s while moving, and the last message carries the release value.
    await new Promise((r) => setTimeout(r, 300));
    const sent = watch.setConfigs.slice(firstSetConfig).filter((m) => m.id === lamp.device_id);
    assert.ok(sent.length >= 1, "set_config was published");
    assert.ok(
      sent.length <= Math.ceil(dragMs / 100) + 2,
      `${sent.length} set_config messages in a ${dragMs.toFixed(0)} ms drag is more than ~10/s`
    );
    // Spacing as the page handed them to its WebSocket (arrival times here carry the relay's,
    // the broker's and this process's delays: on a loaded machine a stall delivered four at
    // once). The page's own writes jitter too (one gap of 72 ms was seen), so over any run of
    // messages but the release, k gaps take at least k x 100 ms, less one jitter allowance.
    const jitterMs = 250;
    const pageSends = (await page.evaluate(() => window.__lampiSetConfigSends.slice())).slice(firstPageSend);
    assert.equal(pageSends.length, sent.length, "the page's set_config sends are those the broker saw");
    for (let i = 0; i < pageSends.length - 1; i++) {
      for (let j = i + 1; j < pageSends.length - 1; j++) {
        const span = pageSends[j] - pageSends[i];
        assert.ok(span >= (j - i) * 100 - jitterMs, `the page sent messages ${i} to ${j} within ${span.toFixed(0)} ms: more than ~10/s`);
      }
    }
    const last = sent[sent.length - 1].payload;
    assert.ok(near(last.brightness, value, 1e-9), `last set_config ${JSON.stringify(last)} carries ${value}`);
    assert.match(last.client, /^web-/);

    // The page settles on the lamp's confirmed state.
    await waitUntil(async () => (await shown(page)).state.version >= final.version, 3000, "the page to take the final state");
    const s = await shown(page);
    assert.ok(near(s.brightness, value), `slider shows ${s.brightness}`);
    assert.equal(s.brightnessText, `${Math.round(value * 100)}%`);
  });

  test("hue and saturation sliders set the lamp's colour", async () => {
    const { page } = demo;
    const hue = await dragSlider(page, `${lampSel} [data-control="hue"]`, 0.66, 8);
    const sat = await dragSlider(page, `${lampSel} [data-control="saturation"]`, 0.9, 8);
    const final = await watch.waitFor(
      lamp.device_id,
      (s) => near(s.color.h, hue, 0.0015) && near(s.color.s, sat, 0.0015),
      5000,
      `colour h=${hue} s=${sat}`
    );
    await waitUntil(() => ledShows(final), 3000, "the LED to show the colour");
  });

  // Known HSV -> RGB values, worked out by hand from the HSV definition (the
  // hexcone: the hue picks a sextant, V is the largest channel, V(1-S) the
  // smallest), not from lampid's code. The LED drives each channel to c^2.2.
  const KNOWN_COLOURS = [
    { h: 0, s: 1, v: 1, rgb: [1, 0, 0] }, // red
    { h: 1 / 6, s: 1, v: 1, rgb: [1, 1, 0] }, // yellow
    { h: 1 / 3, s: 1, v: 1, rgb: [0, 1, 0] }, // green
    { h: 0.5, s: 0.5, v: 1, rgb: [0.5, 1, 1] }, // light cyan (128, 255, 255)
    { h: 2 / 3, s: 1, v: 1, rgb: [0, 0, 1] }, // blue
    { h: 5 / 6, s: 1, v: 0.5, rgb: [0.5, 0, 0.5] }, // purple (128, 0, 128)
    { h: 0.25, s: 0, v: 0.5, rgb: [0.5, 0.5, 0.5] }, // grey: no saturation, any hue
  ];

  test("the LED shows the known colours of the HSV table", async () => {
    for (const c of KNOWN_COLOURS) {
      const want = c.rgb.map((x) => Math.pow(x, 2.2));
      // The page's own oracle (expectedDuty) must agree with the table too.
      const port = expectedDuty({ on: true, color: { h: c.h, s: c.s }, brightness: c.v });
      assert.ok(port.every((d, i) => Math.abs(d - want[i]) < 1e-6), `expectedDuty(${c.h}, ${c.s}, ${c.v}) = ${port}`);
      const before = watch.state(lamp.device_id);
      await setConfig(operator, lamp.device_id, { on: true, color: { h: c.h, s: c.s }, brightness: c.v, client: OPERATOR });
      await watch.waitFor(
        lamp.device_id,
        (s) => s.version > before.version && near(s.color.h, c.h, 1e-4) && near(s.brightness, c.v, 1e-4),
        5000,
        `the lamp to take h=${c.h} s=${c.s} v=${c.v}`
      );
      await waitUntil(
        () => readDuty(lamp.led_duty_file).every((d, i) => Math.abs(d - want[i]) < 1e-3),
        3000,
        `the LED to show RGB ${c.rgb} for h=${c.h} s=${c.s} v=${c.v} (duty ${readDuty(lamp.led_duty_file)})`
      );
    }
  });

  test("a change made elsewhere shows on the page within seconds", async () => {
    const { page } = demo;
    const before = watch.state(lamp.device_id);
    const want = { on: true, color: { h: 0.25, s: 0.5 }, brightness: before.brightness > 0.5 ? 0.3 : 0.7 };
    await setConfig(operator, lamp.device_id, { ...want, client: OPERATOR });
    const changed = await watch.waitFor(lamp.device_id, (s) => s.client === OPERATOR && s.version > before.version);
    const t0 = Date.now();
    await waitUntil(
      async () => {
        const s = await shown(page);
        return s.state.version >= changed.version && near(s.brightness, want.brightness) && near(s.hue, 0.25) && near(s.saturation, 0.5) && s.on;
      },
      3000,
      "the page to show the operator's change"
    );
    const s = await shown(page);
    assert.equal(s.brightnessText, `${Math.round(want.brightness * 100)}%`);
    assert.ok(Date.now() - t0 < 3000);

    await setConfig(operator, lamp.device_id, { on: false, client: OPERATOR });
    await waitUntil(async () => (await shown(page)).on === false, 3000, "the switch to show off");
    await setConfig(operator, lamp.device_id, { on: true, client: OPERATOR });
    await waitUntil(async () => (await shown(page)).on === true, 3000, "the switch to show on");
  });

  test("a lamp that reports it cannot save says so on its card, and clears when it recovers", async () => {
    const { page } = demo;
    await publishHealth({ durable: false, led: true, error: "state directory is read-only" });
    await waitUntil(async () => (await shown(page)).badge.includes("not saving"), 3000, "the card to say the lamp is not saving");
    const title = await page.$eval(`${lampSel} .badge`, (b) => b.title);
    assert.match(title, /cannot save/);
    assert.match(title, /read-only/);
    await publishHealth({ durable: true, led: true });
    await waitUntil(async () => (await shown(page)).badge === "online", 3000, "the card to say online again");
  });

  test("an out-of-order lamp/changed is ignored", async () => {
    const { page } = demo;
    const current = (await shown(page)).state;
    // Replayed on the broker as a non-retained message: older version, different values.
    const stale = { ...current, brightness: current.brightness > 0.5 ? 0.05 : 0.95, version: current.version - 1 };
    await new Promise((resolve, reject) =>
      operator.publish(`devices/${lamp.device_id}/lamp/changed`, JSON.stringify(stale), { qos: 1 }, (e) =>
        e ? reject(e) : resolve()
      )
    );
    // A marker after it on the same connection: once the card shows the marker, the
    // page has handled the stale message too (the broker and the relay keep order).
    await publishHealth({ durable: false, led: true, error: "marker after a stale state" });
    await waitUntil(async () => (await shown(page)).badge.includes("not saving"), 5000, "the marker on the card");
    const s = await shown(page);
    assert.equal(s.state.version, current.version);
    assert.ok(near(s.brightness, current.brightness), "the stale brightness was not shown");
    await publishHealth({ durable: true, led: true });
    await waitUntil(async () => (await shown(page)).badge === "online", 5000, "the card to say online again");
  });

  test("the layout fits a phone and a desktop", async () => {
    const { page } = demo;
    const dir = artifactsDir();
    for (const [width, height] of [
      [375, 800],
      [1280, 800],
    ]) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(100);
      const layout = await page.evaluate((sel) => {
        const li = document.querySelector(sel);
        const range = li.querySelector('[data-control="brightness"]').getBoundingClientRect();
        const power = li.querySelector(".power").getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          sliderHeight: range.height,
          sliderWidth: range.width,
          powerHeight: power.height,
        };
      }, lampSel);
      assert.ok(layout.scrollWidth <= width, `no sideways scrolling at ${width} px (content is ${layout.scrollWidth} px)`);
      assert.ok(layout.sliderHeight >= 40, `slider ${layout.sliderHeight} px high is too small to touch`);
      assert.ok(layout.powerHeight >= 40, `power switch ${layout.powerHeight} px high is too small to touch`);
      if (width === 375) assert.ok(layout.sliderWidth >= 250, `slider only ${layout.sliderWidth} px wide on a phone`);
      if (dir) await page.screenshot({ path: path.join(dir, `control-page-${width}x${height}.png`) });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("the page's own credential reads its lamp over the broker", async () => {
    const cred = await pageCredential(demo.page);
    assert.equal(cred.ws_url, "/mqtt", "the page reaches the broker through lampi-cloud's relay, on its own origin");
    const client = await connectWithCredential(cred, base, endpoints.ca);
    try {
      const got = new Promise((resolve) => client.on("message", (t, m) => resolve(JSON.parse(m.toString()))));
      const granted = await subscribe(client, `devices/${lamp.device_id}/lamp/changed`);
      assert.notEqual(granted[0].qos, 128, "the owner may subscribe");
      const state = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 3000))]);
      assert.ok(state && typeof state.version === "number", "the owner receives the retained state");
    } finally {
      client.end(true);
    }
  });

  test("a second user sees none of the demo lamps and cannot reach them over MQTT", async () => {
    const other = await newPage(browser, { baseUrl: base });
    try {
      await login(other.page, base, endpoints.second_user);
      const ids = await other.page.$$eval("li.lamp", (lis) => lis.map((li) => li.dataset.deviceId));
      const html = await other.page.content();
      for (const id of demoLampIds) {
        assert.ok(!ids.includes(id), `${endpoints.second_user.username} sees demo lamp ${id}`);
        assert.ok(!html.includes(id), `demo lamp id ${id} appears in ${endpoints.second_user.username}'s page`);
      }
      const api = await other.page.evaluate(async () => (await fetch("/api/v1/lamps")).json());
      for (const l of api.lamps) assert.ok(!demoLampIds.includes(l.device_id), "the JSON API lists a demo lamp");

      const cred = await pageCredential(other.page);
      const client = await connectWithCredential(cred, base, endpoints.ca);
      try {
        const received = [];
        client.on("message", (topic) => received.push(topic));
        const granted = await subscribe(client, [
          `devices/${lamp.device_id}/lamp/changed`,
          `devices/${lamp.device_id}/lamp/connection/+/state`,
          "devices/+/lamp/changed",
          "#",
        ]);
        for (const g of granted) assert.equal(g.qos, 128, `subscription to ${g.topic} was granted`);
        // Nor may it steer the demo lamp.
        const before = watch.state(lamp.device_id);
        const firstSetConfig = watch.setConfigs.length;
        await new Promise((resolve) =>
          client.publish(
            `devices/${lamp.device_id}/lamp/set_config`,
            JSON.stringify({ on: !before.on, client: "intruder" }),
            { qos: 1 },
            () => resolve()
          )
        );
        // The broker has ruled on it (PUBACK), so whatever it forwarded to the watcher
        // is queued there ahead of a marker sent now: once the marker arrives, the
        // intruder's command would have too. (A marker, not a wait that a slow machine outlasts.)
        const markerLamp = endpoints.lamps[endpoints.lamps.length - 1].device_id;
        await new Promise((resolve, reject) =>
          operator.publish(`devices/${markerLamp}/lamp/set_config`, JSON.stringify({ client: "browser-test-marker" }), { qos: 1 }, (e) =>
            e ? reject(e) : resolve()
          )
        );
        await waitUntil(
          () => watch.setConfigs.slice(firstSetConfig).some((m) => m.payload.client === "browser-test-marker"),
          10000,
          "the operator's marker set_config"
        );
        const forwarded = watch.setConfigs.slice(firstSetConfig).filter((m) => m.payload.client === "intruder");
        assert.deepEqual(forwarded, [], "the intruder's set_config reached the demo lamp's topic");
        assert.deepEqual(received, [], "no message of a demo lamp reached the second user");
        assert.equal(watch.state(lamp.device_id).version, before.version, "the demo lamp changed");
      } finally {
        client.end(true);
      }
      assert.deepEqual(other.problems, []);
    } finally {
      await other.context.close();
    }
  });

  // Runs when the platform hands out short-lived credentials (lampi up --credential-seconds,
  // CREDENTIAL_SECONDS, 20 s under ctest); with the default 15 minutes it would
  // take too long.
  test("the page renews its broker credential before it expires and stays live", async (t) => {
    const { page, credentials } = demo;
    const first = credentials[0];
    assert.ok(first, "the page fetched a broker credential");
    const lifetime = first.body.expires_at - first.at / 1000;
    if (lifetime > 60) {
      t.skip(`credentials live ${Math.round(lifetime)} s here; renewal is exercised with a lifetime of at most 60 s`);
      return;
    }
    const expiredAt = first.body.expires_at * 1000;
    await waitUntil(() => Date.now() > expiredAt + 3000, lifetime * 1000 + 10000, "the first credential to expire");
    assert.ok(credentials.length >= 2, "the page fetched a new credential");
    assert.ok(credentials[1].at < expiredAt, "the new credential came before the old one expired");
    assert.equal(await page.getAttribute("#lamps", "data-connection"), "connected");
    const before = watch.state(lamp.device_id);
    const brightness = before.brightness > 0.5 ? 0.25 : 0.75;
    await setConfig(operator, lamp.device_id, { brightness, client: OPERATOR });
    await waitUntil(async () => near((await shown(page)).brightness, brightness), 3000, "the page to follow after renewal");
    // And it can still steer the lamp with the renewed credential.
    await page.click(`${lampSel} .power`);
    await watch.waitFor(lamp.device_id, (s) => s.on !== before.on && s.version > before.version, 5000, "a toggle after renewal");
    await page.click(`${lampSel} .power`);
    await watch.waitFor(lamp.device_id, (s) => s.on === before.on, 5000, "the toggle back");
  });

  test("no CSP violation, page error or console error on the demo page", () => {
    assert.deepEqual(demo.problems, []);
  });
});
