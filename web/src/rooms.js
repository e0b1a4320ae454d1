// Lamps grouped by room, as the server renders them (src/cloud/pages/pages.cpp,
// room_groups): one <section class="room" data-room> per room, the lamps without a
// room last. A named room's head gets a power switch and a brightness slider that
// reach every lamp in it at once, and its scenes bar applies a scene (built-in or
// saved for that room) in one tap or saves the room's look as a new one; each lamp
// still confirms (or fails) on its own card. "All off" turns off every lamp.
import { formatValue } from "./format.js";
import { element } from "./views.js";

// The room's switch shows "on" while any of its lamps is on.
export function roomSummary(states) {
  const known = states.filter(Boolean);
  if (!known.length) return null;
  const on = known.some((s) => s.on);
  const lit = known.filter((s) => s.on);
  const from = lit.length ? lit : known;
  const brightness = from.reduce((sum, s) => sum + s.brightness, 0) / from.length;
  return { on, brightness };
}

// The scenes a room offers: every built-in, then those saved for this room.
export function scenesFor(scenes, room) {
  return scenes.filter((s) => s.builtin || s.room === room);
}

// The set_config each lamp gets from a scene: a built-in's one look for all, a
// saved scene's own look for each lamp it knew (others are left alone).
export function looksOf(scene, deviceIds) {
  const looks = new Map();
  for (const id of deviceIds) {
    const look = scene.builtin ? scene.look : scene.lamps && scene.lamps[id];
    if (look) looks.set(id, look);
  }
  return looks;
}

export class RoomGroup {
  // cards(): the LampCards in this room; saveScene(name, room): resolves with the
  // saved scene or rejects with a reason to show; deleteScene(scene) likewise
  // (refused while a schedule sets it, in the server's words naming them).
  constructor(section, { cards, saveScene, deleteScene }) {
    this.section = section;
    this.room = section.dataset.room || "";
    this.cards = cards;
    this.saveScene = saveScene;
    this.deleteScene = deleteScene;
    this.savedList = null;
    this.controls = null;
    this.sceneBar = null;
    if (this.room) this.build();
  }

  list() {
    return this.section.querySelector(":scope > ul");
  }

  build() {
    const room = this.room;
    let title = this.section.querySelector(":scope > .room-title");
    if (!title) {
      title = element("h3", { class: "room-title", textContent: room });
      this.section.prepend(title);
    }
    const check = element("input", { type: "checkbox", role: "switch", "aria-label": "Power of all lamps in " + room });
    check.dataset.control = "room-on";
    const word = element("span", { class: "power-word", textContent: "Off" });
    const power = element("label", { class: "power" }, check, element("span", { class: "switch-track", "aria-hidden": "true" }), word);
    check.addEventListener("change", () => {
      word.textContent = check.checked ? "On" : "Off";
      for (const card of this.cards()) card.send("on", check.checked, true);
    });

    const id = "room-" + Array.from(room, (c) => c.charCodeAt(0).toString(16)).join("") + "-brightness";
    const range = element("input", { type: "range", id, min: "0", max: "1", step: "0.01" });
    range.dataset.control = "room-brightness";
    range.setAttribute("aria-label", "Brightness of all lamps in " + room);
    const out = element("output");
    out.htmlFor = id;
    const slide = (final) => {
      const v = Number(range.value);
      out.textContent = formatValue("brightness", v);
      range.setAttribute("aria-valuetext", formatValue("brightness", v));
      for (const card of this.cards()) card.send("brightness", v, final);
    };
    let dragging = false;
    range.addEventListener("pointerdown", () => (dragging = true));
    range.addEventListener("input", () => slide(false));
    range.addEventListener("change", () => {
      dragging = false;
      slide(true);
    });
    const slider = element("div", { class: "slider brightness room-brightness" }, element("span", { class: "slider-name", textContent: "Brightness", "aria-hidden": "true" }), range, out);
    const head = element("div", { class: "room-head" }, title, power);
    this.sceneBar = element("div", { class: "scenes", role: "group", "aria-label": "Scenes for " + room });
    this.section.prepend(head, slider, this.sceneBar, this.buildSaveForm());
    this.controls = { check, word, range, out, dragging: () => dragging };
  }

  buildSaveForm() {
    const id = "save-scene-" + Array.from(this.room, (c) => c.charCodeAt(0).toString(16)).join("");
    const name = element("input", { type: "text", id, name: "name", maxLength: 60, required: true });
    const result = element("p", { class: "save-result", role: "status" });
    const form = element(
      "form",
      { class: "save-scene-form" },
      element("label", { htmlFor: id, textContent: "Scene name" }),
      name,
      element("button", { type: "submit", textContent: "Save" }),
      result
    );
    // The room's saved scenes, each with its delete: without it they only pile up.
    this.savedList = element("ul", { class: "saved-scenes", "aria-label": "Saved scenes for " + this.room });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      result.textContent = "";
      try {
        const scene = await this.saveScene(name.value.trim(), this.room);
        result.textContent = "Saved as “" + scene.name + "”.";
        name.value = "";
      } catch (err) {
        result.textContent = err.reason || "Cannot save the scene now. Try again in a moment.";
      }
    });
    return element(
      "details",
      { class: "save-scene" },
      element("summary", { textContent: "Save this look as a scene, or delete one" }),
      form,
      this.savedList
    );
  }

  // Shows the scenes this room offers as one-tap buttons.
  showScenes(scenes) {
    if (!this.sceneBar) return;
    this.sceneBar.replaceChildren(
      ...scenesFor(scenes, this.room).map((scene) => {
        const button = element("button", { type: "button", class: "scene", textContent: scene.name });
        button.dataset.scene = scene.id;
        button.addEventListener("click", () => this.apply(scene));
        return button;
      })
    );
    this.showSaved(scenes.filter((s) => !s.builtin && s.room === this.room));
    this.render();
  }

  showSaved(saved) {
    if (!this.savedList) return;
    const result = this.section.querySelector(".save-result");
    this.savedList.replaceChildren(
      ...saved.map((scene) => {
        const remove = element("button", { type: "button", class: "delete-scene", textContent: "Delete" });
        remove.setAttribute("aria-label", "Delete the scene “" + scene.name + "”");
        remove.addEventListener("click", async () => {
          remove.disabled = true;
          result.textContent = "";
          try {
            await this.deleteScene(scene);
            result.textContent = "Deleted “" + scene.name + "”.";
          } catch (err) {
            remove.disabled = false;
            result.textContent = err.reason || "Cannot delete the scene now. Try again in a moment.";
          }
        });
        const item = element("li", {}, element("span", { textContent: scene.name }), remove);
        item.dataset.scene = scene.id;
        return item;
      })
    );
  }

  apply(scene) {
    const cards = this.cards();
    const looks = looksOf(scene, cards.map((c) => c.id));
    for (const card of cards) if (looks.has(card.id)) card.sendLook(looks.get(card.id));
  }

  // Called whenever one of its cards shows a new state or connection.
  render() {
    if (!this.controls) return;
    const cards = this.cards();
    const usable = cards.some((c) => c.usable());
    const { check, word, range, out } = this.controls;
    check.disabled = !usable;
    range.disabled = !usable;
    for (const button of this.sceneBar.querySelectorAll("button")) button.disabled = !usable;
    const summary = roomSummary(cards.map((c) => c.state));
    if (!summary) return;
    check.checked = summary.on;
    word.textContent = summary.on ? "On" : "Off";
    if (!this.controls.dragging() && document.activeElement !== range) {
      range.value = String(summary.brightness);
      out.textContent = formatValue("brightness", summary.brightness);
      range.setAttribute("aria-valuetext", formatValue("brightness", summary.brightness));
    }
  }
}

// The section of `room` in #lamps, made (in name order, "no room" last) when missing.
export function sectionFor(root, room) {
  const sections = Array.from(root.querySelectorAll(":scope > section.room"));
  const found = sections.find((s) => (s.dataset.room || "") === room);
  if (found) return { section: found, created: false };
  const section = element("section", { class: "room", dataset: { room } }, element("ul"));
  const after = sections.find((s) => !s.dataset.room || (room && s.dataset.room > room));
  if (after) root.insertBefore(section, after);
  else root.insertBefore(section, root.querySelector(":scope > p.empty"));
  return { section, created: true };
}

// "All off": one button above the rooms.
export function allOffButton(root, { cards }) {
  const button = element("button", { type: "button", class: "all-off", textContent: "All off" });
  button.addEventListener("click", () => {
    for (const card of cards()) card.send("on", false, true);
  });
  const bar = element("div", { class: "lamps-toolbar" }, button);
  root.insertBefore(bar, root.querySelector(":scope > section.room"));
  return {
    render() {
      button.disabled = !cards().some((c) => c.usable());
    },
  };
}
