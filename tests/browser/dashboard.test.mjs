// The operator's analytics dashboard and a lamp's on-hours, in Chromium, on the
// running platform: the test signs up two people with a ?ref= of its own, logs
// them in, switches a demo lamp twice from the control page, then opens
// /operator/analytics/ as the operator and compares each panel's table (the
// charts' text alternative, drawn from the same figures) with what it did,
// against the figures read before it started. Someone who is not an operator is
// refused. The dashboard's load time is printed.
//
// Sign-ups are limited per address and the platform keeps its database between
// runs: the test platform raises the limit (lampi up --signup-rate 1000, see
// CMakeLists.txt); on lampi-cloud's own 5 an hour this test makes 2 a run.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/dashboard.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { artifactsDir, axeSource, launchBrowser, loadEndpoints, login, newPage, waitUntil, watchLamps } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

// Every panel's table as {panel: {headings, rows: [[cell, ...]]}}, and its status line.
async function readDashboard(page, base) {
  const started = Date.now();
  const answer = await page.goto(`${base}/operator/analytics/`);
  assert.equal(answer.status(), 200);
  await page.waitForSelector("#dashboard[data-ready]", { timeout: 60000 });
  const elapsed = Date.now() - started;
  const panels = await page.$$eval("section.panel", (sections) =>
    Object.fromEntries(
      sections.map((s) => {
        const table = s.querySelector("table.figures");
        return [
          s.dataset.panel,
          {
            status: s.querySelector(".panel-status").textContent,
            failed: s.querySelector(".panel-status").classList.contains("error"),
            charts: s.querySelectorAll(".chart canvas").length,
            label: s.querySelector(".chart")?.getAttribute("aria-label") || "",
            headings: table ? [...table.querySelectorAll("thead th")].map((th) => th.textContent) : [],
            rows: table ? [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)) : [],
          },
        ];
      })
    )
  );
  return { panels, elapsed, loadMs: Number(await page.getAttribute("#dashboard", "data-load-ms")) };
}

// Today's figure in a daily panel's column `heading` (0 when the panel is empty).
function today(panel, heading) {
  const column = panel.headings.indexOf(heading);
  const day = new Date().toISOString().slice(0, 10);
  const row = panel.rows.find((r) => r[0] === day);
  return column < 0 || !row ? 0 : Number(row[column]);
}

describe("the operator's analytics dashboard", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  const tag = `dash-${process.pid}-${Date.now().toString(36)}`;
  const people = [1, 2].map((n) => ({ username: `${tag}-${n}`, password: `a-long-password-${n}` }));
  const lamp = endpoints?.lamps[0];
  let browser;
  let operator;
  let demo;
  let before_;

  before(async () => {
    browser = await launchBrowser();
    // Everyone but the two new people logs in before the figures are first read,
    // so today's active users grow by exactly two.
    demo = await newPage(browser, { baseUrl: base });
    await login(demo.page, base, endpoints.demo);
    operator = await newPage(browser, { baseUrl: base });
    await login(operator.page, base, endpoints.cloud.operator);
    before_ = await readDashboard(operator.page, base);
  });

  after(async () => {
    await browser?.close();
  });

  test("sign-ups with ?ref=, logins and lamp changes show up in the figures", async () => {
    for (const person of people) {
      const { context, page } = await newPage(browser, { baseUrl: base });
      await page.goto(`${base}/accounts/signup/?ref=${tag}`);
      await page.fill("#id_username", person.username);
      await page.fill("#id_password1", person.password);
      await page.fill("#id_password2", person.password);
      const [answer] = await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
      assert.notEqual(
        answer?.status(),
        429,
        "sign-ups from one address are limited per hour (lampi up --signup-rate) and the platform keeps its " +
          "database between runs: raise the limit, wait, or run on a fresh platform"
      );
      assert.equal(page.url(), `${base}/`, `${person.username} is signed up`);
      await context.close();
      // A password login of its own (the sign-up logs in without one).
      const again = await newPage(browser, { baseUrl: base });
      await login(again.page, base, person);
      await again.context.close();
    }

    const { operator: mqttOperator, watch } = await watchLamps(endpoints);
    try {
      await demo.page.reload();
      await demo.page.waitForSelector('#lamps[data-connection="connected"]', { timeout: 15000 });
      const power = `li.lamp[data-device-id="${lamp.device_id}"] .power`;
      for (let i = 0; i < 2; ++i) {
        const was = watch.state(lamp.device_id)?.on;
        await demo.page.click(power);
        await watch.waitFor(lamp.device_id, (s) => s.on === !was, 5000, "the lamp to switch");
      }
    } finally {
      mqttOperator.end(true);
    }

    // Events are stored in batches every 250 ms: read until the last one is in.
    let after_;
    await waitUntil(
      async () => {
        after_ = await readDashboard(operator.page, base);
        return today(after_.panels.sources, "web page") >= today(before_.panels.sources, "web page") + 2;
      },
      15000,
      "the lamp changes to reach the dashboard"
    ).catch((err) => {
      throw new Error(`${err.message}; lamp changes by source: ${JSON.stringify(after_?.panels.sources)}`);
    });
    // The owner's hours on, in the lamp's details (its switches are stored now).
    await demo.page.click(`li.lamp[data-device-id="${lamp.device_id}"] details.manage > summary`);
    const hours = `li.lamp[data-device-id="${lamp.device_id}"] .on-hours`;
    await demo.page.waitForSelector(`${hours} .on-hours-chart`, { timeout: 10000 });
    assert.match(await demo.page.textContent(hours), /On for [\d.]+ h in the last 30 days\./);
    assert.match(await demo.page.textContent(hours), /of the LED's 25 000 h rated life/);
    assert.equal(await demo.page.$$eval(`${hours} tbody tr`, (rows) => rows.length), 30);
    assert.deepEqual(demo.problems, []);

    const { panels } = after_;
    for (const [name, panel] of Object.entries(panels)) assert.equal(panel.failed, false, `${name}: ${panel.status}`);
    assert.equal(today(panels["sign-ups"], "Sign-ups"), today(before_.panels["sign-ups"], "Sign-ups") + 2);
    assert.equal(
      today(panels.active, "Active users"),
      today(before_.panels.active, "Active users") + 2,
      "two new people logged in today"
    );
    assert.ok(today(panels.active, "Active lamps") >= 1);
    assert.equal(today(panels.sources, "web page"), today(before_.panels.sources, "web page") + 2);
    assert.deepEqual(
      panels.referrers.rows.find((r) => r[0] === tag),
      [tag, "2", ""],
      "the test's referrer with its two sign-ups"
    );
    assert.ok(today(panels.online, "Lamps online") >= endpoints.lamps.length);
    for (const name of ["sign-ups", "active", "sources", "online"]) {
      assert.equal(panels[name].charts, 1, `${name} has its chart`);
      assert.match(panels[name].label, /in 30 days/, `${name}'s chart has a text alternative`);
    }
    const retention = panels.retention.rows.map((r) => r[0]);
    for (const person of people) assert.ok(!retention.includes(person.username), `${person.username} is active`);
    assert.deepEqual(operator.problems, []);
    console.log(
      `dashboard load: ${after_.elapsed} ms from navigation to every panel drawn (${after_.loadMs} ms of queries and drawing)`
    );
    const dir = artifactsDir();
    if (dir) await operator.page.screenshot({ path: path.join(dir, "dashboard-1280.png"), fullPage: true });
  });

  test("it has no serious accessibility problem in the light or the dark theme", async () => {
    const { page } = operator;
    for (const colorScheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme });
      await readDashboard(page, base);
      await page.$$eval("details.figures", (folded) => folded.forEach((d) => (d.open = true)));
      await page.evaluate(axeSource());
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return result.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id}: ${v.help} (${v.nodes[0].target.join(" ")})`);
      });
      assert.deepEqual(violations, [], colorScheme);
    }
  });

  test("someone who is not an operator cannot open it", async () => {
    const { context, page } = await newPage(browser, { baseUrl: base });
    await login(page, base, endpoints.demo);
    const answer = await page.goto(`${base}/operator/analytics/`);
    assert.equal(answer.status(), 403);
    assert.match(await page.textContent("main"), /for operators/);
    assert.equal(await page.$("#dashboard"), null);
    const query = await page.evaluate(async () => {
      const r = await fetch("/operator/analytics/queries/count?event_collection=sign_ups");
      return r.status;
    });
    assert.equal(query, 403);
    await context.close();
  });
});
