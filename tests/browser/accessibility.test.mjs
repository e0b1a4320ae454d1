// Every page, as a person with a screen reader, a keyboard or weak eyes meets it:
// axe-core (WCAG 2.1 A and AA rules) in Chromium at 1280x800 and 375x740, in the
// light and the dark theme. No serious or critical violation may be left. At
// each size every page also fits its width (no sideways scrolling) and keeps its
// navigation on one row; with LAMPI_ARTIFACTS set, each is saved as a screenshot.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/accessibility.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { artifactsDir, audit, launchBrowser, loadEndpoints, login } from "./support.mjs";

const endpoints = loadEndpoints();
const skip = endpoints ? false : "LAMPI_ENDPOINTS is not set (path of a running platform's endpoints.json)";

const viewports = [
  { name: "1280", size: { width: 1280, height: 800 } },
  { name: "375", size: { width: 375, height: 740 } },
];
const themes = ["light", "dark"];

// What a page's layout gets wrong at this width: content wider than the window,
// or a navigation that wrapped onto a second row.
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const wide = document.documentElement.scrollWidth;
    if (wide > window.innerWidth) problems.push(`${wide} px wide in a ${window.innerWidth} px window`);
    const links = [...document.querySelectorAll("header nav > *")];
    const rows = new Set(links.map((l) => Math.round(l.getBoundingClientRect().top)));
    if (rows.size > 1) problems.push(`the navigation wraps onto ${rows.size} rows`);
    return problems;
  });
}

// The pages, each reached as a person would: the first ones before logging in.
const pages = [
  { path: "/accounts/login/", loggedIn: false },
  { path: "/accounts/signup/", loggedIn: false },
  // The control page with its folded timers and schedules open, so their forms are audited too.
  { path: "/", loggedIn: true, ready: "#lamps details.schedules", open: "details.schedules" },
  { path: "/accounts/password_change/", loggedIn: true },
];

describe("accessibility (axe-core, WCAG 2.1 AA)", { skip }, () => {
  const base = endpoints?.cloud.http.url;
  let browser;
  const summary = [];

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    console.log(`axe: ${summary.join("; ")}`);
  });

  for (const viewport of viewports) {
    for (const theme of themes) {
      test(`every page at ${viewport.name} px, ${theme} theme`, async () => {
        const context = await browser.newContext({
          viewport: viewport.size,
          colorScheme: theme,
          ignoreHTTPSErrors: base.startsWith("https:"),
        });
        try {
          const page = await context.newPage();
          const serious = [];
          let minor = 0;
          let loggedIn = false;
          for (const p of pages) {
            if (p.loggedIn && !loggedIn) {
              await login(page, base, endpoints.demo);
              loggedIn = true;
            }
            await page.goto(`${base}${p.path}`);
            if (p.ready) await page.waitForSelector(p.ready);
            if (p.open) await page.$$eval(p.open, (folded) => folded.forEach((d) => (d.open = true)));
            for (const problem of await layoutProblems(page)) serious.push(`${p.path}: ${problem}`);
            const dir = artifactsDir();
            if (dir) {
              const name = p.path.replace(/^\/|\/$/g, "").replace(/\//g, "-") || "control-page";
              await page.screenshot({ path: path.join(dir, `${name}-${viewport.name}-${theme}.png`), fullPage: true });
            }
            for (const v of await audit(page)) {
              if (v.impact === "serious" || v.impact === "critical")
                serious.push(`${p.path}: ${v.id} (${v.impact}) ${v.help} at ${v.targets.join(", ")}`);
              else minor += 1;
            }
          }
          summary.push(`${viewport.name} px ${theme}: ${serious.length} serious or critical, ${minor} minor`);
          assert.deepEqual(serious, [], serious.join("\n"));
        } finally {
          await context.close();
        }
      });
    }
  }
});
