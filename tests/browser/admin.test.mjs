// The operators' admin area in Chromium, on the running platform: the operator
// finds the second user, disables them (their login then fails), enables them,
// makes a password reset link that the user opens in their own browser to set
// their password (the one they had, so the platform stays as it was), assigns
// one of the demo user's lamps to them and releases it, and finds every action
// in the audit log. Someone who is not an operator gets 403. axe-core audits the
// admin pages at 375 px and 1280 px, light and dark, and nothing may be wider
// than a 375 px phone, where the navigation is a menu opened from the keyboard. The lamp goes back to the demo user and the second user
// is enabled again whatever happens.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/admin.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { artifactsDir, audit, launchBrowser, loadEndpoints, login, newPage } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

// Submits the form that `button` belongs to and waits for the page it leads to.
async function press(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

// Tries the login form; resolves with the error it shows, or "" when it logged in.
async function tryLogin(browser, base, user) {
  const { context, page } = await newPage(browser, { baseUrl: base });
  try {
    await page.goto(`${base}/accounts/login/?next=/`);
    await page.fill("#id_username", user.username);
    await page.fill("#id_password", user.password);
    await press(page, "form button[type=submit]");
    if (page.url() === `${base}/`) return "";
    return (await page.textContent(".error")) || "no error shown";
  } finally {
    await context.close();
  }
}

describe("the operators' admin area", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  const guest = endpoints?.second_user;
  const lamp = endpoints?.lamps[endpoints.lamps.length - 1];
  const guestItem = `li.admin-item[data-username="${guest?.username}"]`;
  const lampItem = `li.admin-item[data-device-id="${lamp?.device_id}"]`;
  let browser;
  let operator;

  // The operator's search form on the admin page `list` ("users" or "lamps").
  async function search(list, query) {
    const { page } = operator;
    await page.goto(`${base}/operator/admin/${list}/`);
    await page.fill("#id_q", query);
    await press(page, ".admin-search button[type=submit]");
    return page;
  }
  const usersPage = (query) => search("users", query);
  const lampsPage = (query) => search("lamps", query);

  async function giveLamp(username) {
    const page = await lampsPage(lamp.device_id);
    await page.fill(`#assign-${lamp.device_id}`, username);
    await press(page, `${lampItem} form[action$="/assign/"] button[type=submit]`);
    return page;
  }

  before(async () => {
    browser = await launchBrowser();
    operator = await newPage(browser, { baseUrl: base });
    await login(operator.page, base, endpoints.cloud.operator);
  });

  after(async () => {
    // The platform as it was: the second user enabled, the lamp the demo user's.
    try {
      const page = await usersPage(guest.username);
      if (await page.$(`${guestItem} form[action$="/enable/"]`))
        await press(page, `${guestItem} form[action$="/enable/"] button`);
      const lamps = await lampsPage(lamp.device_id);
      const facts = await lamps.textContent(`${lampItem} .facts`);
      if (!facts.includes(`Owned by ${endpoints.demo.username}.`)) {
        if (facts.includes("Owned by")) await press(lamps, `${lampItem} form[action$="/release/"] button`);
        await giveLamp(endpoints.demo.username);
      }
    } finally {
      await browser?.close();
    }
  });

  test("the operator's navigation leads to the admin area and the analytics dashboard", async () => {
    const { page } = operator;
    await page.goto(`${base}/`);
    assert.equal(await page.getAttribute("header nav a[href='/operator/admin/']", "href"), "/operator/admin/");
    assert.equal(await page.getAttribute("header nav a[href='/operator/analytics/']", "href"), "/operator/analytics/");
    await press(page, "header nav a[href='/operator/admin/']");
    assert.equal(page.url(), `${base}/operator/admin/users/`);
    assert.equal(await page.textContent("main h2"), "Users");
  });

  // What a screen reader hears of the menu button: whether it is expanded (Chromium's accessibility tree).
  async function menuExpanded(page) {
    const cdp = await page.context().newCDPSession(page);
    try {
      const { nodes } = await cdp.send("Accessibility.getFullAXTree");
      const menu = nodes.find((n) => !n.ignored && n.name?.value === "Menu");
      assert.ok(menu, "the menu button is in the accessibility tree");
      return menu.properties?.find((p) => p.name === "expanded")?.value.value;
    } finally {
      await cdp.detach();
    }
  }

  test("on a 375 px phone the navigation is a menu that opens from the keyboard and leads on", async () => {
    const { context, page } = await newPage(browser, { baseUrl: base, viewport: { width: 375, height: 740 } });
    try {
      await login(page, base, endpoints.cloud.operator);
      const admin = "header nav a[href='/operator/admin/']";
      const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.equal(await page.isVisible(admin), false, "the links are folded into the menu");
      assert.ok(await fits(), "nothing scrolls sideways");
      assert.equal(await menuExpanded(page), false);
      await page.focus("header nav summary");
      await page.keyboard.press("Enter");
      assert.equal(await menuExpanded(page), true);
      assert.ok(await page.isVisible(admin));
      assert.ok(await page.isVisible("header nav a[href='/operator/analytics/']"));
      assert.ok(await fits(), "nor with the menu open");
      const dir = artifactsDir();
      if (dir) await page.screenshot({ path: path.join(dir, "menu-open-375.png") });
      // On from the keyboard: Tab to the Admin link (after Lamps), Enter.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), "/operator/admin/");
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      assert.equal(page.url(), `${base}/operator/admin/users/`);
      assert.equal(await page.textContent("main h2"), "Users");
      assert.equal(await menuExpanded(page), false, "a new page starts with the menu closed");
    } finally {
      await context.close();
    }
  });

  test("a disabled user cannot log in; a reset link lets them set a password once", async () => {
    const page = await usersPage(guest.username.toUpperCase());
    assert.equal(await page.$$eval("li.admin-item", (items) => items.length), 1, "the search finds the second user");
    await press(page, `${guestItem} form[action$="/disable/"] button`);
    assert.match(await page.textContent(".message"), /The user is disabled/);
    assert.match(await page.textContent(`${guestItem} h3`), /disabled/);
    assert.match(await tryLogin(browser, base, guest), /This account is disabled/);

    await press(page, `${guestItem} form[action$="/enable/"] button`);
    assert.match(await page.textContent(".message"), /enabled again/);

    await press(page, `${guestItem} form[action$="/reset/"] button`);
    const link = await page.inputValue("#reset-link");
    assert.match(link, /\/accounts\/reset\/\?token=[0-9a-f]{64}$/);
    assert.match(await tryLogin(browser, base, guest), /correct username and password/, "the old password ended");
    const dir = artifactsDir();
    if (dir) await page.screenshot({ path: path.join(dir, "admin-reset-link-1280.png"), fullPage: true });

    // The user, in their own browser, on a phone.
    const user = await newPage(browser, { baseUrl: base, viewport: { width: 375, height: 740 } });
    try {
      await user.page.goto(link);
      await user.page.fill("#id_new_password1", guest.password);
      await user.page.fill("#id_new_password2", guest.password);
      await press(user.page, "form button[type=submit]");
      assert.match(await user.page.textContent(".message"), /Your new password is set/);
      // Once only.
      const again = await user.page.goto(link);
      assert.equal(again.status(), 409);
      assert.match(await user.page.textContent(".error"), /already used/);
      assert.equal(await user.page.$("#id_new_password1"), null);
      // The browser reports the 409 of the used link's page as a failed load; nothing else may go wrong.
      assert.deepEqual(
        user.problems.filter((p) => !/status of 409/.test(p)),
        []
      );
    } finally {
      await user.context.close();
    }
    assert.equal(await tryLogin(browser, base, guest), "", "the user logs in with the password they set");
  });

  test("a lamp is assigned to a user and released, with its online state and last seen", async () => {
    let page = await lampsPage(lamp.device_id.toUpperCase());
    assert.match(await page.textContent(`${lampItem} .facts`), new RegExp(`Owned by ${endpoints.demo.username}\\.`));
    assert.match(await page.textContent(`${lampItem} .facts`), /Online now; last seen \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    assert.equal(await page.getAttribute(lampItem, "data-online"), "true");

    page = await giveLamp(guest.username);
    assert.match(await page.textContent(".message"), /The lamp now belongs to that user/);
    assert.match(await page.textContent(`${lampItem} .facts`), new RegExp(`Owned by ${guest.username}\\.`));

    await press(page, `${lampItem} form[action$="/release/"] button`);
    assert.match(await page.textContent(".message"), /has no owner now/);
    assert.match(await page.textContent(`${lampItem} .facts`), /No owner\./);
    assert.equal(await page.$(`${lampItem} form[action$="/release/"]`), null);

    page = await giveLamp(endpoints.demo.username);
    assert.match(await page.textContent(`${lampItem} .facts`), new RegExp(`Owned by ${endpoints.demo.username}\\.`));
  });

  test("every action is in the audit log, newest first", async () => {
    const { page } = operator;
    await page.goto(`${base}/operator/admin/audit/`);
    const entries = await page.$$eval("li.audit-entry", (items) => items.map((li) => li.textContent));
    const op = endpoints.cloud.operator.username;
    const expected = [
      `${op} assigned lamp lamp ${lamp.device_id} (to ${endpoints.demo.username}, from nobody)`,
      `${op} released lamp lamp ${lamp.device_id} (from ${guest.username})`,
      `${op} assigned lamp lamp ${lamp.device_id} (to ${guest.username}, from ${endpoints.demo.username})`,
      `${guest.username} used a password reset link user ${guest.username}`,
      `${op} made a password reset link user ${guest.username}`,
      `${op} enabled user user ${guest.username}`,
      `${op} disabled user user ${guest.username}`,
    ];
    const newest = entries.slice(0, expected.length).map((e) => e.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC /, ""));
    assert.deepEqual(newest, expected);
    assert.deepEqual(operator.problems, []);
  });

  test("someone who is not an operator gets 403 in words", async () => {
    const { context, page } = await newPage(browser, { baseUrl: base });
    try {
      await login(page, base, endpoints.demo);
      assert.equal(await page.$("header nav a[href='/operator/admin/']"), null);
      assert.equal(await page.$("header nav a[href='/operator/analytics/']"), null);
      for (const where of ["/operator/admin/users/", "/operator/admin/lamps/", "/operator/admin/audit/"]) {
        const answer = await page.goto(`${base}${where}`);
        assert.equal(answer.status(), 403, where);
        assert.match(await page.textContent("main"), /The admin area is for operators/);
        assert.equal(await page.$("li.admin-item"), null);
      }
    } finally {
      await context.close();
    }
  });

  test("the admin pages fit a 375 px phone and have no serious accessibility problem", async () => {
    const serious = [];
    for (const viewport of [{ width: 375, height: 740 }, { width: 1280, height: 800 }]) {
      for (const colorScheme of ["light", "dark"]) {
        const context = await browser.newContext({ viewport, colorScheme, ignoreHTTPSErrors: base.startsWith("https:") });
        try {
          const page = await context.newPage();
          await login(page, base, endpoints.cloud.operator);
          for (const where of ["/operator/admin/users/", "/operator/admin/lamps/", "/operator/admin/audit/"]) {
            await page.goto(`${base}${where}`);
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= viewport.width, `${where} is ${width} px wide at ${viewport.width} px`);
            for (const v of await audit(page))
              if (v.impact === "serious" || v.impact === "critical")
                serious.push(`${viewport.width} px ${colorScheme} ${where}: ${v.id} ${v.help} at ${v.targets.join(", ")}`);
            const dir = artifactsDir();
            if (dir && colorScheme === "light")
              await page.screenshot({
                path: path.join(dir, `admin-${where.split("/")[3]}-${viewport.width}.png`),
                fullPage: true,
              });
          }
        } finally {
          await context.close();
        }
      }
    }
    assert.deepEqual(serious, [], serious.join("\n"));
  });
});
