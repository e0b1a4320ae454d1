// lampi-load's live web UI (lampi-load http --web) in headless Chromium: the page
// starts a run against a real local server, its chart and request table follow
// the run, Stop stops the users, and "End run" ends lampi-load with its report.
// The same page for MQTT publishers (lampi-load publish --web) against a real
// Mosquitto, behind --web-auth: clients, connect rate and messages per second
// from the form; and
// the controller's (lampi-load controller --web) for web users over two workers,
// on a desktop and on a phone.
//
//   LAMPI_LOAD=<build>/src/load/lampi-load [LAMPI_NODE_MODULES=<build>/web/node_modules] \
//   node --test tests/browser/load-web.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { audit, launchBrowser, newPage, waitUntil } from "./support.mjs";

const binary = process.env.LAMPI_LOAD;
const skip = binary ? false : "LAMPI_LOAD is not set (path of the lampi-load binary)";

// lampi-load with `args` (--web 127.0.0.1:0 among them), once it has said where its page is:
// {child, output, exited, url}.
async function startWebLoad(args) {
  const child = spawn(binary, args);
  const load = { child, output: "", exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  child.stdout.on("data", (d) => (load.output += d));
  child.stderr.on("data", (d) => (load.output += d));
  await waitUntil(() => /web UI is at (http:\/\/127\.0\.0\.1:\d+\/)/.test(load.output), 10000, "lampi-load's URL");
  load.url = load.output.match(/web UI is at (http:\/\/127\.0\.0\.1:\d+\/)/)[1];
  return load;
}

// After a test: the page, the browser, and lampi-load if the test did not end it.
async function closeAll(ui, browser, load) {
  await ui?.context.close();
  await browser?.close();
  if (load && load.child.exitCode === null) load.child.kill("SIGKILL");
}

// The page's table count (`count()`) grows and goes on growing, the charts gain
// points and uPlot draws all three.
async function expectTheRunToMove(page, count) {
  await waitUntil(async () => (await count()) > 10, 10000, "a count in the table");
  const first = await count();
  await waitUntil(async () => (await count()) > first + 10, 10000, "the table to move");
  await page.waitForFunction(() => Number(document.getElementById("chart-rps").dataset.points) >= 3, null, {
    timeout: 10000,
  });
  for (const chart of ["#chart-rps", "#chart-times", "#chart-users"]) {
    assert.ok(await page.$(`${chart} canvas`), `uPlot drew ${chart}`);
  }
}

// The page's Stop (every user or client stopped), then its End run: lampi-load's exit code, or "timeout".
async function stopThenEnd(page, load) {
  await page.click("#stop");
  await page.waitForSelector('#state[data-state="stopped"]', { timeout: 5000 });
  await page.waitForFunction(() => document.getElementById("users").textContent === "0", null, { timeout: 10000 });
  await page.click("#quit");
  return Promise.race([load.exited, new Promise((r) => setTimeout(() => r("timeout"), 20000))]);
}

describe("lampi-load web UI", { skip }, () => {
  let target; // a real HTTP server on loopback, answering after 5 ms
  let targetRequests = 0;
  let load; // {child, output, exited}
  let browser;
  let ui; // {context, page, problems}
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lampi-load-web-"));
    target = http.createServer((req, res) => {
      targetRequests += 1;
      setTimeout(() => res.end("ok"), 5);
    });
    await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
    const scenario = path.join(dir, "browse.lua");
    fs.writeFileSync(scenario, 'wait = 0.1\ntasks = {{run = function(user) user:get("/") end}}\n');

    load = await startWebLoad([
      "http", "--host", `http://127.0.0.1:${target.address().port}`, "-f", scenario, "-u", "3", "-r", "10",
      "--threads", "1", "--web", "127.0.0.1:0", "--quiet",
    ]);

    browser = await launchBrowser();
    ui = await newPage(browser, { baseUrl: load.url });
  });

  after(async () => {
    await closeAll(ui, browser, load);
    target?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("start from the page, watch the chart and table move, stop, end the run", async () => {
    const { page } = ui;
    await page.goto(load.url);
    await page.waitForSelector('#state[data-state="ready"]');
    assert.equal(await page.inputValue("#form-users"), "3", "-u fills the form");
    assert.equal(targetRequests, 0, "no user before Start");

    await page.fill("#form-users", "4");
    await page.fill("#form-rate", "20");
    await page.click("#start");
    await page.waitForSelector('#state[data-state="running"]', { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("users").textContent === "4", null, { timeout: 10000 });

    // The request table gets a row for "/" whose count grows, and the chart gains points.
    const count = () =>
      page.$$eval("#requests tbody tr", (rows) => {
        const row = rows.find((r) => r.children[1].textContent === "/");
        return row ? Number(row.children[2].textContent) : 0;
      });
    await expectTheRunToMove(page, count);
    assert.match(await page.textContent("#scenario"), /browse\.lua/);

    await page.click("#stop");
    await page.waitForSelector('#state[data-state="stopped"]', { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("users").textContent === "0", null, { timeout: 10000 });
    const stopped = targetRequests;
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(targetRequests - stopped <= 4, "no more load once stopped");

    const whileRunning = ui.problems.filter((p) => !p.includes("does not answer"));
    assert.deepEqual(whileRunning, [], "no CSP violation or page error while it ran");
    await page.click("#quit");
    const code = await Promise.race([load.exited, new Promise((r) => setTimeout(() => r("timeout"), 20000))]);
    assert.notEqual(code, "timeout", "lampi-load ended");
    assert.match(load.output, /Aggregated/, "the end-of-run tables were printed");
    // Once lampi-load has ended, the page's next poll is refused (Chromium logs that
    // itself) and the page says the run does not answer: both expected, nothing else.
    const gone = (p) => p.includes("does not answer") || p.includes("net::ERR_CONNECTION_REFUSED");
    assert.deepEqual(ui.problems.filter((p) => !gone(p)), [], "no CSP violation or page error");
  });
});

// A port free on loopback now (Mosquitto takes it right after).
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A real Mosquitto on a free loopback port, its configuration in `dir`, once it listens: {child, port, output}.
async function startBroker(dir) {
  const port = await freePort();
  const conf = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const broker = { child: spawn("mosquitto", ["-c", conf]), port, output: "" };
  broker.child.stderr.on("data", (d) => (broker.output += d));
  await waitUntil(
    () =>
      new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.end();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      }),
    10000,
    "Mosquitto to listen"
  );
  return broker;
}

describe("lampi-load web UI for MQTT publishers", { skip }, () => {
  let broker; // {child, port}
  let load; // {child, output, exited, url}
  let browser;
  let ui;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lampi-load-web-mqtt-"));
    broker = await startBroker(dir);
    const port = broker.port;

    load = await startWebLoad([
      "publish", "-p", String(port), "-P", "3", "-T", "20", "-q", "1", "--threads", "1", "--web", "127.0.0.1:0",
      "--web-auth", "tester:a passphrase", "--quiet",
    ]);

    browser = await launchBrowser();
    // The browser answers the page's challenge once; its fetches of /stats and the steers carry the same.
    ui = await newPage(browser, { baseUrl: load.url, httpCredentials: { username: "tester", password: "a passphrase" } });
  });

  after(async () => {
    await closeAll(ui, browser, load);
    if (broker) broker.child.kill("SIGTERM");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("without the user and password of --web-auth the page is refused", async () => {
    const stranger = await browser.newContext();
    // Headless Chromium, challenged with nothing to give, gives up on the page.
    await assert.rejects((await stranger.newPage()).goto(load.url), /ERR_INVALID_AUTH_CREDENTIALS/);
    const response = await stranger.request.get(load.url);
    assert.equal(response.status(), 401);
    assert.match(response.headers()["www-authenticate"], /^Basic realm="lampi-load"/);
    assert.doesNotMatch(await response.text(), /<html/);
    await stranger.close();
  });

  test("start clients from the page, change their number and rate, stop, end the run", async () => {
    const { page } = ui;
    await page.goto(load.url);
    await page.waitForSelector('#state[data-state="ready"]');
    // The publisher's form: -P, a connect rate, -T.
    await page.waitForSelector("#message-rate-field:not([hidden])");
    assert.equal(await page.inputValue("#form-users"), "3", "-P fills the form");
    assert.equal(await page.inputValue("#form-message-rate"), "20", "-T fills the form");
    assert.equal(await page.textContent("#form-users-label"), "Clients");
    assert.ok(await page.isHidden("#requests-section"), "no Locust table for publishers");
    assert.ok(await page.isVisible('a[href="/series.csv"]'));

    await page.fill("#form-users", "4");
    await page.fill("#form-rate", "20");
    await page.fill("#form-message-rate", "10");
    await page.click("#start");
    await page.waitForSelector('#state[data-state="running"]', { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("users").textContent === "4", null, { timeout: 10000 });

    // The messages table counts confirmations; the charts gain points.
    const confirmed = () =>
      page.$$eval("#messages tbody tr", (rows) => (rows.length ? Number(rows[0].children[1].textContent) : 0));
    await expectTheRunToMove(page, confirmed);
    assert.match(await page.textContent("#chart-times"), /99th percentile/, "the latency chart has p99");
    assert.match(await page.textContent("#scenario"), /clients steered from the web UI/);

    // Fewer clients, as fast as confirmed.
    await page.fill("#form-users", "2");
    await page.fill("#form-message-rate", "0");
    await page.click("#start");
    await page.waitForFunction(() => document.getElementById("users").textContent === "2", null, { timeout: 10000 });
    await page.waitForFunction(() => Number(document.getElementById("rps").textContent) > 200, null, {
      timeout: 10000,
    });

    const code = await stopThenEnd(page, load);
    assert.equal(code, 0, load.output);
    assert.match(load.output, /Aggregate stats/, "malaria's blocks were printed");
    assert.match(load.output, /Result: OK/);
    assert.deepEqual(ui.problems.filter((p) => !p.includes("does not answer")), [], "no CSP violation or page error");
  });
});

// The controller's page (lampi-load controller --web) for web users spread over two
// workers, each a lampi-load process on a real Mosquitto: the same page shows
// their merged run, and its form, Stop and End run steer the workers.
describe("lampi-load controller's web UI", { skip }, () => {
  let broker;
  let target; // a real HTTP server on loopback
  const workers = []; // {child, output}
  let load;
  let browser;
  let ui;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lampi-load-web-cluster-"));
    target = http.createServer((req, res) => setTimeout(() => res.end("ok"), 5));
    await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
    broker = await startBroker(dir);
    const secret = path.join(dir, "cluster-secret");
    fs.writeFileSync(secret, "a secret shared by the cluster\n", { mode: 0o600 });
    for (const id of ["w0", "w1"]) {
      const worker = {
        child: spawn(binary, ["worker", "--controller", `127.0.0.1:${broker.port}`, "--id", id, "--secret-file", secret]),
        output: "",
      };
      worker.child.stderr.on("data", (d) => (worker.output += d));
      workers.push(worker);
      await waitUntil(() => worker.output.includes("waiting for runs"), 10000, `worker ${id} to wait for runs`);
    }
    const scenario = path.join(dir, "browse.lua");
    fs.writeFileSync(scenario, 'wait = 0.1\ntasks = {{run = function(user) user:get("/") end}}\n');
    load = await startWebLoad([
      "controller", "--broker", `127.0.0.1:${broker.port}`, "--workers", "2", "--secret-file", secret,
      "--web", "127.0.0.1:0", "--", "http", "--host", `http://127.0.0.1:${target.address().port}`, "-f", scenario,
      "-u", "2", "-r", "20", "--threads", "1", "--quiet",
    ]);
    browser = await launchBrowser();
    ui = await newPage(browser, { baseUrl: load.url });
  });

  after(async () => {
    await closeAll(ui, browser, load);
    for (const w of workers) w.child.kill("SIGTERM");
    if (broker) broker.child.kill("SIGTERM");
    target?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // The same run on a 375 px phone: the page fits its width (the wide tables scroll
  // within their sections), the controls are on screen, nothing serious for axe.
  test("on a 375 px phone the page fits, its controls are within reach, axe finds nothing serious", async () => {
    const phone = await newPage(browser, { baseUrl: load.url, viewport: { width: 375, height: 740 } });
    try {
      const { page } = phone;
      await page.goto(load.url);
      await page.waitForSelector('#state[data-state="running"]', { timeout: 10000 });
      await page.waitForFunction(() => document.querySelectorAll("#requests tbody tr").length > 0, null, {
        timeout: 10000,
      });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 375, `the page is ${width} px wide on a 375 px phone`);
      for (const control of ["#form-users", "#form-rate", "#start", "#stop", "#quit"]) {
        const box = await page.locator(control).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${control} is on screen: ${JSON.stringify(box)}`);
      }
      const serious = (await audit(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(serious, [], "no serious or critical accessibility problem");
      assert.deepEqual(phone.problems, [], "no CSP violation or page error");
    } finally {
      await phone.context.close();
    }
  });

  test("the merged run moves, the form changes the workers' users, Stop and End run steer them", async () => {
    const { page } = ui;
    await page.goto(load.url);
    await page.waitForSelector('#state[data-state="running"]', { timeout: 10000 });
    await page.waitForFunction(() => document.getElementById("users").textContent === "2", null, { timeout: 10000 });
    assert.match(await page.textContent("#scenario"), /on 2 workers/);
    const count = () =>
      page.$$eval("#requests tbody tr", (rows) => {
        const row = rows.find((r) => r.children[1].textContent === "/");
        return row ? Number(row.children[2].textContent) : 0;
      });
    await expectTheRunToMove(page, count);

    await page.fill("#form-users", "6");
    await page.fill("#form-rate", "50");
    await page.click("#start");
    await page.waitForFunction(() => document.getElementById("users").textContent === "6", null, { timeout: 10000 });
    assert.match(load.output, /the page asks for 6 users at 50 a second: w0 3, w1 3/);

    const code = await stopThenEnd(page, load);
    assert.equal(code, 0, load.output);
    assert.match(load.output, /the page ended the run/);
    for (const w of workers) assert.match(w.output, /finished by its controller/);
    const gone = (p) => p.includes("does not answer") || p.includes("net::ERR_CONNECTION_REFUSED");
    assert.deepEqual(ui.problems.filter((p) => !gone(p)), [], "no CSP violation or page error");
  });
});

// The HTML report of a ramp to failure, opened as a file: its step table and
// the two by-users charts draw, with no page error.
describe("lampi-load HTML report of a ramp", { skip }, () => {
  test("the steps table and the by-users charts render", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lampi-load-ramp-"));
    const target = http.createServer((req, res) => setTimeout(() => res.end("ok"), 5));
    await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
    let browser;
    try {
      const scenario = path.join(dir, "browse.lua");
      fs.writeFileSync(scenario, 'wait = 0.05\ntasks = {{run = function(user) user:get("/") end}}\n');
      const report = path.join(dir, "ramp.html");
      const child = spawn(binary, [
        "http", "--host", `http://127.0.0.1:${target.address().port}`, "-f", scenario, "-r", "50", "-u", "3",
        "--step-users", "1", "--step-time", "1", "--stop-when", "p95>5s", "--threads", "1", "--quiet",
        "--report", report,
      ]);
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const code = await new Promise((resolve) => child.on("exit", resolve));
      assert.equal(code, 0, output);

      browser = await launchBrowser();
      const ui = await newPage(browser, { baseUrl: "file://" });
      await ui.page.goto(`file://${report}`);
      const steps = await ui.page.$$eval("#ramp-steps tr", (rows) => rows.slice(1).map((r) => r.children[0].textContent));
      assert.deepEqual(steps, ["1", "2", "3"]);
      assert.equal(await ui.page.textContent("#ramp-steps tr.knee td"), "3");
      await ui.page.waitForSelector("#chart-ramp-latency canvas", { timeout: 5000 });
      assert.ok(await ui.page.$("#chart-ramp-throughput canvas"), "uPlot drew throughput by users");
      assert.match(await ui.page.textContent("#chart-ramp-latency"), /p95_ms/, "the legend names the percentiles");
      assert.deepEqual(ui.problems, [], "no page error");
      await ui.context.close();
    } finally {
      await browser?.close();
      target.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
