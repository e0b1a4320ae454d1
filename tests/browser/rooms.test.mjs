// Rooms on the control page, in Chromium, on the running platform's real lamps:
// the demo user's lamps put in one room are grouped under it; the room's power
// switch and brightness slider reach every lamp in it (their lamp/changed at the
// cloud broker), and "All off" turns every lamp off. A lamp moved or renamed
// elsewhere follows on open pages. The lamps' rooms are put back at the end.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/rooms.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { artifactsDir, demoInRoom, loadEndpoints, login, near, newPage } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";
const ROOM = "Test room";

describe("rooms", { skip }, () => {
  const lamps = endpoints?.lamps || [];
  const room = `section.room[data-room="${ROOM}"]`;
  let fixture;
  let demo;
  let watch;

  const usable = (page) =>
    page.waitForSelector(`${room} [data-control="room-on"]:not([disabled])`, { timeout: 15000 });

  before(async () => {
    fixture = await demoInRoom(endpoints, ROOM);
    ({ demo, watch } = fixture);
  });

  after(() => fixture?.close());

  test("the lamps of a room are grouped under its name, with labelled room controls", async () => {
    const { page } = demo;
    const ids = await page.$$eval(`${room} li.lamp`, (lis) => lis.map((li) => li.dataset.deviceId));
    assert.deepEqual(ids.sort(), lamps.map((l) => l.device_id).sort());
    assert.equal(await page.textContent(`${room} .room-title`), ROOM);
    assert.equal(await page.getAttribute(`${room} [data-control="room-on"]`, "aria-label"), `Power of all lamps in ${ROOM}`);
    assert.equal(
      await page.getAttribute(`${room} [data-control="room-brightness"]`, "aria-label"),
      `Brightness of all lamps in ${ROOM}`
    );
    await usable(page);
    assert.match(await page.getAttribute(`${room} [data-control="room-brightness"]`, "aria-valuetext"), /^\d+%$/);
    // Each lamp's own sliders are named after it and say their value.
    const first = `li.lamp[data-device-id="${lamps[0].device_id}"] [data-control="hue"]`;
    assert.match(await page.getAttribute(first, "aria-label"), /^Hue of /);
    assert.match(await page.getAttribute(first, "aria-valuetext"), /^\d+°$/);
  });

  test("the room's switch and brightness reach every lamp in it", async () => {
    const { page } = demo;
    await usable(page);
    const on = await page.isChecked(`${room} [data-control="room-on"]`);
    await page.click(`${room} .room-head .power`);
    await Promise.all(
      lamps.map((l) => watch.waitFor(l.device_id, (s) => s.on === !on, 5000, `the room switch (${!on})`))
    );
    if (on) {
      await page.click(`${room} .room-head .power`);
      await Promise.all(lamps.map((l) => watch.waitFor(l.device_id, (s) => s.on, 5000, "the room switch (on)")));
    }
    await page.$eval(`${room} [data-control="room-brightness"]`, (input) => {
      input.value = "0.3";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await Promise.all(
      lamps.map((l) => watch.waitFor(l.device_id, (s) => near(s.brightness, 0.3), 5000, "the room's brightness"))
    );
    assert.equal(await page.getAttribute(`${room} [data-control="room-brightness"]`, "aria-valuetext"), "30%");
    const dir = artifactsDir();
    if (dir) await page.screenshot({ path: path.join(dir, "rooms-1280.png"), fullPage: true });
  });

  test("All off turns every lamp off", async () => {
    const { page } = demo;
    await page.waitForSelector("button.all-off:not([disabled])", { timeout: 5000 });
    await page.click("button.all-off");
    await Promise.all(lamps.map((l) => watch.waitFor(l.device_id, (s) => s.on === false, 5000, "All off")));
    await page.waitForFunction((sel) => !document.querySelector(sel).checked, `${room} [data-control="room-on"]`, {
      timeout: 5000,
    });
  });

  test("a lamp put in another room elsewhere moves there on the open page", async () => {
    const { page } = demo;
    const [first] = lamps;
    const card = `li.lamp[data-device-id="${first.device_id}"]`;
    assert.equal((await fixture.api("PATCH", `/api/v1/lamps/${first.device_id}`, { room: "Other room" })).status, 200);
    // Showing the tab again asks for the lamp list at once (else within 10 s).
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await page.waitForSelector(`section.room[data-room="Other room"] ${card}`, { timeout: 5000 });
    assert.equal(await page.getAttribute(card, "data-room"), "Other room");
    assert.equal(await page.inputValue(`${card} input[name="room"]`), "Other room");
    // Its new room's controls reach it.
    await page.waitForSelector('section.room[data-room="Other room"] [data-control="room-on"]:not([disabled])', {
      timeout: 5000,
    });
    assert.equal((await fixture.api("PATCH", `/api/v1/lamps/${first.device_id}`, { room: ROOM })).status, 200);
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await page.waitForSelector(`${room} ${card}`, { timeout: 5000 });
    // The room it left, now empty, is gone.
    await page.waitForSelector('section.room[data-room="Other room"]', { state: "detached", timeout: 5000 });
  });

  test("a lamp renamed and moved on one page takes its new name and room on another open page", async () => {
    const [first] = lamps;
    const card = `li.lamp[data-device-id="${first.device_id}"]`;
    const before = (await fixture.api("GET", `/api/v1/lamps/${first.device_id}`)).body;
    const other = await newPage(fixture.browser, { baseUrl: endpoints.cloud.http.url });
    try {
      await login(other.page, endpoints.cloud.http.url, endpoints.demo);
      await other.page.waitForSelector(`${room} ${card}`);
      // The first page renames it through its own form, as a person would.
      const { page } = demo;
      await page.click(`${card} details.manage > summary`);
      await page.fill(`${card} input[name="name"]`, "Reading lamp");
      await page.fill(`${card} input[name="room"]`, "Study");
      await Promise.all([page.waitForURL(/done=renamed/), page.click(`${card} form[action$="/rename/"] button`)]);
      // The other page, left alone, follows at its next look at the lamp list (10 s).
      const moved = `section.room[data-room="Study"] ${card}`;
      await other.page.waitForSelector(`${moved} .lamp-name:text-is("Reading lamp")`, { timeout: 15000 });
      assert.equal(await other.page.getAttribute(card, "data-name"), "Reading lamp");
      assert.equal(await other.page.inputValue(`${card} input[name="name"]`), "Reading lamp");
      assert.equal(await other.page.getAttribute(`${card} [data-control="on"]`, "aria-label"), "Power of Reading lamp");
      assert.equal(await other.page.getAttribute(`${card} [data-control="hue"]`, "aria-label"), "Hue of Reading lamp");
      assert.equal(
        await other.page.getAttribute(`${card} .schedule-list`, "aria-label"),
        "Timers and schedules of Reading lamp"
      );
      assert.deepEqual(other.problems, []);
    } finally {
      await fixture.api("PATCH", `/api/v1/lamps/${first.device_id}`, { name: before.name, room: ROOM });
      await other.context.close();
    }
    await demo.page.goto(`${endpoints.cloud.http.url}/`);
    await demo.page.waitForSelector(`${room} ${card}`);
    await demo.page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 15000 });
  });

  test("no CSP violation or page error", () => {
    assert.deepEqual(demo.problems, []);
  });
});
