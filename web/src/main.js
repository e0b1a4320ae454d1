// LAMPi live control page.
//
// Progressively enhances the server-rendered lamp list on "/" (src/cloud/pages/pages.cpp,
// index_page): every <li class="lamp"> gets a power switch and hue, saturation and
// brightness sliders that talk MQTT to the cloud broker over WebSocket, with the
// short-lived credential the cloud hands the logged-in page. Without JavaScript the
// page still lists, renames and removes lamps through its forms. On any page that
// has them, it also offers the nearby lamp over Bluetooth (nearby-view.js) and
// registers the installable app's service worker.
//
// MQTT contract (DESIGN.md), per lamp <id>:
//   subscribe devices/<id>/lamp/changed                 retained full state + "version"
//   subscribe devices/<id>/lamp/connection/+/state      retained "1"/"0"; online when
//                                                       lamp_service and bridge are "1"
//   subscribe devices/<id>/lamp/health                  retained {"durable", "led", "error"}
//   publish   devices/<id>/lamp/set_config  QoS 1       any subset of the settings + "client"
//
// The list of lamps follows the account (GET /api/v1/lamps every 10 s, when the tab
// is shown and after every reconnection): lamps released, removed or claimed
// elsewhere leave or join the page, and lamps renamed or put in another room
// elsewhere take their new name and room, without a reload.
//
// Strict-CSP safe: no inline script or style markup, no eval. Styles are set only
// through the CSSOM (element.style), which CSP does not restrict. mqtt.js is loaded
// from where #lamps's data-mqtt says (its content-hashed name, kept for ever by
// browsers), else from mqtt.min.js beside this file, unless the page already included it.
import { ApiError, deleteJson, fetchCredential, fetchLamps, fetchScenes, fetchSchedules, patchJson, postJson } from "./api.js";
import { Connection } from "./connection.js";
import { brokerUrl, randomHex, statusText } from "./format.js";
import { diffLamps } from "./state.js";
import { RoomGroup, allOffButton, sectionFor } from "./rooms.js";
import { SchedulePanel } from "./schedules.js";
import { watchOnHours } from "./on_hours.js";
import { LampCard, StatusLine, lampItem } from "./views.js";
import { startNearby } from "./nearby-view.js";

const LAMP_POLL_MS = 10000;
const LOGIN_LINK = { href: "/accounts/login/?next=/", text: "Log in again" };

function loadMqtt(url) {
  if (window.mqtt && typeof window.mqtt.connect === "function") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = url;
    s.onload = () => (window.mqtt ? resolve() : reject(new Error("mqtt.min.js defined no mqtt")));
    s.onerror = () => reject(new Error("cannot load " + s.src));
    document.head.append(s);
  });
}

function start(root) {
  const scriptUrl = document.currentScript ? document.currentScript.src : location.origin + "/static/lampi.js";
  const credentialUrl = root.dataset.credentialUrl || "/api/v1/mqtt-credential";
  const lampsUrl = root.dataset.api || "/api/v1/lamps";
  // Who we are in set_config's "client" field, so our own echoes can be recognised.
  const clientTag = "web-" + randomHex(8);
  root.dataset.clientTag = clientTag;

  const status = new StatusLine(root);
  const cards = new Map(); // device id -> LampCard
  const groups = new Map(); // room -> RoomGroup
  const scenesUrl = root.dataset.scenes || "/api/v1/scenes";
  let scenes = []; // built-in and saved, as GET /api/v1/scenes lists them
  const schedulesUrl = root.dataset.schedules || "/api/v1/schedules";
  let schedules = { schedules: [], now: 0 }; // as GET /api/v1/schedules lists them
  const panels = new Set(); // SchedulePanels on the page
  const cardsIn = (room) => () => Array.from(cards.values()).filter((c) => c.room === room);
  const allOff = allOffButton(root, { cards: () => Array.from(cards.values()) });
  let countdown = 0;

  const connection = new Connection({
    fetchCredential: () => fetchCredential(credentialUrl),
    connectMqtt: (url, options) => window.mqtt.connect(url, options),
    urlFor: (wsUrl) => brokerUrl(wsUrl, location),
    topics: () => {
      const topics = {};
      for (const card of cards.values()) for (const t of card.topics()) topics[t] = { qos: 1 };
      return topics;
    },
    onMessage,
    onDenied: (refused) => {
      const denied = new Set(refused.map((t) => t.split("/")[1]));
      for (const card of cards.values()) card.denied = denied.has(card.id);
    },
    onState: showConnection,
  });

  // What the cards and the status line call the connection: a connection attempt
  // after a loss is still "reconnecting" to the person looking at the page.
  const shownConnection = () => {
    const s = connection.state;
    return s.kind === "connecting" && s.attempt ? "reconnecting" : s.kind;
  };

  function showConnection(state) {
    clearInterval(countdown);
    countdown = 0;
    const kind = shownConnection();
    const show = () => status.show(kind, statusText(state, Date.now()), state.reason === "session" ? LOGIN_LINK : null);
    show();
    if (state.kind === "reconnecting") countdown = setInterval(show, 1000);
    for (const card of cards.values()) {
      if (state.kind === "reconnecting" || state.kind === "stopped") card.connectionLost();
      else card.render();
    }
    if (state.kind === "connected") refreshLamps();
  }

  function onMessage(topic, text) {
    const parts = topic.split("/");
    const card = parts[0] === "devices" && parts[2] === "lamp" ? cards.get(parts[1]) : null;
    if (!card) return;
    if (parts.length === 4 && parts[3] === "changed") card.onChanged(text);
    else if (parts.length === 6 && parts[3] === "connection" && parts[5] === "state") card.onConnectionState(parts[4], text.trim());
    else if (parts.length === 4 && parts[3] === "health") card.onHealth(text);
  }

  function showScenes() {
    for (const group of groups.values()) group.showScenes(scenes);
    for (const panel of panels) panel.showScenes(scenes);
  }

  async function saveScene(name, room) {
    const scene = await postJson(scenesUrl, root.dataset.csrf || "", { name, room });
    scenes = scenes.concat([scene]);
    showScenes();
    return scene;
  }

  async function deleteScene(scene) {
    await deleteJson(scenesUrl + "/" + encodeURIComponent(scene.id), root.dataset.csrf || "");
    scenes = scenes.filter((s) => s.id !== scene.id);
    showScenes();
  }

  async function loadScenes() {
    try {
      scenes = await fetchScenes(scenesUrl);
      showScenes();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // Without scenes the rooms still work; the next page load tries again.
    }
  }

  function showSchedules() {
    for (const panel of panels) {
      if (panel.root.isConnected) panel.show(schedules.schedules, schedules.now);
      else panels.delete(panel);
    }
  }

  // Shaped as loadScenes but kept apart: schedules reload after each change to one.
  async function loadSchedules() {
    try {
      schedules = await fetchSchedules(schedulesUrl);
      showSchedules();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // The lamps work without them; the next look at the lamp list tries again.
    }
  }

  const scheduleActions = {
    create: async (body) => {
      await postJson(schedulesUrl, root.dataset.csrf || "", body);
      await loadSchedules();
    },
    update: async (id, body) => {
      await patchJson(schedulesUrl + "/" + encodeURIComponent(id), root.dataset.csrf || "", body);
      await loadSchedules();
    },
    remove: async (id) => {
      await deleteJson(schedulesUrl + "/" + encodeURIComponent(id), root.dataset.csrf || "");
      await loadSchedules();
    },
  };

  // Where the panel goes: a room's after its scenes, a lamp's at the end of its card.
  function addPanel(target, label, place) {
    const panel = new SchedulePanel(target, label, scheduleActions);
    place(panel.root);
    panels.add(panel);
    panel.showScenes(scenes);
    panel.show(schedules.schedules, schedules.now);
  }

  function addGroup(section) {
    const group = new RoomGroup(section, { cards: cardsIn(section.dataset.room || ""), saveScene, deleteScene });
    groups.set(group.room, group);
    group.showScenes(scenes);
    if (group.room) addPanel({ room: group.room }, group.room, (panel) => section.insertBefore(panel, group.list()));
    return group;
  }

  function addCard(li) {
    const card = new LampCard(li, {
      clientTag,
      publish: (topic, payload, done) => connection.publish(topic, payload, done),
      connection: shownConnection,
      onRender: (rendered) => {
        const group = groups.get(rendered.room);
        if (group) group.render();
        allOff.render();
      },
    });
    cards.set(card.id, card);
    card.render();
    addPanel({ lamp: card.id }, li.dataset.name || card.id, (panel) => li.append(panel));
  }

  // The group of `room`, made when the page has none yet.
  function groupFor(room) {
    const { section, created } = sectionFor(root, room);
    return created ? addGroup(section) : groups.get(room);
  }

  // A lamp put in another room elsewhere moves to that room's group.
  function moveCards(lamps) {
    let moved = false;
    for (const lamp of lamps) {
      const card = cards.get(lamp.device_id);
      const room = lamp.room || "";
      if (!card || card.room === room) continue;
      const from = groups.get(card.room);
      card.moveTo(room, groupFor(room).list());
      if (from) from.render();
      moved = true;
    }
    return moved;
  }

  // A lamp renamed elsewhere takes its new name, on its card and its schedules' panel.
  function renameCards(lamps) {
    for (const lamp of lamps) {
      const card = cards.get(lamp.device_id);
      const name = lamp.name || "";
      if (!card || (card.li.dataset.name || "") === name) continue;
      card.rename(name);
      for (const panel of panels) if (panel.target.lamp === card.id) panel.relabel(name || card.id);
    }
  }

  // A room whose last lamp left goes too; the group of lamps without a room stays
  // as the place where new lamps arrive.
  function dropEmptyGroups() {
    for (const [room, group] of groups) {
      if (room && !group.list().children.length) {
        group.section.remove();
        groups.delete(room);
      }
    }
  }

  function showEmpty() {
    let empty = root.querySelector(":scope > p.empty");
    if (cards.size === 0 && !empty) {
      empty = document.createElement("p");
      empty.className = "empty";
      empty.append("You have no lamps yet. Add your first one in three steps: see ");
      const link = document.createElement("a");
      link.href = "#add-lamp";
      link.textContent = "Add a lamp";
      empty.append(link, " below.");
      root.append(empty);
    } else if (cards.size > 0 && empty) {
      empty.remove();
    }
  }

  let refreshing = false;
  async function refreshLamps() {
    if (refreshing || connection.state.kind === "stopped") return;
    refreshing = true;
    try {
      const lamps = await fetchLamps(lampsUrl);
      loadSchedules();
      renameCards(lamps);
      if (moveCards(lamps)) dropEmptyGroups();
      const { added, removed } = diffLamps(cards.keys(), lamps);
      if (!added.length && !removed.length) return;
      for (const id of removed) {
        cards.get(id).destroy();
        cards.delete(id);
      }
      for (const lamp of added) {
        const li = lampItem(lamp, root.dataset.csrf || "");
        groupFor(lamp.room || "").list().append(li);
        addCard(li);
      }
      dropEmptyGroups();
      showEmpty();
      allOff.render();
      // A fresh credential names the new lamps; subscriptions follow the list.
      if (connection.state.kind === "idle") connection.start();
      else connection.renew();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.kind === "session") connection.stop("session");
      // Unreachable: the connection's own retries say so on the status line.
    } finally {
      refreshing = false;
    }
  }

  for (const section of root.querySelectorAll(":scope > section.room")) addGroup(section);
  for (const li of root.querySelectorAll("li.lamp[data-device-id]")) addCard(li);

  const lookAgain = () => {
    if (document.visibilityState !== "visible") return;
    connection.check();
    refreshLamps();
  };
  window.addEventListener("online", lookAgain);
  document.addEventListener("visibilitychange", lookAgain);
  setInterval(() => {
    if (document.visibilityState === "visible") refreshLamps();
  }, LAMP_POLL_MS);

  loadScenes();
  loadSchedules();
  watchOnHours(root, lampsUrl);
  loadMqtt(new URL(root.dataset.mqtt || "mqtt.min.js", scriptUrl).href).then(
    () => {
      if (cards.size) connection.start();
      else status.show("idle", "");
    },
    (err) => {
      console.warn("lampi:", err.message);
      status.show("stopped", "Live control is unavailable. Reload the page to try again.");
    }
  );
}

// The service worker (web/src/sw.js, served at /sw.js) keeps the page's files so
// the installed app opens without a network. Browsers offer it only in a secure
// context (https, or localhost).
function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => console.warn("lampi: no service worker:", err.message));
}

const root = document.getElementById("lamps");
if (root) start(root);
// On the lamps page and the offline page; Web Bluetooth only where the browser has it.
const nearby = document.getElementById("nearby");
if (nearby && navigator.bluetooth) startNearby(nearby, navigator.bluetooth);
registerServiceWorker();
