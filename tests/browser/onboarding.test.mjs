// A person's first lamp, in Chromium, on the running platform: the second user
// (who owns nothing) sees the steps and the code's lifetime, mistypes the code and
// keeps what they typed, then claims one of the demo user's lamps (released for
// the test) with the code its lamp shows, names it and puts it in a room. The lamp
// goes back to the demo user before the test ends.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/onboarding.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { apiOf, lampCode, launchBrowser, loadEndpoints, login, newPage, screenshotBothSizes } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

describe("guided first lamp", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  const lamp = endpoints?.lamps[endpoints.lamps.length - 1];
  let browser;
  let demo;
  let guest;
  let demoApi;
  let guestApi;

  // Opens as every page's test does (support.mjs's launchBrowser, newPage, login);
  // who logs in, at what size, is each test's own.
  before(async () => {
    browser = await launchBrowser();
    demo = await newPage(browser, { baseUrl: base });
    await login(demo.page, base, endpoints.demo);
    demoApi = apiOf(demo.page);
    guest = await newPage(browser, { baseUrl: base, viewport: { width: 375, height: 740 } });
    await login(guest.page, base, endpoints.second_user);
    guestApi = apiOf(guest.page);
  });

  after(async () => {
    // The lamp returns to the demo user, whatever happened.
    if ((await guestApi(`GET`, `/api/v1/lamps/${lamp.device_id}`).catch(() => ({}))).status === 200)
      await guestApi("DELETE", `/api/v1/lamps/${lamp.device_id}`).catch(() => {});
    if ((await demoApi("GET", `/api/v1/lamps/${lamp.device_id}`).catch(() => ({}))).status !== 200)
      await demoApi("POST", "/api/v1/lamps/claim", { code: await lampCode(lamp) }).catch(() => {});
    await demo?.context.close();
    await guest?.context.close();
    await browser?.close();
  });

  test("the empty page gives the steps and the code's lifetime, with Add lamp at the top", async () => {
    const { page } = guest;
    assert.match(await page.textContent("p.empty"), /You have no lamps yet/);
    const steps = await page.$$eval("#add-lamp ol.steps li", (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(steps, [
      "Power on the lamp.",
      "Read the code on the lamp's screen.",
      "Type the code here and press Add lamp.",
    ]);
    assert.match(await page.textContent("#code-hint"), /A code works for \d+ minutes/);
    // The button at the top leads to the code field.
    const add = await page.$("a.add-lamp");
    const box = await add.boundingBox();
    assert.ok(box.y < 200, `"Add lamp" is at the top (y = ${box.y})`);
    await add.click();
    await page.waitForFunction(() => location.hash === "#add-lamp");
    assert.equal(await page.getAttribute("#id_code", "aria-describedby"), "code-hint");
    await screenshotBothSizes(page, "onboarding-empty");
  });

  test("a wrong code is explained and stays in the field", async () => {
    const { page } = guest;
    await page.fill("#id_code", "000 001");
    await Promise.all([page.waitForLoadState("load"), page.click("#add-lamp button[type=submit]")]);
    await page.waitForSelector(".error");
    assert.match(await page.textContent(".error"), /no lamp shows that code/);
    assert.equal(await page.inputValue("#id_code"), "000 001");
  });

  test("right after a claim the page asks for a name (Lamp 1) and a room", async () => {
    const { page } = guest;
    assert.equal((await demoApi("DELETE", `/api/v1/lamps/${lamp.device_id}`)).status, 204);
    await page.fill("#id_code", await lampCode(lamp));
    await Promise.all([page.waitForURL(/[?&]lamp=/), page.click("#add-lamp button[type=submit]")]);
    await page.waitForSelector(".name-lamp");
    assert.equal(await page.inputValue("#new-lamp-name"), "Lamp 1");
    assert.equal(await page.inputValue("#new-lamp-room"), "");
    await screenshotBothSizes(page, "onboarding-name");
    await page.fill("#new-lamp-name", "Reading lamp");
    await page.fill("#new-lamp-room", "Study");
    await Promise.all([page.waitForURL(/done=renamed/), page.click(".name-lamp button[type=submit]")]);
    const card = `li.lamp[data-device-id="${lamp.device_id}"]`;
    await page.waitForSelector(card);
    assert.equal(await page.textContent(`${card} .lamp-name`), "Reading lamp");
    assert.equal(await page.getAttribute(card, "data-room"), "Study");
    assert.equal(await page.$(".name-lamp"), null);
    // The device id is in the details, out of sight until they are opened.
    assert.equal(await page.isVisible(`${card} .device-id code`), false);
    await page.click(`${card} details.manage summary`);
    assert.equal(await page.textContent(`${card} .device-id code`), lamp.device_id);
    assert.equal(await page.getAttribute(`${card} input[name="room"]`, "id"), `room-${lamp.device_id}`);
    assert.equal(await page.textContent(`label[for="room-${lamp.device_id}"]`), "Room");
    const { body } = await guestApi("GET", `/api/v1/lamps/${lamp.device_id}`);
    assert.equal(body.room, "Study");
  });

  // A refused code is answered 404, which Chromium logs as a failed resource.
  const serious = (p) => p.problems.filter((text) => !/^console error: Failed to load resource/.test(text));

  test("no CSP violation or page error", () => {
    assert.deepEqual(serious(guest), []);
    assert.deepEqual(serious(demo), []);
  });
});
