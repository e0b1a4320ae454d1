// The control page tells the truth when things go wrong: a command the lamp does
// not confirm, a connection that died, lamps that leave or join the account, a
// session that ended. Faults are made on the running platform's own processes
// (through its supervisord) and undone before each test ends.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/feedback.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { Stack, apiOf, lampCode, launchBrowser, loadEndpoints, login, newPage, waitUntil, watchLamps } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

describe("control page feedback", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  const [lamp, otherLamp] = endpoints?.lamps || [];
  const cardOf = (l) => `li.lamp[data-device-id="${l.device_id}"]`;
  let stack;
  let browser;
  let operator;
  let watch;
  let demo; // {context, page, problems}

  // Page errors and CSP violations only: a browser logs failed requests as console
  // errors, and these tests make requests fail on purpose.
  const seriousProblems = (p) => p.problems.filter((text) => !text.startsWith("console error"));

  const card = (page, l) =>
    page.$eval(cardOf(l), (li) => ({
      online: li.dataset.online,
      badge: li.querySelector(".badge").textContent,
      error: li.querySelector(".command-error")?.hidden === false ? li.querySelector(".command-error").textContent : "",
      retryEnabled: li.querySelector(".command-error .retry")?.disabled === false,
      on: li.querySelector('[data-control="on"]').checked,
    }));

  const live = (page) => page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 15000 });
  const usable = (page, l) =>
    page.waitForSelector(`${cardOf(l)}[data-online="true"] [data-control="on"]:not([disabled])`, { timeout: 15000 });

  before(async () => {
    stack = new Stack();
    browser = await launchBrowser();
    ({ operator, watch } = await watchLamps(endpoints));
    demo = await newPage(browser, { baseUrl: base });
    await login(demo.page, base, endpoints.demo);
    await live(demo.page);
    await usable(demo.page, lamp);
  });

  after(async () => {
    await demo?.context.close();
    await browser?.close();
    operator?.end(true);
  });

  test("a change the lamp does not confirm fails within 2 s, in plain words, with Retry", async (t) => {
    const { page } = demo;
    const before = watch.state(lamp.device_id);
    const lampid = stack.freeze(`lampid-${lamp.device_id}`);
    let thawed = false;
    try {
      const t0 = Date.now();
      await page.click(`${cardOf(lamp)} .power`);
      await waitUntil(async () => (await card(page, lamp)).error, 2500, "the card to report the unconfirmed change");
      const failedAfter = Date.now() - t0;
      t.diagnostic(`click -> failure shown: ${failedAfter} ms`);
      const c = await card(page, lamp);
      assert.match(c.error, /The lamp did not answer\./);
      assert.doesNotMatch(c.error, /credential|broker|error/i);
      assert.ok(c.retryEnabled, "Retry can be pressed");
      assert.equal(c.on, before.on, `the switch shows the lamp's last reported state (failed after ${failedAfter} ms)`);

      lampid.thaw();
      thawed = true;
      // The lamp may take the queued change as it wakes; otherwise Retry sends it again.
      await page.waitForTimeout(500);
      if ((await card(page, lamp)).error) await page.click(`${cardOf(lamp)} .command-error .retry`);
      const after = await watch.waitFor(lamp.device_id, (s) => s.on === !before.on && s.version > before.version, 8000, "the retried change");
      await waitUntil(async () => {
        const now = await card(page, lamp);
        return !now.error && now.on === after.on;
      }, 5000, "the card to show the confirmed change without an error");
    } finally {
      if (!thawed) lampid.thaw();
    }
    // Leave the lamp as it was.
    await usable(page, lamp);
    if (watch.state(lamp.device_id).on !== before.on) {
      await page.click(`${cardOf(lamp)} .power`);
      await watch.waitFor(lamp.device_id, (s) => s.on === before.on, 8000, "the lamp back as it was");
    }
  });

  test("a connection that dies silently shows within 5 s, and no card says online meanwhile", async (t) => {
    const { page } = demo;
    await live(page);
    await usable(page, lamp);
    const cloud = stack.freeze("lampi-cloud");
    let thawed = false;
    try {
      const t0 = Date.now();
      await page.waitForSelector('#lamps:not([data-connection="connected"])', { timeout: 5000 });
      const noticed = Date.now() - t0;
      t.diagnostic(`lampi-cloud frozen -> page not live: ${noticed} ms`);
      assert.ok(noticed <= 5000, `noticed after ${noticed} ms`);
      const status = await page.textContent(".conn-status");
      assert.doesNotMatch(status, /live/i);
      const badges = await page.$$eval("li.lamp", (lis) => lis.map((li) => [li.dataset.online, li.querySelector(".badge").textContent]));
      for (const [online, badge] of badges) {
        assert.equal(online, "unknown");
        assert.match(badge, /^unknown \/ (re)?connecting$/);
      }
      assert.equal(await page.isDisabled(`${cardOf(lamp)} [data-control="on"]`), true, "no control pretends to work");
      await waitUntil(async () => /Cannot reach LAMPi\. Retrying in \d+ s/.test(await page.textContent(".conn-status")), 8000, "the status to say it cannot reach LAMPi");
      assert.doesNotMatch(await page.textContent(".conn-status"), /credential|broker|network error/i);

      cloud.thaw();
      thawed = true;
      // The tab being shown again checks at once instead of waiting for the next retry.
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await live(page);
      await usable(page, lamp);
      assert.equal((await card(page, lamp)).badge, "online");
    } finally {
      if (!thawed) cloud.thaw();
    }
  });

  test("stopping lampi-cloud shows at once, and the page comes back by itself", async () => {
    const { page } = demo;
    await live(page);
    stack.ctl("stop", "lampi-cloud");
    let started = false;
    try {
      await page.waitForSelector('#lamps:not([data-connection="connected"])', { timeout: 5000 });
      await waitUntil(async () => /Cannot reach LAMPi\. Retrying in \d+ s/.test(await page.textContent(".conn-status")), 8000, "the status to say it cannot reach LAMPi");
      assert.match(await page.textContent(`${cardOf(lamp)} .badge`), /^unknown/);
      stack.ctl("start", "lampi-cloud");
      started = true;
      await page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 40000 });
      await usable(page, lamp);
    } finally {
      if (!started) stack.ctl("start", "lampi-cloud");
    }
  });

  test("a lamp released elsewhere leaves the page, and joins it again when claimed", async (t) => {
    const { page } = demo;
    const elsewhere = await newPage(browser, { baseUrl: base });
    const api = async (method, url, body) => (await apiOf(elsewhere.page)(method, url, body)).status;
    // The lamp shows a new code once released; claiming it with that code brings it back.
    const claimBack = async () => api("POST", "/api/v1/lamps/claim", { code: await lampCode(otherLamp) });
    const owned = async () => (await api("GET", `/api/v1/lamps/${otherLamp.device_id}`)) === 200;
    try {
      await login(elsewhere.page, base, endpoints.demo);
      if (!(await owned())) await claimBack(); // left released by an interrupted run
      await live(page);
      await page.waitForSelector(cardOf(otherLamp), { timeout: 12000 });

      assert.equal(await api("DELETE", `/api/v1/lamps/${otherLamp.device_id}`), 204);
      const t0 = Date.now();
      await page.waitForSelector(cardOf(otherLamp), { state: "detached", timeout: 12000 });
      const gone = Date.now() - t0;

      assert.equal(await claimBack(), 201);
      const t1 = Date.now();
      await page.waitForSelector(cardOf(otherLamp), { timeout: 12000 });
      const back = Date.now() - t1;
      t.diagnostic(`released -> card gone: ${gone} ms; claimed -> card back: ${back} ms`);
      // Its card follows the lamp over MQTT again: the page subscribed with a credential
      // that names it. A (non-retained) newer lamp/changed from the operator shows.
      await live(page);
      const current = watch.state(otherLamp.device_id);
      const newer = { ...current, version: current.version + 1000 };
      await new Promise((resolve, reject) =>
        operator.publish(`devices/${otherLamp.device_id}/lamp/changed`, JSON.stringify(newer), { qos: 1 }, (e) =>
          e ? reject(e) : resolve()
        )
      );
      await waitUntil(
        async () => JSON.parse((await page.getAttribute(cardOf(otherLamp), "data-state")) || "{}").version === newer.version,
        5000,
        "the returned lamp's card to follow its lamp/changed"
      );
      const truth = (await card(page, otherLamp)).online;
      assert.notEqual(truth, "unknown", "the returned card says whether its lamp is online");
      assert.deepEqual(seriousProblems(elsewhere), []);
    } finally {
      if (!(await owned().catch(() => true))) await claimBack().catch(() => {});
      await elsewhere.context.close();
    }
  });

  test("a page whose session ended says so, with a link to log in", async () => {
    const { page, context } = demo;
    await context.clearCookies();
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    // At once: the tab being shown asks for the lamp list, which answers 401.
    await page.waitForSelector('#lamps[data-connection="stopped"]', { timeout: 2000 });
    const status = await page.textContent(".conn-status");
    assert.match(status, /Your session has ended\./);
    const href = await page.getAttribute(".conn-status a", "href");
    assert.match(href, /^\/accounts\/login\//);
    assert.match(await page.textContent(`${cardOf(lamp)} .badge`), /^unknown/);
  });

  test("no CSP violation or page error", () => {
    assert.deepEqual(seriousProblems(demo), []);
  });
});
