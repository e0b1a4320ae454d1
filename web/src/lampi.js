// LAMPi live control page.
//
// Progressively enhances the server-rendered lamp list on "/" (src/cloud/web/pages.cpp,
// index_page): every <li class="lamp"> gets a power switch and hue, saturation and
// brightness sliders that talk MQTT to the cloud broker over WebSocket, with the
// short-lived credential the cloud hands the logged-in page. Without JavaScript the
// page still lists, renames and removes lamps through its forms.
//
// MQTT contract (DESIGN.md), per lamp <id>:
//   subscribe devices/<id>/lamp/changed                 retained full state + "version"
//   subscribe devices/<id>/lamp/connection/+/state      retained "1"/"0"; online when
//                                                       lamp_service and bridge are "1"
//   publish   devices/<id>/lamp/set_config  QoS 1       any subset of the settings + "client"
//
// Strict-CSP safe: no inline script or style markup, no eval. Styles are set only
// through the CSSOM (element.style), which CSP does not restrict. mqtt.js is loaded
// from /static/mqtt.min.js (beside this file) unless the page already included it.
(function () {
  "use strict";

  const root = document.getElementById("lamps");
  if (!root) return;

  // Who we are in set_config's "client" field, so our own echoes can be recognised.
  const CLIENT_TAG = "web-" + randomHex(8);
  // At most this often per lamp while a slider moves (~10 messages/s); the value at
  // release is always sent.
  const PUBLISH_INTERVAL_MS = 100;
  // How long a value we sent may wait for the lamp's confirmation before the control
  // falls back to the lamp's last reported state.
  const CONFIRM_WINDOW_MS = 2000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  // Renew the broker credential when this fraction of its lifetime has passed, so the
  // broker never has to kick us for holding an expired one.
  const RENEW_AT_FRACTION = 0.8;
  const RENEW_MIN_MS = 5000;
  const SLIDERS = [
    { key: "hue", label: "Hue" },
    { key: "saturation", label: "Saturation" },
    { key: "brightness", label: "Brightness" },
  ];

  const scriptUrl = document.currentScript ? document.currentScript.src : location.origin + "/static/lampi.js";
  const credentialUrl = root.dataset.credentialUrl || "/api/v1/mqtt-credential";

  // ---- status line -------------------------------------------------------------

  const statusLine = document.createElement("p");
  statusLine.className = "conn-status";
  statusLine.setAttribute("role", "status");
  statusLine.setAttribute("aria-live", "polite");
  root.insertBefore(statusLine, root.firstChild);

  function setStatus(kind, text, link) {
    statusLine.dataset.status = kind;
    statusLine.textContent = text;
    if (link) {
      statusLine.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      statusLine.append(a);
    }
    root.dataset.connection = kind;
  }

  // ---- lamps --------------------------------------------------------------------

  const lamps = new Map(); // device id -> Lamp, filled at the bottom once everything is defined

  function Lamp(li) {
    this.li = li;
    this.id = li.dataset.deviceId;
    this.prefix = "devices/" + this.id + "/lamp/";
    this.state = null; // last confirmed lamp/changed, parsed
    this.version = null;
    this.connections = {}; // client id -> "1" | "0"
    this.online = li.dataset.online === "true";
    this.denied = false; // the broker refused our subscriptions (no longer ours?)
    this.outbox = null; // fields waiting for the next throttled publish
    this.lastSent = 0;
    this.timer = 0;
    this.pending = {}; // control key -> {value, until}: sent but not yet confirmed
    this.resyncTimer = 0;
    this.controls = {};
    this.build();
    const initial = parseState(li.dataset.state);
    if (initial) this.applyState(initial, li.dataset.state, true);
    this.render();
  }

  Lamp.prototype.build = function () {
    const li = this.li;
    li.classList.add("enhanced");
    const name = li.dataset.name || this.id;
    const uid = "lamp-" + this.id;

    const box = document.createElement("div");
    box.className = "controls";

    // Power: a checkbox announced as a switch; its label says what it does.
    const power = document.createElement("label");
    power.className = "power";
    const check = document.createElement("input");
    check.type = "checkbox";
    check.setAttribute("role", "switch");
    check.dataset.control = "on";
    check.setAttribute("aria-label", "Power of " + name);
    const track = document.createElement("span");
    track.className = "switch-track";
    track.setAttribute("aria-hidden", "true");
    const word = document.createElement("span");
    word.className = "power-word";
    word.textContent = "Off";
    power.append(check, track, word);
    check.addEventListener("change", () => {
      word.textContent = check.checked ? "On" : "Off";
      this.send({ on: check.checked }, "on", check.checked, true);
    });
    this.controls.on = { input: check, word: word, dragging: false };

    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.setAttribute("aria-hidden", "true");
    this.swatch = swatch;

    const head = document.createElement("div");
    head.className = "control-head";
    head.append(power, swatch);
    box.append(head);

    for (const { key, label } of SLIDERS) {
      const row = document.createElement("div");
      row.className = "slider " + key;
      const id = uid + "-" + key;
      const lab = document.createElement("label");
      lab.htmlFor = id;
      lab.textContent = label;
      const input = document.createElement("input");
      input.type = "range";
      input.id = id;
      input.min = "0";
      input.max = "1";
      input.step = "0.001";
      input.dataset.control = key;
      const out = document.createElement("output");
      out.htmlFor = id;
      row.append(lab, input, out);
      box.append(row);
      const control = { input: input, output: out, dragging: false };
      this.controls[key] = control;

      input.addEventListener("pointerdown", () => {
        control.dragging = true;
      });
      const release = () => {
        control.dragging = false;
      };
      input.addEventListener("pointerup", release);
      input.addEventListener("pointercancel", release);
      input.addEventListener("blur", release);
      // "input" fires while moving (throttled); "change" fires on release (always sent).
      input.addEventListener("input", () => this.onSlide(key, false));
      input.addEventListener("change", () => {
        control.dragging = false;
        this.onSlide(key, true);
      });
    }

    // The rename and remove forms stay, folded away so the controls come first.
    const forms = Array.from(li.querySelectorAll(":scope > form"));
    if (forms.length) {
      const manage = document.createElement("details");
      manage.className = "manage";
      const summary = document.createElement("summary");
      summary.textContent = "Rename or remove";
      manage.append(summary, ...forms);
      li.append(manage);
      for (const form of forms) {
        if (/\/remove\/$/.test(form.getAttribute("action") || "")) {
          form.addEventListener("submit", (event) => {
            if (!window.confirm("Remove " + name + " from your account?")) event.preventDefault();
          });
        }
      }
    }
    li.insertBefore(box, li.querySelector(":scope > details.manage"));
  };

  Lamp.prototype.onSlide = function (key, final) {
    const control = this.controls[key];
    const value = Number(control.input.value);
    control.output.textContent = formatValue(key, value);
    const fields = key === "hue" ? { color: { h: value } } : key === "saturation" ? { color: { s: value } } : { brightness: value };
    this.send(fields, key, value, final);
    this.paintTracks();
  };

  // Queues `fields` for set_config, at most one publish per PUBLISH_INTERVAL_MS;
  // `final` sends at once (a release, a toggle, a key press).
  Lamp.prototype.send = function (fields, key, value, final) {
    const out = this.outbox || (this.outbox = {});
    for (const [name, v] of Object.entries(fields)) {
      if (name === "color") out.color = Object.assign(out.color || {}, v);
      else out[name] = v;
    }
    this.pending[key] = { value: value, until: Date.now() + CONFIRM_WINDOW_MS };
    this.scheduleResync();
    const wait = this.lastSent + PUBLISH_INTERVAL_MS - Date.now();
    if (final || wait <= 0) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), wait);
    }
  };

  Lamp.prototype.flush = function () {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.outbox) return;
    const payload = Object.assign(this.outbox, { client: CLIENT_TAG });
    this.outbox = null;
    this.lastSent = Date.now();
    connection.publish(this.prefix + "set_config", JSON.stringify(payload));
  };

  // After the confirmation window, controls that never heard back show the lamp's
  // last reported state again rather than a value the lamp may not have taken.
  Lamp.prototype.scheduleResync = function () {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = 0;
      const now = Date.now();
      let waiting = false;
      for (const [key, p] of Object.entries(this.pending)) {
        if (p.until <= now) delete this.pending[key];
        else waiting = true;
      }
      if (waiting) this.scheduleResync();
      this.renderControls();
    }, CONFIRM_WINDOW_MS + 50);
  };

  // `raw` is the payload text, mirrored into data-state for anyone reading the DOM.
  Lamp.prototype.applyState = function (state, raw, initial) {
    if (typeof state.version === "number") {
      // Messages can arrive out of order across bridges and reconnects: never go
      // back. An equal version is the retained copy again and is harmless.
      if (this.version !== null && state.version < this.version) return;
      this.version = state.version;
    }
    this.state = state;
    this.li.dataset.state = raw;
    const now = Date.now();
    for (const key of Object.keys(this.pending)) {
      const p = this.pending[key];
      const reported = valueOf(state, key);
      // Our own intermediate echoes must not drag the control back while newer
      // values are still on their way; anything else (the final echo, someone
      // else's change, an expired wait) settles it.
      const ownEcho = state.client === CLIENT_TAG && !initial;
      if (p.until > now && ownEcho && !sameValue(key, reported, p.value)) continue;
      delete this.pending[key];
    }
    if (!initial) this.render();
  };

  Lamp.prototype.applyConnection = function (client, payload) {
    this.connections[client] = payload;
    this.online = this.connections.lamp_service === "1" && this.connections.bridge === "1";
    this.render();
  };

  // lamp/health: whether the lamp can save its changes and drive its LED.
  Lamp.prototype.applyHealth = function (text) {
    let health = null;
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && typeof parsed.durable === "boolean") health = parsed;
    } catch (err) {
      // an empty (cleared) or malformed report: show nothing
    }
    this.health = health;
    this.render();
  };

  Lamp.prototype.healthProblem = function () {
    const h = this.health;
    if (!h) return "";
    if (h.led === false) return "LED fault";
    if (h.durable === false) return "not saving";
    return "";
  };

  Lamp.prototype.render = function () {
    const li = this.li;
    const online = this.online && !this.denied;
    li.dataset.online = online ? "true" : "false";
    li.classList.toggle("offline", !online);
    const badge = li.querySelector(".badge");
    const problem = online ? this.healthProblem() : "";
    if (badge) {
      badge.textContent = this.denied ? "no access" : online ? (problem ? "online, " + problem : "online") : "offline";
      // Say what is wrong in plain words where the badge is hovered or read aloud.
      badge.title = problem === "not saving"
        ? "The lamp follows your changes but cannot save them: they will be lost if it restarts." +
          (this.health.error ? " (" + this.health.error + ")" : "")
        : problem === "LED fault"
          ? "The lamp cannot drive its light." + (this.health.error ? " (" + this.health.error + ")" : "")
          : "";
    }
    li.classList.toggle("unhealthy", problem !== "");
    this.renderControls();
  };

  Lamp.prototype.renderControls = function () {
    const usable = connection.connected && this.online && !this.denied && this.state !== null;
    const s = this.state;
    for (const [key, control] of Object.entries(this.controls)) {
      control.input.disabled = !usable;
      if (!s || control.dragging || this.pending[key]) continue;
      if (key === "on") {
        control.input.checked = !!s.on;
        control.word.textContent = s.on ? "On" : "Off";
      } else {
        const v = valueOf(s, key);
        control.input.value = String(v);
        control.output.textContent = formatValue(key, v);
      }
    }
    if (s) {
      // The swatch shows what the lamp reports, not what the sliders say.
      const [r, g, b] = s.on ? hsvToRgb(s.color.h, s.color.s, s.brightness) : [0, 0, 0];
      this.swatch.style.backgroundColor = "rgb(" + r + "," + g + "," + b + ")";
      this.swatch.dataset.on = s.on ? "true" : "false";
      this.swatch.title = s.on ? "Lamp on, " + formatValue("brightness", s.brightness) : "Lamp off";
    }
    this.paintTracks();
  };

  // Saturation and brightness tracks show the colour they lead to.
  Lamp.prototype.paintTracks = function () {
    const h = Number(this.controls.hue.input.value);
    const sat = Number(this.controls.saturation.input.value);
    this.li.style.setProperty("--hue", String(Math.round(h * 360)));
    this.li.style.setProperty("--sat", Math.round(sat * 100) + "%");
  };

  // ---- MQTT connection -----------------------------------------------------------

  const connection = {
    client: null, // the mqtt.js client whose messages we act on
    connected: false,
    attempt: 0,
    retryTimer: 0,
    renewTimer: 0,
    stopped: false,
    serial: 0,

    publish(topic, payload) {
      if (!this.client || !this.connected) return;
      this.client.publish(topic, payload, { qos: 1 }, (err) => {
        if (err) console.warn("lampi: publish to", topic, "failed:", err.message);
      });
    },

    // Fetches a fresh credential and opens a new client with it. When `renewing`,
    // the old client keeps serving until the new one is subscribed.
    async open(renewing) {
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      if (this.stopped) return;
      if (!renewing) setStatus(this.attempt ? "reconnecting" : "connecting", "Connecting to your lamps…");
      let credential;
      try {
        credential = await fetchCredential();
      } catch (err) {
        if (err.loggedOut) return this.stop("Your session has ended.", { href: "/accounts/login/?next=/", text: "Log in again" });
        return renewing ? this.renewSoon() : this.retry("Cannot get a broker credential (" + err.message + ")");
      }
      let client;
      try {
        client = mqtt.connect(brokerUrl(credential.ws_url), {
          clientId: credential.username + "-" + ++this.serial,
          username: credential.username,
          password: credential.password,
          protocolVersion: 4,
          clean: true,
          keepalive: 30,
          connectTimeout: 10000,
          // Reconnecting is ours to do: the broker refuses a used-up credential,
          // so every new connection needs a fresh one.
          reconnectPeriod: 0,
          resubscribe: false,
        });
      } catch (err) {
        return renewing ? this.renewSoon() : this.retry("Cannot reach the broker (" + err.message + ")");
      }
      let adopted = false;
      let closed = false;
      client.on("connect", () => {
        const topics = {};
        for (const lamp of lamps.values()) {
          topics[lamp.prefix + "changed"] = { qos: 1 };
          topics[lamp.prefix + "connection/+/state"] = { qos: 1 };
          topics[lamp.prefix + "health"] = { qos: 1 };
        }
        const names = Object.keys(topics);
        client.subscribe(topics, (err) => {
          // mqtt.js turns a SUBACK with any refused topic into an error that still
          // carries the packet; only an error without one is a failed exchange.
          if (err && !(err.packet && Array.isArray(err.packet.granted))) {
            console.warn("lampi: subscribe failed:", err.message);
            client.end(true);
            return;
          }
          const codes = err ? err.packet.granted : [];
          for (const lamp of lamps.values()) lamp.denied = false;
          codes.forEach((code, i) => {
            if (code < 0x80 || !names[i]) return;
            console.warn("lampi: the broker refused", names[i]);
            const lamp = lamps.get(names[i].split("/")[1]);
            if (lamp) lamp.denied = true;
          });
          adopted = true;
          this.adopt(client, credential);
        });
      });
      // Messages from a renewal's new client before it is adopted are the same
      // stream; the version check keeps duplicates harmless.
      client.on("message", (topic, payload) => onMessage(topic, payload.toString()));
      client.on("error", (err) => console.warn("lampi: MQTT:", err.message));
      client.on("close", () => {
        if (closed) return;
        closed = true;
        client.end(true);
        if (client === this.client) {
          this.client = null;
          this.connected = false;
          clearTimeout(this.renewTimer);
          renderAll();
          this.retry("Connection to your lamps lost.");
        } else if (adopted) {
          // Replaced by a renewed connection: nothing to do.
        } else if (renewing && this.client) {
          // A renewal that never made it: the old client still serves; try again soon.
          this.renewSoon();
        } else {
          this.retry("Cannot connect to the broker.");
        }
      });
    },

    adopt(client, credential) {
      const old = this.client;
      this.client = client;
      this.connected = true;
      this.attempt = 0;
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      if (old && old !== client) old.end(true);
      setStatus("connected", "Live: changes made anywhere show here at once.");
      renderAll();
      this.scheduleRenewal(credential);
    },

    scheduleRenewal(credential) {
      clearTimeout(this.renewTimer);
      const lifetimeMs = (Number(credential.expires_at) - credential.serverNow) * 1000;
      if (!(lifetimeMs > 0)) return;
      const delay = Math.max(RENEW_MIN_MS, lifetimeMs * RENEW_AT_FRACTION);
      this.renewTimer = setTimeout(() => this.open(true), delay);
    },

    renewSoon() {
      clearTimeout(this.renewTimer);
      this.renewTimer = setTimeout(() => this.open(true), RENEW_MIN_MS);
    },

    retry(why) {
      if (this.stopped) return;
      this.attempt += 1;
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.attempt - 1));
      const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
      setStatus("reconnecting", why + " Reconnecting in " + Math.max(1, Math.round(delay / 1000)) + " s…");
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.open(false), delay);
    },

    // Called when the browser says it is back online or the tab is shown again.
    nudge() {
      if (!this.stopped && !this.connected && this.retryTimer) this.open(false);
    },

    stop(why, link) {
      this.stopped = true;
      clearTimeout(this.retryTimer);
      clearTimeout(this.renewTimer);
      const client = this.client;
      this.client = null;
      this.connected = false;
      if (client) client.end(true);
      renderAll();
      setStatus("stopped", why, link);
    },
  };

  function renderAll() {
    for (const lamp of lamps.values()) lamp.render();
  }

  function onMessage(topic, text) {
    if (!topic.startsWith("devices/")) return;
    const parts = topic.split("/");
    const lamp = lamps.get(parts[1]);
    if (!lamp || parts[2] !== "lamp") return;
    if (parts.length === 4 && parts[3] === "changed") {
      const state = parseState(text);
      if (state) lamp.applyState(state, text, false);
      else console.warn("lampi: ignoring malformed state for", lamp.id);
    } else if (parts.length === 6 && parts[3] === "connection" && parts[5] === "state") {
      lamp.applyConnection(parts[4], text.trim());
    } else if (parts.length === 4 && parts[3] === "health") {
      lamp.applyHealth(text);
    }
  }

  async function fetchCredential() {
    let response;
    try {
      response = await fetch(credentialUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch (err) {
      throw new Error("network error");
    }
    if (response.status === 401 || response.status === 403) {
      const err = new Error("logged out");
      err.loggedOut = true;
      throw err;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    const body = await response.json();
    if (!body || typeof body.username !== "string" || typeof body.password !== "string" || !body.ws_url)
      throw new Error("unexpected answer");
    // expires_at is in the server's clock; measure the lifetime against it when the
    // server says what time it is.
    const date = Date.parse(response.headers.get("Date") || "");
    body.serverNow = (Number.isFinite(date) ? date : Date.now()) / 1000;
    return body;
  }

  // ws_url may be absolute or a path on this site: "/mqtt", lampi-cloud's relay
  // to the broker (or a proxy in front of it), over wss:// when the page is https://.
  function brokerUrl(wsUrl) {
    if (/^wss?:\/\//.test(wsUrl)) return wsUrl;
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsUrl;
  }

  function loadMqtt() {
    if (window.mqtt && typeof window.mqtt.connect === "function") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = new URL("mqtt.min.js", scriptUrl).href;
      s.onload = () => (window.mqtt ? resolve() : reject(new Error("mqtt.min.js defined no mqtt")));
      s.onerror = () => reject(new Error("cannot load " + s.src));
      document.head.append(s);
    });
  }

  // ---- helpers ---------------------------------------------------------------------

  function parseState(text) {
    if (!text) return null;
    let s;
    try {
      s = JSON.parse(text);
    } catch (err) {
      return null;
    }
    if (!s || typeof s !== "object" || typeof s.on !== "boolean" || !s.color || typeof s.color !== "object") return null;
    const h = Number(s.color.h);
    const sat = Number(s.color.s);
    const b = Number(s.brightness);
    if (![h, sat, b].every(Number.isFinite)) return null;
    return {
      on: s.on,
      color: { h: clamp01(h), s: clamp01(sat) },
      brightness: clamp01(b),
      client: typeof s.client === "string" ? s.client : "",
      version: Number.isInteger(s.version) ? s.version : undefined,
    };
  }

  function valueOf(state, key) {
    if (key === "on") return state.on;
    if (key === "hue") return state.color.h;
    if (key === "saturation") return state.color.s;
    return state.brightness;
  }

  function sameValue(key, a, b) {
    return key === "on" ? a === b : Math.abs(a - b) < 0.0015;
  }

  function formatValue(key, v) {
    return key === "hue" ? Math.round(v * 360) + "°" : Math.round(v * 100) + "%";
  }

  function clamp01(v) {
    return Math.min(1, Math.max(0, v));
  }

  // The lamp drives its LED from HSV with brightness as the value.
  function hsvToRgb(h, s, v) {
    const i = Math.floor(h * 6) % 6;
    const f = h * 6 - Math.floor(h * 6);
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][i];
    return rgb.map((c) => Math.round(c * 255));
  }

  function randomHex(bytes) {
    const a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return Array.from(a, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // ---- start -----------------------------------------------------------------------

  for (const li of root.querySelectorAll("li.lamp[data-device-id]")) {
    const lamp = new Lamp(li);
    lamps.set(lamp.id, lamp);
  }
  root.dataset.clientTag = CLIENT_TAG;
  if (!lamps.size) {
    setStatus("idle", "");
    return;
  }
  window.addEventListener("online", () => connection.nudge());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") connection.nudge();
  });
  loadMqtt().then(
    () => connection.open(false),
    (err) => setStatus("stopped", "Live control is unavailable: " + err.message + ".")
  );
})();
