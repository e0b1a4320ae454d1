// Timers and weekly schedules on the control page, in Chromium, on the running
// platform: "Turn off in 30 min" on a lamp's card and a weekday schedule on a
// room are made from the page, listed there and by the API, the schedule changed
// from the page, and both deleted from the page; a scene saved for the room is
// chosen as what a schedule sets, listed by its name, and kept while the schedule
// sets it. The schedules and scene made here and the rooms are undone at the end.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/schedules.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { artifactsDir, demoInRoom, loadEndpoints } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";
const ROOM = "Schedule room";
const SCENE = "Schedule evening";

describe("timers and schedules", { skip }, () => {
  const lamps = endpoints?.lamps || [];
  const room = `section.room[data-room="${ROOM}"]`;
  const card = () => `li.lamp[data-device-id="${lamps[0].device_id}"]`;
  let fixture;
  let demo;
  let api;
  const listed = async () => (await api("GET", "/api/v1/schedules")).body.schedules;
  const dropScene = async () => {
    const scenes = (await api("GET", "/api/v1/scenes").catch(() => ({ body: { scenes: [] } }))).body?.scenes || [];
    for (const s of scenes) if (s.name === SCENE) await api("DELETE", `/api/v1/scenes/${s.id}`).catch(() => {});
  };

  before(async () => {
    fixture = await demoInRoom(endpoints, ROOM, { width: 375, height: 740 });
    ({ demo, api } = fixture);
    for (const s of await listed()) await api("DELETE", `/api/v1/schedules/${s.id}`);
    await dropScene();
  });

  after(async () => {
    if (!fixture) return;
    for (const s of await listed().catch(() => [])) await api("DELETE", `/api/v1/schedules/${s.id}`).catch(() => {});
    await dropScene();
    await fixture.close();
  });

  test("a lamp turns off in 30 minutes from its card", async () => {
    const { page } = demo;
    const panel = `${card()} details.schedules`;
    await page.click(`${panel} summary`);
    assert.match(await page.getAttribute(`${panel} .timer-buttons`, "aria-label"), /^Turn .+ off in$/);
    await page.click(`${panel} button[data-minutes="30"]`);
    await page.waitForSelector(`${panel} li.schedule[data-kind="timer"] >> text="Off in 30 min"`, { timeout: 5000 });
    assert.equal(await page.textContent(`${panel} .schedule-result`), "Turns off in 30 min.");
    const [timer] = await listed();
    assert.equal(timer.kind, "timer");
    assert.equal(timer.lamp, lamps[0].device_id);
    assert.deepEqual(timer.state, { on: false });
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(timer.next_fire_at - (now + 1800)) < 60, `fires in 30 min, not at ${timer.next_fire_at}`);
  });

  test("a room gets a weekday schedule, listed in the browser's time zone", async () => {
    const { page } = demo;
    const panel = `${room} > details.schedules`;
    await page.click(`${panel} summary`);
    // Labelled fields: the days (Mon-Fri checked), the time, what to set, how bright.
    assert.equal(await page.$$eval(`${panel} fieldset.days input:checked`, (bs) => bs.map((b) => b.value).join(",")), "mon,tue,wed,thu,fri");
    assert.equal(await page.$eval(`${panel} input[name="time"]`, (i) => i.labels[0].textContent), "Time");
    await page.fill(`${panel} input[name="time"]`, "06:45");
    await page.selectOption(`${panel} select[name="preset"]`, "warm-white");
    await page.fill(`${panel} input[name="brightness"]`, "40");
    await page.click(`${panel} .schedule-form button[type=submit]`);
    await page.waitForSelector(`${panel} li.schedule[data-kind="weekly"] >> text="Mon–Fri 06:45: Warm white 40 %"`, {
      timeout: 5000,
    });
    const weekly = (await listed()).find((s) => s.kind === "weekly");
    assert.equal(weekly.room, ROOM);
    assert.equal(weekly.lamp, null);
    assert.deepEqual(weekly.days, ["mon", "tue", "wed", "thu", "fri"]);
    assert.equal(weekly.time, "06:45");
    assert.equal(weekly.scene, "warm-white");
    assert.equal(weekly.state.brightness, 0.4);
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
    assert.equal(weekly.time_zone, zone);
    // The lamp's own panel does not list the room's schedule.
    assert.equal(await page.$$eval(`${card()} details.schedules li.schedule[data-kind="weekly"]`, (l) => l.length), 0);
    const dir = artifactsDir();
    if (dir) await page.screenshot({ path: path.join(dir, "schedules-375.png"), fullPage: true });
  });

  test("the room's schedule is changed from the page: days, time and what it sets", async () => {
    const { page } = demo;
    const panel = `${room} > details.schedules`;
    const before = (await listed()).find((s) => s.kind === "weekly");
    await page.click(`${panel} li.schedule[data-kind="weekly"] button.edit-schedule`);
    // The form shows the schedule as it is, to be changed.
    assert.equal(await page.$$eval(`${panel} fieldset.days input:checked`, (bs) => bs.map((b) => b.value).join(",")), "mon,tue,wed,thu,fri");
    assert.equal(await page.inputValue(`${panel} input[name="time"]`), "06:45");
    assert.equal(await page.inputValue(`${panel} select[name="preset"]`), "warm-white");
    assert.equal(await page.inputValue(`${panel} input[name="brightness"]`), "40");
    assert.equal(await page.textContent(`${panel} .schedule-form button[type=submit]`), "Save changes");
    assert.equal(await page.getAttribute(`${panel} .schedule-form`, "aria-label"), `Change schedule of ${ROOM}`);

    for (const day of ["mon", "tue", "wed", "thu", "fri"]) await page.uncheck(`${panel} input[name="days"][value="${day}"]`);
    await page.click(`${panel} .schedule-form button[type=submit]`);
    assert.equal(await page.textContent(`${panel} .schedule-result`), "Choose at least one day.");
    for (const day of ["sat", "sun"]) await page.check(`${panel} input[name="days"][value="${day}"]`);
    await page.fill(`${panel} input[name="time"]`, "21:30");
    await page.selectOption(`${panel} select[name="preset"]`, "off");
    await page.click(`${panel} .schedule-form button[type=submit]`);
    await page.waitForSelector(`${panel} li.schedule[data-kind="weekly"] >> text="Sat, Sun 21:30: Off"`, { timeout: 5000 });
    assert.equal(await page.textContent(`${panel} .schedule-result`), "Schedule changed.");
    // The form is back to making a new one.
    assert.equal(await page.textContent(`${panel} .schedule-form button[type=submit]`), "Add schedule");
    assert.equal(await page.isVisible(`${panel} .schedule-form button.cancel-edit`), false);

    const after = (await listed()).find((s) => s.kind === "weekly");
    assert.equal(after.id, before.id, "the same schedule, changed");
    assert.deepEqual(after.days, ["sat", "sun"]);
    assert.equal(after.time, "21:30");
    assert.deepEqual(after.state, { on: false });
    assert.equal(after.scene, null);
    assert.equal(after.time_zone, before.time_zone);
    assert.equal(after.room, ROOM);
    assert.ok(after.next_fire_at !== before.next_fire_at, "it fires next at its new time");

    // Cancel leaves it as it is.
    await page.click(`${panel} li.schedule[data-kind="weekly"] button.edit-schedule`);
    await page.fill(`${panel} input[name="time"]`, "05:00");
    await page.click(`${panel} .schedule-form button.cancel-edit`);
    assert.equal(await page.textContent(`${panel} .schedule-form button[type=submit]`), "Add schedule");
    assert.equal((await listed()).find((s) => s.kind === "weekly").time, "21:30");
  });

  test("both are deleted from the page", async () => {
    const { page } = demo;
    await page.click(`${card()} details.schedules li.schedule button.delete-schedule`);
    await page.click(`${room} > details.schedules li.schedule button.delete-schedule`);
    await page.waitForFunction(() => document.querySelectorAll("li.schedule").length === 0, null, { timeout: 5000 });
    assert.deepEqual(await listed(), []);
  });

  test("a room's schedule sets a scene saved for the room, chosen in the form and listed by its name", async () => {
    const { page } = demo;
    const panel = `${room} > details.schedules`;
    const preset = `${panel} select[name="preset"]`;
    // Saved from the page, the scene joins the room's schedule form at once.
    await page.click(`${room} details.save-scene summary`);
    await page.fill(`${room} .save-scene-form input[name="name"]`, SCENE);
    await page.click(`${room} .save-scene-form button[type=submit]`);
    await page.waitForSelector(`${preset} optgroup[label="Saved scenes"] option >> text="${SCENE}"`, { state: "attached", timeout: 5000 });
    const saved = (await api("GET", "/api/v1/scenes")).body.scenes.find((s) => s.name === SCENE);
    assert.ok(saved, "saved");
    // A lamp's form offers none: a saved scene is the look of a room's lamps.
    assert.equal(await page.$$eval(`${card()} details.schedules select[name="preset"] optgroup`, (g) => g.length), 0);

    await page.fill(`${panel} input[name="time"]`, "19:30");
    await page.selectOption(preset, saved.id);
    assert.equal(await page.isDisabled(`${panel} input[name="brightness"]`), true, "each lamp gets its saved brightness");
    await page.click(`${panel} .schedule-form button[type=submit]`);
    await page.waitForSelector(`${panel} li.schedule[data-kind="weekly"] >> text="Mon–Fri 19:30: ${SCENE}"`, { timeout: 5000 });
    const [weekly] = await listed();
    assert.equal(weekly.room, ROOM);
    assert.equal(weekly.scene, saved.id);
    assert.equal(weekly.scene_name, SCENE);
    assert.deepEqual(weekly.state, {});
    // Its Edit shows the scene chosen.
    await page.click(`${panel} li.schedule[data-kind="weekly"] button.edit-schedule`);
    assert.equal(await page.inputValue(preset), saved.id);
    await page.click(`${panel} .schedule-form button.cancel-edit`);

    // The scene is kept while the schedule sets it; the refusal names the schedule. (Asked
    // beside the page, whose console would report the 409 as a failed load.)
    const base = endpoints.cloud.http.url;
    const csrf = (await demo.context.cookies()).find((c) => c.name === "csrftoken").value;
    const refused = await page.request.delete(`${base}/api/v1/scenes/${saved.id}`, {
      headers: { "X-CSRFToken": csrf, Origin: new URL(base).origin },
    });
    assert.equal(refused.status(), 409);
    assert.match((await refused.json()).error, /"Schedule evening".*Monday to Friday at 19:30/);
    await page.click(`${panel} li.schedule button.delete-schedule`);
    await page.waitForFunction(() => document.querySelectorAll("li.schedule").length === 0, null, { timeout: 5000 });
    assert.equal((await api("DELETE", `/api/v1/scenes/${saved.id}`)).status, 204);
  });

  test("no CSP violation or page error", () => {
    assert.deepEqual(demo.problems, []);
  });
});
