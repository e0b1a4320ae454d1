// The service worker (src/sw.js) in a sandbox with fake caches and network: what
// it keeps at install, which caches activation deletes, and which requests it
// answers (the shell, network first; pages with the offline page as fallback)
// and which it leaves alone (other methods, other origins, the API).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import vm from "node:vm";

const ORIGIN = "https://lampi.example";
const source = fs.readFileSync(new URL("../src/sw.js", import.meta.url), "utf8").replace("__SHELL_VERSION__", "v2");

class FakeCache {
  constructor() {
    this.entries = new Map(); // path -> body text
  }
  async addAll(requests) {
    for (const r of requests) {
      assert.equal(r.cache, "reload", "past the HTTP cache");
      this.entries.set(new URL(r.url).pathname, "fresh " + new URL(r.url).pathname);
    }
  }
  async put(request, response) {
    this.entries.set(new URL(request.url).pathname, await response.text());
  }
  async match(request) {
    const path = new URL(typeof request === "string" ? request : request.url, ORIGIN).pathname;
    return this.entries.has(path) ? new Response(this.entries.get(path)) : undefined;
  }
}

function sandbox({ online = true, caches: names = [] } = {}) {
  const handlers = {};
  const stores = new Map(names.map((n) => [n, new FakeCache()]));
  const fetched = [];
  const world = {
    online,
    stores,
    fetched,
    handlers,
    claimed: false,
    skipped: false,
  };
  const caches = {
    open: async (name) => {
      if (!stores.has(name)) stores.set(name, new FakeCache());
      return stores.get(name);
    },
    keys: async () => [...stores.keys()],
    delete: async (name) => stores.delete(name),
    match: async (request, { cacheName }) => stores.get(cacheName)?.match(request),
  };
  const context = {
    self: {
      location: { origin: ORIGIN },
      addEventListener: (type, f) => (handlers[type] = f),
      skipWaiting: async () => (world.skipped = true),
      clients: { claim: async () => (world.claimed = true) },
    },
    caches,
    URL,
    Response,
    Request: class extends Request {
      constructor(url, init) {
        super(new URL(url, ORIGIN), init);
      }
    },
    fetch: async (request) => {
      fetched.push(new URL(request.url).pathname);
      if (!world.online) throw new TypeError("Failed to fetch");
      return new Response("network " + new URL(request.url).pathname);
    },
  };
  vm.runInNewContext(source, context);
  return world;
}

// Dispatches a fetch event; answers the response's text, or null when the worker
// leaves the request to the browser.
async function fetchThrough(world, path, { method = "GET", mode = "cors", origin = ORIGIN } = {}) {
  let answer = null;
  const request = { method, mode, url: new URL(path, origin).href };
  world.handlers.fetch({ request, respondWith: (p) => (answer = p) });
  return answer && (await (await answer).text());
}

async function installed(options) {
  const world = sandbox(options);
  let done;
  world.handlers.install({ waitUntil: (p) => (done = p) });
  await done;
  world.handlers.activate({ waitUntil: (p) => (done = p) });
  await done;
  return world;
}

test("install keeps the shell in this version's cache; activation deletes older versions only", async () => {
  const world = await installed({ caches: ["lampi-shell-v1", "lampi-shell-v0", "someone-else"] });
  assert.deepEqual([...world.stores.keys()].sort(), ["lampi-shell-v2", "someone-else"]);
  const shell = [...world.stores.get("lampi-shell-v2").entries.keys()];
  for (const path of ["/offline/", "/static/lampi.js", "/static/lampi.css", "/static/mqtt.min.js", "/static/icon-512.png"])
    assert.ok(shell.includes(path), path);
  assert.ok(shell.every((p) => p === "/offline/" || p.startsWith("/static/")), shell.join());
  assert.ok(world.skipped && world.claimed, "the new worker takes open pages at once");
});

test("online, the shell comes from the network and refreshes the cache", async () => {
  const world = await installed();
  assert.equal(await fetchThrough(world, "/static/lampi.js"), "network /static/lampi.js");
  assert.equal(world.stores.get("lampi-shell-v2").entries.get("/static/lampi.js"), "network /static/lampi.js");
  assert.equal(await fetchThrough(world, "/", { mode: "navigate" }), "network /");
  assert.equal(world.stores.get("lampi-shell-v2").entries.has("/"), false, "a page is never kept");
});

test("offline, the shell comes from the cache and a page is the offline page", async () => {
  const world = await installed();
  world.online = false;
  assert.equal(await fetchThrough(world, "/static/lampi.css"), "fresh /static/lampi.css");
  assert.equal(await fetchThrough(world, "/", { mode: "navigate" }), "fresh /offline/");
  assert.equal(await fetchThrough(world, "/accounts/login/?next=/", { mode: "navigate" }), "fresh /offline/");
});

test("the API, other methods, other origins and files outside the shell are left alone", async () => {
  const world = await installed();
  assert.equal(await fetchThrough(world, "/api/v1/lamps"), null);
  assert.equal(await fetchThrough(world, "/api/v1/mqtt-credential"), null);
  assert.equal(await fetchThrough(world, "/lamps/claim/", { method: "POST", mode: "navigate" }), null);
  assert.equal(await fetchThrough(world, "/static/lampi.js", { origin: "https://elsewhere.example" }), null);
  assert.equal(await fetchThrough(world, "/static/lampi.js.map"), null);
  assert.equal(await fetchThrough(world, "/static/lampi.js?v=2"), null);
  assert.deepEqual(world.fetched.filter((p) => !p.startsWith("/static/") && p !== "/offline/"), []);
});
