// Scenes and colour temperature on the control page, in Chromium, on the running
// platform's real lamps (their lamp/changed at the cloud broker): a built-in scene
// applies to every lamp of a room in one tap; a lamp's colour-temperature slider
// sets the white web/src/format.js gives; the room's look saved as a scene comes
// back in one tap, and is deleted from the room (not while a schedule sets it).
// The rooms and the saved scene are undone at the end.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/scenes.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { demoInRoom, loadEndpoints, near, screenshotBothSizes, setConfig } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";
const ROOM = "Scene room";
const SCENE = `Evening ${process.pid}`;

// whiteOfTemperature (web/src/format.js; include/lampi/color.h) at the built-ins' temperatures.
const WHITE = { 2000: { h: 0.085, s: 0.9455 }, 4000: { h: 0.0745, s: 0.3487 } };

describe("scenes", { skip }, () => {
  const lamps = endpoints?.lamps || [];
  const room = `section.room[data-room="${ROOM}"]`;
  const cardOf = (l) => `li.lamp[data-device-id="${l.device_id}"]`;
  let fixture;
  let demo;
  let api;
  let operator;
  let watch;

  const usable = (page) => page.waitForSelector(`${room} button.scene:not([disabled])`, { timeout: 15000 });
  const looksLike = (l, white, what) =>
    watch.waitFor(l.device_id, (s) => s.on && near(s.color.h, white.h, 0.002) && near(s.color.s, white.s, 0.002), 5000, what);

  before(async () => {
    fixture = await demoInRoom(endpoints, ROOM, { width: 375, height: 740 });
    ({ demo, api, operator, watch } = fixture);
  });

  after(async () => {
    if (!fixture) return;
    const listed = await api("GET", "/api/v1/scenes").catch(() => ({ body: { scenes: [] } }));
    for (const s of listed.body?.scenes || []) if (s.name === SCENE) await api("DELETE", `/api/v1/scenes/${s.id}`);
    await fixture.close();
  });

  test("the built-in scenes apply to the whole room in one tap", async () => {
    const { page } = demo;
    await usable(page);
    assert.equal(await page.getAttribute(`${room} .scenes`, "aria-label"), `Scenes for ${ROOM}`);
    const names = await page.$$eval(`${room} button.scene`, (bs) => bs.map((b) => b.textContent));
    assert.deepEqual(names.slice(0, 4), ["Warm white", "Cool white", "Reading", "Night light"]);
    await page.click(`${room} button.scene[data-scene="night-light"]`);
    await Promise.all(
      lamps.map((l) =>
        watch.waitFor(
          l.device_id,
          (s) => s.on && near(s.brightness, 0.05) && near(s.color.s, WHITE[2000].s, 0.002),
          5000,
          "Night light"
        )
      )
    );
    // Each card reads its lamp's white back as a temperature.
    await page.waitForFunction(
      (sel) => document.querySelector(sel).getAttribute("aria-valuetext") === "2000 K",
      `${cardOf(lamps[0])} [data-control="temperature"]`,
      { timeout: 5000 }
    );
  });

  test("colour temperature is a labelled control that sets the lamp's white", async () => {
    const { page } = demo;
    const slider = `${cardOf(lamps[0])} [data-control="temperature"]`;
    assert.match(await page.getAttribute(slider, "aria-label"), /^Colour temperature of /);
    await page.$eval(slider, (input) => {
      input.value = "4000";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await looksLike(lamps[0], WHITE[4000], "4000 K");
    assert.equal(await page.getAttribute(slider, "aria-valuetext"), "4000 K");
    assert.equal(await page.textContent(`${cardOf(lamps[0])} .slider.temperature output`), "4000 K");
    // A colour that is no white says so.
    await setConfig(operator, lamps[0].device_id, { color: { h: 0.6, s: 1 } });
    await page.waitForFunction((sel) => document.querySelector(sel).getAttribute("aria-valuetext") === "not a white", slider, {
      timeout: 5000,
    });
  });

  test("the room's look saved as a scene comes back in one tap", async () => {
    const { page } = demo;
    const [first, second] = lamps;
    await setConfig(operator, first.device_id, { on: true, color: { h: 0.6, s: 1 }, brightness: 0.5 });
    if (second) await setConfig(operator, second.device_id, { on: false });
    await watch.waitFor(first.device_id, (s) => s.on && near(s.color.h, 0.6) && near(s.brightness, 0.5), 5000, "the look");
    if (second) await watch.waitFor(second.device_id, (s) => !s.on, 5000, "the second lamp off");
    await page.click(`${room} details.save-scene summary`);
    await page.fill(`${room} .save-scene-form input[name="name"]`, SCENE);
    await page.click(`${room} .save-scene-form button[type=submit]`);
    await page.waitForSelector(`${room} button.scene >> text="${SCENE}"`, { timeout: 5000 });
    assert.match(await page.textContent(`${room} .save-result`), /^Saved as/);
    const saved = (await api("GET", "/api/v1/scenes")).body.scenes.find((s) => s.name === SCENE);
    assert.equal(saved.room, ROOM);
    assert.equal(saved.lamps[first.device_id].on, true);

    await page.click(`${room} button.scene[data-scene="warm-white"]`);
    await looksLike(first, { h: 0.0789, s: 0.6572 }, "Warm white");
    await page.click(`${room} button.scene[data-scene="${saved.id}"]`);
    await watch.waitFor(first.device_id, (s) => s.on && near(s.color.h, 0.6) && near(s.brightness, 0.5), 5000, "the saved look");
    if (second) await watch.waitFor(second.device_id, (s) => !s.on, 5000, "the second lamp off again");

    // Saving under a taken name says why, in the server's words.
    await page.fill(`${room} .save-scene-form input[name="name"]`, "Reading");
    await page.click(`${room} .save-scene-form button[type=submit]`);
    await page.waitForFunction(
      (sel) => /built-in scene/.test(document.querySelector(sel).textContent),
      `${room} .save-result`,
      { timeout: 5000 }
    );
    await screenshotBothSizes(page, "scenes");
  });

  test("a saved scene is deleted from its room, but not while a schedule sets it", async () => {
    const { page } = demo;
    const saved = (await api("GET", "/api/v1/scenes")).body.scenes.find((s) => s.name === SCENE);
    assert.ok(saved, "the scene saved above");
    const item = `${room} ul.saved-scenes li[data-scene="${saved.id}"]`;
    assert.equal(await page.getAttribute(`${item} button.delete-scene`, "aria-label"), `Delete the scene “${SCENE}”`);
    const timer = await api("POST", "/api/v1/schedules", { room: ROOM, in_minutes: 60, scene: saved.id });
    assert.equal(timer.status, 201, JSON.stringify(timer.body));
    try {
      await page.click(`${item} button.delete-scene`);
      await page.waitForFunction((sel) => /schedule/.test(document.querySelector(sel).textContent), `${room} .save-result`, {
        timeout: 5000,
      });
      assert.equal(await page.isEnabled(`${item} button.delete-scene`), true, "the refused delete can be tried again");
      assert.ok((await api("GET", "/api/v1/scenes")).body.scenes.some((s) => s.id === saved.id), "kept");
    } finally {
      await api("DELETE", `/api/v1/schedules/${timer.body.id}`);
    }
    await page.click(`${item} button.delete-scene`);
    await page.waitForSelector(item, { state: "detached", timeout: 5000 });
    assert.equal(await page.textContent(`${room} .save-result`), `Deleted “${SCENE}”.`);
    assert.equal(await page.$$eval(`${room} button.scene[data-scene="${saved.id}"]`, (bs) => bs.length), 0, "gone from the bar");
    assert.ok(!(await api("GET", "/api/v1/scenes")).body.scenes.some((s) => s.id === saved.id), "gone from the account");
  });

  // A refused save or delete is answered 409, which Chromium logs as a failed resource.
  test("no CSP violation or page error", () => {
    assert.deepEqual(
      demo.problems.filter((text) => !/^console error: Failed to load resource/.test(text)),
      []
    );
  });
});
