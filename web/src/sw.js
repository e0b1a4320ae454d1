// The control page's service worker, served at /sw.js so its scope is the whole
// site. It keeps the application shell (the page's script, styles, icons and the
// offline page) in a cache of its own version, so the page can open without a
// network: LAMPi's lamps are then out of reach, but a lamp nearby still answers
// over Bluetooth.
//
// Only the shell is ever cached. Pages are fetched from the network every time
// (they carry the person's lamps and CSRF token) and fall back to /offline/, which
// carries neither; the API and the broker's WebSocket pass by untouched.
//
// The build writes the shell's content hash over SHELL_VERSION (web/tools/stamp-sw.mjs),
// so a new shell is a new worker and a new cache; activation deletes the old ones.

const SHELL_VERSION = "__SHELL_VERSION__";
const CACHE = "lampi-shell-" + SHELL_VERSION;
const CACHE_PREFIX = "lampi-shell-";
const OFFLINE_PAGE = "/offline/";
const SHELL = [
  OFFLINE_PAGE,
  "/static/lampi.js",
  "/static/lampi.css",
  "/static/mqtt.min.js",
  "/static/manifest.webmanifest",
  "/static/icon.svg",
  "/static/icon-192.png",
  "/static/icon-512.png",
  "/static/icon-maskable-512.png",
  "/static/apple-touch-icon.png",
];

self.addEventListener("install", (event) => {
  // "reload": past the HTTP cache, so the shell is the server's current one.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

// Network first, so an online page always gets the server's current files; the
// cached copy answers only when the network does not.
async function shellFile(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw err;
  }
}

async function page(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const offline = await caches.match(OFFLINE_PAGE, { cacheName: CACHE });
    if (offline) return offline;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(request));
  else if (SHELL.includes(url.pathname) && url.search === "") event.respondWith(shellFile(request));
});
