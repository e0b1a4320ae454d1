// The page's DOM: the status line and one card per lamp. A card shows what the
// lamp last reported, sends what the person changes, and says plainly when a
// change was not confirmed, with a Retry button.
import {
  COOLEST_KELVIN,
  WARMEST_KELVIN,
  commandFailureText,
  formatValue,
  hsvToRgb,
  temperatureOf,
  whiteOfTemperature,
} from "./format.js";
import {
  CommandTracker,
  badgeFor,
  controlValues,
  fieldsFor,
  mergeFields,
  parseHealth,
  parseState,
  reflects,
  valueOf,
} from "./state.js";

// At most this often per lamp while a slider moves (~10 messages/s); the value at
// release is always sent.
const PUBLISH_INTERVAL_MS = 100;
const SLIDERS = [
  { key: "hue", label: "Hue" },
  { key: "saturation", label: "Saturation" },
  { key: "brightness", label: "Brightness" },
];

export function element(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.includes("-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

export class StatusLine {
  constructor(root) {
    this.root = root;
    this.p = element("p", { class: "conn-status", role: "status", "aria-live": "polite" });
    root.insertBefore(this.p, root.firstChild);
  }

  show(kind, text, link) {
    this.root.dataset.connection = kind;
    this.p.dataset.status = kind;
    if (this.p.textContent === text && !link) return; // keep screen readers quiet
    this.p.textContent = text;
    if (link) this.p.append(" ", element("a", { href: link.href, textContent: link.text }));
  }
}

// A lamp's <li> as the server renders it (src/cloud/pages/pages.cpp, lamp_item), for
// lamps that join the account while the page is open. The device id lives in the
// folded details, beside the name, room and remove forms.
export function lampItem(lamp, csrf) {
  const id = lamp.device_id;
  const csrfField = () => element("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf });
  const field = (name, label, value, maxLength) => [
    element("label", { htmlFor: name + "-" + id, textContent: label }),
    " ",
    element("input", { type: "text", name, id: name + "-" + id, value: value || "", maxLength }),
    " ",
  ];
  const save = element(
    "form",
    { method: "post", action: "/lamps/" + id + "/rename/" },
    csrfField(),
    ...field("name", "Name", lamp.name, 100),
    ...field("room", "Room", lamp.room, 60),
    element("button", { type: "submit", textContent: "Save" })
  );
  save.querySelector('[name="room"]').setAttribute("list", "room-names");
  const remove = element(
    "form",
    { method: "post", action: "/lamps/" + id + "/remove/" },
    csrfField(),
    element("button", { type: "submit", textContent: "Remove" })
  );
  const details = element(
    "details",
    { class: "manage" },
    element("summary", { textContent: "Details" }),
    element("p", { class: "device-id" }, "Device id ", element("code", { textContent: id })),
    save,
    remove
  );
  return element(
    "li",
    {
      class: "lamp",
      dataset: {
        deviceId: id,
        name: lamp.name || "",
        room: lamp.room || "",
        online: lamp.online ? "true" : "false",
        state: lamp.state ? JSON.stringify(lamp.state) : "",
      },
    },
    element("span", { class: "lamp-name", textContent: lamp.name || id }),
    " ",
    element("span", { class: "badge", textContent: lamp.online ? "online" : "offline" }),
    details
  );
}

export class LampCard {
  // publish(topic, payload text, done(err)); connection(): the connection's state kind;
  // onRender(): after every render (the room's controls follow their lamps);
  // failureText(reason): the words of an unconfirmed change.
  constructor(li, { clientTag, publish, connection, onRender = () => {}, failureText = commandFailureText }) {
    this.li = li;
    this.id = li.dataset.deviceId;
    this.room = li.dataset.room || "";
    this.onRender = onRender;
    this.failureText = failureText;
    this.prefix = "devices/" + this.id + "/lamp/";
    this.clientTag = clientTag;
    this.publish = publish;
    this.connection = connection;
    this.state = null; // last confirmed lamp/changed, parsed
    this.version = null;
    this.connections = {}; // client id -> "1" | "0"
    this.online = li.dataset.online === "true";
    this.denied = false; // the broker refused our subscriptions (no longer ours?)
    this.health = null;
    this.outbox = null; // fields waiting for the next throttled publish
    this.lastSent = 0;
    this.timer = 0;
    this.commands = new CommandTracker(clientTag);
    this.expiryTimer = 0;
    this.failure = null; // {payload, reason}: the last unconfirmed command, to retry
    this.controls = {};
    this.build();
    const initial = parseState(li.dataset.state);
    if (initial) this.applyState(initial, li.dataset.state);
    this.render();
  }

  topics() {
    return [this.prefix + "changed", this.prefix + "connection/+/state", this.prefix + "health"];
  }

  build() {
    const li = this.li;
    li.classList.add("enhanced");
    const name = li.dataset.name || this.id;
    const uid = "lamp-" + this.id;
    const box = element("div", { class: "controls" });

    // Power: a checkbox announced as a switch; its label says what it does.
    const check = element("input", { type: "checkbox", role: "switch", "aria-label": "Power of " + name });
    check.dataset.control = "on";
    const word = element("span", { class: "power-word", textContent: "Off" });
    const power = element(
      "label",
      { class: "power" },
      check,
      element("span", { class: "switch-track", "aria-hidden": "true" }),
      word
    );
    check.addEventListener("change", () => {
      word.textContent = check.checked ? "On" : "Off";
      this.send("on", check.checked, true);
    });
    this.controls.on = { input: check, word, dragging: false };

    this.swatch = element("span", { class: "swatch", "aria-hidden": "true" });
    box.append(element("div", { class: "control-head" }, power, this.swatch));

    for (const { key, label } of SLIDERS) {
      const id = uid + "-" + key;
      const input = element("input", { type: "range", id, min: "0", max: "1", step: "0.001", "aria-label": label + " of " + name });
      input.dataset.control = key;
      const out = element("output");
      out.htmlFor = id;
      const lab = element("label", { textContent: label });
      lab.htmlFor = id;
      box.append(element("div", { class: "slider " + key }, lab, input, out));
      const control = { input, output: out, dragging: false };
      this.controls[key] = control;

      input.addEventListener("pointerdown", () => (control.dragging = true));
      const release = () => (control.dragging = false);
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

    box.append(this.buildTemperature(uid, name));

    // Where an unconfirmed change is reported, with its Retry button.
    this.retryButton = element("button", { type: "button", class: "retry", textContent: "Retry" });
    this.retryButton.addEventListener("click", () => this.retry());
    this.errorText = element("span", { class: "command-error-text" });
    this.errorBox = element("p", { class: "command-error", role: "alert", hidden: true }, this.errorText, " ", this.retryButton);
    box.append(this.errorBox);

    // The details (device id, name and room, remove) stay folded below the controls.
    const manage = li.querySelector(":scope > details.manage");
    const remove = manage && manage.querySelector('form[action$="/remove/"]');
    if (remove) {
      remove.addEventListener("submit", (event) => {
        if (!window.confirm("Remove " + (li.dataset.name || this.id) + " from your account?")) event.preventDefault();
      });
    }
    li.insertBefore(box, manage);
  }

  // Colour temperature: sets hue and saturation together to a white (format.js,
  // whiteOfTemperature); it shows the lamp's temperature when its colour is one.
  buildTemperature(uid, name) {
    const id = uid + "-temperature";
    const input = element("input", {
      type: "range",
      id,
      min: String(WARMEST_KELVIN),
      max: String(COOLEST_KELVIN),
      step: "100",
      value: "2700",
      "aria-label": "Colour temperature of " + name,
    });
    input.dataset.control = "temperature";
    const output = element("output", { textContent: "–" });
    output.htmlFor = id;
    const lab = element("label", { textContent: "White" });
    lab.htmlFor = id;
    const control = { input, output, dragging: false };
    this.temperature = control;
    input.addEventListener("pointerdown", () => (control.dragging = true));
    const release = () => (control.dragging = false);
    input.addEventListener("pointerup", release);
    input.addEventListener("pointercancel", release);
    input.addEventListener("blur", release);
    const slide = (final) => {
      const kelvin = Number(input.value);
      this.showTemperature(kelvin);
      const white = whiteOfTemperature(kelvin);
      this.controls.hue.input.value = String(white.h);
      this.controls.saturation.input.value = String(white.s);
      this.sendAll([["hue", white.h], ["saturation", white.s]], final);
      this.paintTracks();
    };
    input.addEventListener("input", () => slide(false));
    input.addEventListener("change", () => {
      control.dragging = false;
      slide(true);
    });
    return element("div", { class: "slider temperature" }, lab, input, output);
  }

  showTemperature(kelvin) {
    const { input, output } = this.temperature;
    const text = kelvin === null ? "–" : kelvin + " K";
    if (kelvin !== null) input.value = String(kelvin);
    output.textContent = text;
    input.setAttribute("aria-valuetext", kelvin === null ? "not a white" : text);
  }

  onSlide(key, final) {
    const control = this.controls[key];
    const value = Number(control.input.value);
    control.output.textContent = formatValue(key, value);
    control.input.setAttribute("aria-valuetext", formatValue(key, value));
    this.send(key, value, final);
    this.paintTracks();
  }

  // Queues the control's new value for set_config, at most one publish per
  // PUBLISH_INTERVAL_MS; `final` sends at once (a release, a toggle, a key press).
  send(key, value, final) {
    this.sendAll([[key, value]], final);
  }

  // A whole look (a scene) in one set_config, at once.
  sendLook(payload) {
    this.sendAll(controlValues(payload), true);
  }

  // Several settings (a colour temperature's hue and saturation, a scene) go in one message.
  sendAll(pairs, final) {
    this.clearFailure();
    for (const [key, value] of pairs) {
      this.outbox = mergeFields(this.outbox || {}, fieldsFor(key, value));
      this.commands.sent(key, value, Date.now(), this.state);
    }
    this.scheduleExpiry();
    const wait = this.lastSent + PUBLISH_INTERVAL_MS - Date.now();
    if (final || wait <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.outbox) return;
    const payload = Object.assign(this.outbox, { client: this.clientTag });
    this.outbox = null;
    this.lastSent = Date.now();
    this.publish(this.prefix + "set_config", JSON.stringify(payload), (err) => {
      if (err) this.fail(this.commands.failAll(), "unreachable");
    });
  }

  retry() {
    const payload = this.failure && this.failure.payload;
    if (!payload) return;
    this.clearFailure();
    for (const [key, value] of controlValues(payload)) this.send(key, value, true);
  }

  // Commands that never heard back fail when their window ends: the card says so
  // and the controls show the lamp's last reported state again.
  scheduleExpiry() {
    clearTimeout(this.expiryTimer);
    const next = this.commands.nextDeadline();
    if (next === Infinity) return;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = 0;
      this.fail(this.commands.expire(Date.now()), "timeout");
      this.scheduleExpiry();
    }, Math.max(0, next - Date.now()));
  }

  fail(payload, reason) {
    if (!payload) return;
    clearTimeout(this.timer);
    this.timer = 0;
    this.outbox = null;
    this.failure = { payload: mergeFields(this.failure ? this.failure.payload : {}, payload), reason };
    this.render();
  }

  clearFailure() {
    if (!this.failure) return;
    this.failure = null;
    this.errorBox.hidden = true;
    delete this.li.dataset.commandFailed;
  }

  // The page's connection dropped: nothing in flight can be confirmed any more.
  connectionLost() {
    this.fail(this.commands.failAll(), "unreachable");
    this.render();
  }

  applyState(state, raw) {
    if (typeof state.version === "number") {
      // Messages can arrive out of order across bridges and reconnects: never go
      // back. An equal version is the retained copy again and is harmless.
      if (this.version !== null && state.version < this.version) return false;
      this.version = state.version;
    }
    this.state = state;
    this.li.dataset.state = raw;
    this.commands.observe(state);
    this.scheduleExpiry();
    // A change that failed to confirm but that the lamp took after all is no failure.
    if (this.failure && reflects(state, this.failure.payload)) this.clearFailure();
    return true;
  }

  onChanged(text) {
    const state = parseState(text);
    if (!state) return console.warn("lampi: ignoring malformed state for", this.id);
    if (this.applyState(state, text)) this.render();
  }

  onConnectionState(client, payload) {
    this.connections[client] = payload;
    this.online = this.connections.lamp_service === "1" && this.connections.bridge === "1";
    this.render();
  }

  onHealth(text) {
    this.health = parseHealth(text);
    this.render();
  }

  render() {
    const li = this.li;
    const badge = badgeFor({ connection: this.connection(), online: this.online, denied: this.denied, health: this.health });
    li.dataset.online = badge.kind === "unknown" ? "unknown" : badge.kind === "online" ? "true" : "false";
    li.classList.toggle("offline", badge.kind === "offline");
    li.classList.toggle("unknown", badge.kind === "unknown");
    li.classList.toggle("unhealthy", badge.problem !== "");
    const el = li.querySelector(".badge");
    if (el) {
      el.textContent = badge.text;
      // Say what is wrong in plain words where the badge is hovered or read aloud.
      const detail = this.health && this.health.error ? " (" + this.health.error + ")" : "";
      el.title =
        badge.problem === "not saving"
          ? "The lamp follows your changes but cannot save them: they will be lost if it restarts." + detail
          : badge.problem === "LED fault"
            ? "The lamp cannot drive its light." + detail
            : badge.kind === "unknown"
              ? "This page is not connected to LAMPi, so it cannot tell whether the lamp is on line."
              : "";
    }
    if (this.failure) {
      this.errorText.textContent = this.failureText(this.failure.reason);
      this.errorBox.hidden = false;
      li.dataset.commandFailed = this.failure.reason;
    }
    this.renderControls(badge.kind === "online");
    this.onRender(this);
  }

  // The lamp was renamed elsewhere: its heading, its controls' names and its name
  // field follow (the field only while nobody is typing in it).
  rename(name) {
    const shown = name || this.id;
    this.li.dataset.name = name;
    const heading = this.li.querySelector(":scope > .lamp-name");
    if (heading) heading.textContent = shown;
    const field = this.li.querySelector('details.manage input[name="name"]');
    if (field && field !== document.activeElement) field.value = name;
    this.controls.on.input.setAttribute("aria-label", "Power of " + shown);
    for (const { key, label } of SLIDERS) this.controls[key].input.setAttribute("aria-label", label + " of " + shown);
    this.temperature.input.setAttribute("aria-label", "Colour temperature of " + shown);
  }

  // The lamp was put in another room: its card goes to that room's list.
  moveTo(room, list) {
    this.room = room;
    this.li.dataset.room = room;
    const field = this.li.querySelector('details.manage input[name="room"]');
    if (field) field.value = room;
    list.append(this.li);
    this.render();
  }

  // Whether a command sent now can reach the lamp and be confirmed.
  usable() {
    return this.li.dataset.online === "true" && this.state !== null;
  }

  renderControls(online) {
    const usable = online && this.state !== null;
    const s = this.state;
    this.retryButton.disabled = this.connection() !== "connected";
    for (const [key, control] of Object.entries(this.controls)) {
      control.input.disabled = !usable;
      if (!s || control.dragging || this.commands.isPending(key)) continue;
      if (key === "on") {
        control.input.checked = !!s.on;
        control.word.textContent = s.on ? "On" : "Off";
      } else {
        const v = valueOf(s, key);
        control.input.value = String(v);
        control.output.textContent = formatValue(key, v);
        control.input.setAttribute("aria-valuetext", formatValue(key, v));
      }
    }
    this.temperature.input.disabled = !usable;
    const colourPending = this.commands.isPending("hue") || this.commands.isPending("saturation");
    if (s && !this.temperature.dragging && !colourPending) this.showTemperature(temperatureOf(s.color));
    if (s) {
      // The swatch shows what the lamp reports, not what the sliders say.
      const [r, g, b] = s.on ? hsvToRgb(s.color.h, s.color.s, s.brightness) : [0, 0, 0];
      this.swatch.style.backgroundColor = "rgb(" + r + "," + g + "," + b + ")";
      this.swatch.dataset.on = s.on ? "true" : "false";
      this.swatch.title = s.on ? "Lamp on, " + formatValue("brightness", s.brightness) : "Lamp off";
    }
    this.paintTracks();
  }

  // Saturation and brightness tracks show the colour they lead to.
  paintTracks() {
    const h = Number(this.controls.hue.input.value);
    const sat = Number(this.controls.saturation.input.value);
    this.li.style.setProperty("--hue", String(Math.round(h * 360)));
    this.li.style.setProperty("--sat", Math.round(sat * 100) + "%");
  }

  destroy() {
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
    this.li.remove();
  }
}
