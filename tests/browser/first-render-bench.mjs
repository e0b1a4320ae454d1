// First render of the control page's lamp list on a running platform, as a
// logged-in person sees it, in headless Chromium:
//   painted   the first contentful paint (the server sends the lamp list in the HTML)
//   controls  every lamp's card has its controls (the page's script has run)
//   live      the broker connection is up and every card shows the lamp's state
// each from the start of the navigation (the page's own clock), for a first visit
// (a new browser context: empty cache, no service worker) and a repeat visit
// (same context, cache warm). For scale, the login page's first paint in a new
// context (1.3 KB, a stylesheet, no script): what this browser on this machine
// takes for any page of ours.
//
//   LAMPI_ENDPOINTS=<stack>/endpoints.json node tests/browser/first-render-bench.mjs [VISITS]
//
// The target is 300 ms on loopback for the list (painted and controls).
import { launchBrowser, loadEndpoints, login, newPage } from "./support.mjs";

const visits = Number(process.argv[2] || 20);
const endpoints = loadEndpoints();
if (!endpoints) {
  console.error("set LAMPI_ENDPOINTS to a running platform's endpoints.json");
  process.exit(2);
}
if (!Number.isInteger(visits) || visits < 1) {
  console.error(`VISITS is a whole number of at least 1, not ${process.argv[2]}`);
  process.exit(2);
}
const base = endpoints.cloud.http.url;

// Runs in the page before its own scripts: notes when each milestone is reached.
function watchMilestones() {
  const marks = {};
  window.__lampiMilestones = marks;
  const check = () => {
    const lamps = document.querySelectorAll("li.lamp[data-device-id]");
    if (!lamps.length) return;
    const now = performance.now();
    const all = (selector) => [...lamps].every((li) => li.querySelector(selector));
    if (!marks.controls && all('[data-control="brightness"]')) marks.controls = now;
    const root = document.getElementById("lamps");
    if (!marks.live && root?.dataset.connection === "connected" && [...lamps].every((li) => li.dataset.state))
      marks.live = now;
    if (marks.controls && marks.live) observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

async function visit(page) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.__lampiMilestones?.controls && window.__lampiMilestones?.live, null, {
    timeout: 15000,
  });
  return page.evaluate(() => ({
    painted: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    controls: window.__lampiMilestones.controls,
    live: window.__lampiMilestones.live,
  }));
}

const browser = await launchBrowser();
try {
  // One login; every first visit starts a new context holding only its cookies.
  const { context: loginContext, page: loginPage } = await newPage(browser, { baseUrl: base });
  await login(loginPage, base, endpoints.demo);
  const storageState = await loginContext.storageState();
  await loginContext.close();

  const first = [];
  const repeat = [];
  const reference = [];
  for (let i = 0; i < visits; i++) {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    const loginPage = await fresh.newPage();
    await loginPage.goto(`${base}/accounts/login/`);
    await loginPage.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length, null, {
      timeout: 15000,
    });
    const painted = await loginPage.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0].startTime);
    reference.push({ painted });
    await fresh.close();

    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ignoreHTTPSErrors: true,
      storageState,
    });
    await context.addInitScript(watchMilestones);
    const page = await context.newPage();
    first.push(await visit(page));
    repeat.push(await visit(page));
    await context.close();
  }

  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const line = (name, samples, key) => {
    const xs = samples.map((s) => s[key]);
    return `${name.padEnd(26)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p90 ${pct(xs, 90).toFixed(1).padStart(6)} ms   max ${Math.max(...xs).toFixed(1).padStart(6)} ms`;
  };
  const lamps = endpoints.lamps.length;
  console.log(`control page first render, ${visits} visits each, ${lamps} lamps, ${base} (from navigation start)`);
  for (const [label, samples] of [
    ["first visit", first],
    ["repeat visit", repeat],
  ]) {
    console.log(line(`${label}: painted`, samples, "painted"));
    console.log(line(`${label}: controls`, samples, "controls"));
    console.log(line(`${label}: live`, samples, "live"));
  }
  console.log(line("login page: painted", reference, "painted"));
} finally {
  await browser.close();
}
