// Keen IO's own JavaScript SDKs, unchanged, against a lampi-cloud started here:
// keen-tracking writes events (one at a time and in batches), keen-analysis reads
// back count, interval and group_by answers, and every answer is compared with
// the figure this test works out itself from the events it wrote: count, interval,
// group_by, filters, count_unique, funnel and multi_analysis.
//
// Needs: LAMPI_CLOUD_BINARY (the lampi-cloud to run), the packages from this
// folder's package.json (LAMPI_ANALYTICS_NODE_MODULES, or ./node_modules after
// `npm ci` here), and openssl for a throw-away certificate.
//
// keen-analysis's node build speaks HTTPS to the host's default port, with no
// port option: lampi-cloud serves TLS here, and node's global HTTPS agent is
// told the port and the test's CA. The SDK code itself runs as published.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

// Like webRequire in tests/browser/support.mjs, not shared: each suite has its own
// npm install and runs without the other.
function sdkRequire() {
  const candidates = [process.env.LAMPI_ANALYTICS_NODE_MODULES, path.join(here, "node_modules")].filter(Boolean);
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, "keen-tracking")) && fs.existsSync(path.join(dir, "keen-analysis"))) {
      return createRequire(path.join(dir, "..", "package.json"));
    }
  }
  throw new Error(
    "keen-tracking and keen-analysis are not installed: build the analytics_sdk_npm target (npm ci into the build " +
      "tree) or run `npm ci` in tests/analytics/ (looked in: " + candidates.join(", ") + ")"
  );
}

const require = sdkRequire();
const KeenTracking = require("keen-tracking");
const KeenAnalysis = require("keen-analysis");

const binary = process.env.LAMPI_CLOUD_BINARY;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lampi-keen-"));
const db = `sqlite://${path.join(dir, "cloud.sqlite3")}`;
let server;
let port;
let keys;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

function run(args) {
  const r = spawnSync(binary, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `lampi-cloud ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function waitForHealth(deadlineMs) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const answered = await new Promise((resolve) => {
      const req = https.get({ host: "127.0.0.1", port, path: "/healthz" }, (res) => {
        res.resume();
        resolve(res.statusCode > 0);
      });
      req.on("error", () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > until) throw new Error("lampi-cloud did not answer /healthz within " + deadlineMs + " ms");
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  assert.ok(binary, "set LAMPI_CLOUD_BINARY to the lampi-cloud binary");
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const openssl = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", key, "-out", cert], { encoding: "utf8" });
  assert.equal(openssl.status, 0, openssl.stderr);
  keys = JSON.parse(run(["analytics", "keys", "--db", db, "--name", "keen-sdk-test"]));
  port = await freePort();
  server = spawn(binary, ["serve", "--db", db, "--listen", `127.0.0.1:${port}`, "--mqtt-host", "",
    "--tls-cert", cert, "--tls-key", key, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
  https.globalAgent.options.ca = fs.readFileSync(cert);
  https.globalAgent.defaultPort = port;
  await waitForHealth(15000);
});

after(() => {
  if (server) server.kill("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });
});

const DAY = 86400000;
const items = ["lamp", "bulb", "shade"];

// 40 purchases spread over the last five days (UTC), with known items and prices.
function makePurchases(now) {
  const events = [];
  for (let i = 0; i < 40; i++) {
    const at = new Date(now - (i * 2.9 + 0.5) * 3600000);
    events.push({
      item: items[i % 3],
      price: 5 + ((i * 7) % 23),
      user: { name: `user${i % 6}` },
      keen: { timestamp: at.toISOString() },
    });
  }
  return events;
}

function utcDayStart(ms) {
  return Math.floor(ms / DAY) * DAY;
}

test("keen-tracking writes and keen-analysis reads back what an independent count says", async () => {
  const now = Date.now();
  const tracker = new KeenTracking({
    projectId: keys.project_id,
    writeKey: keys.write_key,
    host: "127.0.0.1",
    protocol: "https",
    nodeRequestConfig: { port },
  });
  const purchases = makePurchases(now);

  // Singles through recordEvent, the rest in one recordEvents batch.
  for (const e of purchases.slice(0, 5)) {
    const answer = await tracker.recordEvent("purchases", e);
    assert.deepEqual(answer, { created: true });
  }
  const batch = await tracker.recordEvents({ purchases: purchases.slice(5), pageviews: [{ page: "/" }, { page: "/x" }] });
  assert.equal(batch.purchases.length, 35);
  assert.ok(batch.purchases.every((r) => r.success === true));
  assert.deepEqual(batch.pageviews, [{ success: true }, { success: true }]);

  // A refusal comes back as Keen's error, which the SDK turns into a rejection with its code.
  await assert.rejects(tracker.recordEvent("$bad", { a: 1 }), (err) => err.code === "InvalidCollectionNameError");

  const analysis = new KeenAnalysis({
    projectId: keys.project_id,
    readKey: keys.read_key,
    host: "127.0.0.1",
    protocol: "https",
  });

  const count = await analysis.query("count", { event_collection: "purchases", timeframe: "this_7_days", timezone: "UTC" });
  assert.equal(count.result, purchases.length);

  // Daily counts over this_7_days, bucketed here by UTC day.
  const daily = await analysis.query("count", {
    event_collection: "purchases",
    timeframe: "this_7_days",
    interval: "daily",
    timezone: "UTC",
  });
  const first = utcDayStart(now) - 6 * DAY;
  assert.equal(daily.result.length, 7);
  daily.result.forEach((bucket, i) => {
    const start = first + i * DAY;
    assert.equal(Date.parse(bucket.timeframe.start), start);
    assert.equal(Date.parse(bucket.timeframe.end), start + DAY);
    const expected = purchases.filter((e) => {
      const t = Date.parse(e.keen.timestamp);
      return t >= start && t < start + DAY;
    }).length;
    assert.equal(bucket.value, expected, `day ${bucket.timeframe.start}`);
  });

  // Sum of price grouped by item.
  const byItem = await analysis.query("sum", {
    event_collection: "purchases",
    target_property: "price",
    group_by: "item",
    timeframe: "this_7_days",
    timezone: "UTC",
  });
  const sums = {};
  for (const e of purchases) sums[e.item] = (sums[e.item] || 0) + e.price;
  assert.equal(byItem.result.length, items.length);
  for (const row of byItem.result) assert.equal(row.result, sums[row.item], row.item);

  // Count grouped by two properties with a filter.
  const filtered = await analysis.query("count", {
    event_collection: "purchases",
    timeframe: "this_7_days",
    timezone: "UTC",
    group_by: ["item", "user.name"],
    filters: [{ property_name: "price", operator: "gte", property_value: 15 }],
  });
  const expectedGroups = {};
  for (const e of purchases.filter((p) => p.price >= 15)) {
    const k = `${e.item}/${e.user.name}`;
    expectedGroups[k] = (expectedGroups[k] || 0) + 1;
  }
  assert.equal(filtered.result.length, Object.keys(expectedGroups).length);
  for (const row of filtered.result) assert.equal(row.result, expectedGroups[`${row.item}/${row["user.name"]}`]);

  // count_unique over a nested property.
  const unique = await analysis.query("count_unique", {
    event_collection: "purchases",
    target_property: "user.name",
    timeframe: "this_7_days",
    timezone: "UTC",
  });
  assert.equal(unique.result, new Set(purchases.map((e) => e.user.name)).size);

  // A funnel: everyone who bought, then who of them bought a lamp, then who of those paid 20 or more.
  const funnel = await analysis.query("funnel", {
    timeframe: "this_7_days",
    timezone: "UTC",
    steps: [
      { event_collection: "purchases", actor_property: "user.name" },
      {
        event_collection: "purchases",
        actor_property: "user.name",
        filters: [{ property_name: "item", operator: "eq", property_value: "lamp" }],
      },
      {
        event_collection: "purchases",
        actor_property: "user.name",
        filters: [{ property_name: "price", operator: "gte", property_value: 20 }],
      },
    ],
  });
  const everyone = new Set(purchases.map((e) => e.user.name));
  const lampBuyers = new Set(purchases.filter((e) => e.item === "lamp").map((e) => e.user.name));
  const bigSpenders = new Set(purchases.filter((e) => e.price >= 20).map((e) => e.user.name));
  const step2 = [...everyone].filter((a) => lampBuyers.has(a));
  const step3 = step2.filter((a) => bigSpenders.has(a));
  assert.deepEqual(funnel.result, [everyone.size, step2.length, step3.length]);

  // multi_analysis: two labelled analyses over the same events.
  const multi = await analysis.query("multi_analysis", {
    event_collection: "purchases",
    timeframe: "this_7_days",
    timezone: "UTC",
    analyses: {
      total: { analysis_type: "count" },
      spent: { analysis_type: "sum", target_property: "price" },
    },
  });
  assert.deepEqual(multi.result, { total: purchases.length, spent: purchases.reduce((a, e) => a + e.price, 0) });

  // A wrong read key is refused in Keen's terms.
  const stranger = new KeenAnalysis({ projectId: keys.project_id, readKey: "0".repeat(64), host: "127.0.0.1", protocol: "https" });
  await assert.rejects(stranger.query("count", { event_collection: "purchases" }), (err) => err.code === "InvalidApiKeyError");
});

// Scoped keys from the operator's CLI, used by the SDKs as any other key: the
// write key's autofill wins over what the tracker sends, and the read key's
// filter holds whatever the query asks.
test("scoped keys made by lampi-cloud analytics access-key limit what the SDKs write and read", async () => {
  const accessKey = (definition) => JSON.parse(run(["analytics", "access-key", "--db", db, "--definition",
    JSON.stringify(definition)]));
  const acmeWriter = accessKey({ name: "acme tracker", permitted: ["writes"],
    options: { writes: { autofill: { customer: "acme" } } } });
  const acmeReader = accessKey({ name: "acme dashboard", permitted: ["queries"],
    options: { queries: { filters: [{ property_name: "customer", operator: "eq", property_value: "acme" }] } } });
  assert.equal(acmeWriter.is_active, true);
  assert.deepEqual(acmeReader.permitted, ["queries"]);

  const tracker = (writeKey) => new KeenTracking({ projectId: keys.project_id, writeKey, host: "127.0.0.1",
    protocol: "https", nodeRequestConfig: { port } });
  const visits = [{ page: "/a", customer: "globex" }, { page: "/b" }, { page: "/c", customer: "acme" }];
  for (const v of visits) assert.deepEqual(await tracker(acmeWriter.key).recordEvent("visits", v), { created: true });
  for (const v of [{ page: "/x", customer: "globex" }, { page: "/y", customer: "initech" }])
    assert.deepEqual(await tracker(keys.write_key).recordEvent("visits", v), { created: true });

  const reader = (readKey) => new KeenAnalysis({ projectId: keys.project_id, readKey, host: "127.0.0.1", protocol: "https" });
  const everyone = await reader(keys.read_key).query("count", { event_collection: "visits", group_by: "customer",
    timeframe: "this_1_days" });
  const byCustomer = Object.fromEntries(everyone.result.map((row) => [row.customer, row.result]));
  assert.deepEqual(byCustomer, { acme: visits.length, globex: 1, initech: 1 });

  const acme = reader(acmeReader.key);
  assert.equal((await acme.query("count", { event_collection: "visits", timeframe: "this_1_days" })).result, visits.length);
  const widened = await acme.query("count", { event_collection: "visits", timeframe: "this_1_days",
    filters: [{ property_name: "customer", operator: "eq", property_value: "globex" }] });
  assert.equal(widened.result, 0);
  await assert.rejects(tracker(acmeReader.key).recordEvent("visits", { page: "/z" }),
    (err) => err.code === "InvalidApiKeyError");
});
