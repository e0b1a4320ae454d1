// Timers and weekly schedules on the control page: a lamp's card and a named
// room each get a folded "Timers and schedules" panel with "Turn off in" 15, 30
// or 60 minutes, the schedules of that lamp or room (each with Delete), and a
// form for a weekly one (days, time, what to set), which also changes one that
// exists (its Edit button). What to set is off, a built-in white, or, on a room's
// panel, one of the scenes saved for that room (each lamp gets its saved look, so
// no brightness is asked). The cloud runs them (GET/POST/PATCH/DELETE
// /api/v1/schedules), so they work with the page closed; the page only lists,
// adds, changes and deletes. New schedules take the browser's own time zone; a
// changed one keeps its zone.
import { element } from "./views.js";

export const DAYS = [
  ["mon", "Mon"],
  ["tue", "Tue"],
  ["wed", "Wed"],
  ["thu", "Thu"],
  ["fri", "Fri"],
  ["sat", "Sat"],
  ["sun", "Sun"],
];
export const TIMER_MINUTES = [15, 30, 60];
// What a weekly schedule may set: the built-in scenes (their whites) or off; a
// room's schedule also a scene saved for the room (by its id).
export const PRESETS = [
  ["off", "Off"],
  ["warm-white", "Warm white"],
  ["cool-white", "Cool white"],
  ["reading", "Reading"],
  ["night-light", "Night light"],
];

// The schedules of one target ({lamp} or {room}), timers first, oldest first.
export function schedulesFor(schedules, target) {
  const mine = schedules.filter((s) =>
    target.lamp !== undefined ? s.lamp === target.lamp : s.lamp === null && s.room === target.room
  );
  return mine.filter((s) => s.kind === "timer").concat(mine.filter((s) => s.kind !== "timer"));
}

// "Mon–Fri", "Every day", "Sat, Sun", "Mon, Wed, Fri".
export function daysText(days) {
  const names = DAYS.map(([key]) => key);
  const set = new Set(days);
  if (set.size === 7) return "Every day";
  if (set.size === 5 && names.slice(0, 5).every((d) => set.has(d))) return "Mon–Fri";
  return DAYS.filter(([key]) => set.has(key))
    .map(([, label]) => label)
    .join(", ");
}

// A saved scene's id, not "off" or a built-in's.
export function isSavedScene(preset) {
  return Boolean(preset) && !PRESETS.some(([id]) => id === preset);
}

// What a schedule sets, in words: "Off", "Warm white 60 %", "On 40 %", a saved scene's name.
export function stateText(schedule) {
  const state = schedule.state || {};
  if (isSavedScene(schedule.scene)) return schedule.scene_name || "Saved scene";
  if (state.on === false) return "Off";
  const preset = PRESETS.find(([id]) => id === schedule.scene);
  const name = preset ? preset[1] : state.on ? "On" : "Set";
  return typeof state.brightness === "number" ? `${name} ${Math.round(state.brightness * 100)} %` : name;
}

// One line per schedule; `now` in Unix seconds (the server's, from the list).
export function describeSchedule(schedule, now) {
  if (schedule.kind === "timer") {
    if (schedule.next_fire_at === null) return `${stateText(schedule)}: ${outcomeText(schedule.last_outcome)}`;
    const minutes = Math.max(1, Math.ceil((schedule.next_fire_at - now) / 60));
    return `${stateText(schedule)} in ${minutes} min`;
  }
  const line = `${daysText(schedule.days)} ${schedule.time}: ${stateText(schedule)}`;
  return schedule.last_outcome === "missed" ? `${line} (last one missed)` : line;
}

function outcomeText(outcome) {
  if (outcome === "sent") return "done";
  if (outcome === "sent_while_offline") return "sent; the lamp gets it when it is back";
  if (outcome === "missed") return "missed";
  return "not sent";
}

// The PATCH /api/v1/schedules/<id> body of the weekly form's values for `schedule`:
// its days and time, and what to set only when that changed (so a state the form
// cannot show, set through the API, stays unless the person picks another).
export function weeklyChange(schedule, values) {
  const body = { days: values.days, time: values.time };
  const before = formValuesOf(schedule);
  const brightnessCounts = values.preset !== "off" && !isSavedScene(values.preset);
  if (values.preset !== before.preset || (brightnessCounts && Number(values.brightness) !== before.brightness)) {
    const { scene, state } = weeklyRequest({}, values);
    Object.assign(body, scene === undefined ? { state } : state === undefined ? { scene } : { scene, state });
  }
  return body;
}

// What the weekly form shows for `schedule`: its days and time, its preset
// ("off" when it turns the lamps off, a saved scene's id) and brightness in percent.
export function formValuesOf(schedule) {
  const state = schedule.state || {};
  const preset = isSavedScene(schedule.scene)
    ? schedule.scene
    : state.on === false
      ? "off"
      : PRESETS.some(([id]) => id === schedule.scene)
        ? schedule.scene
        : "warm-white";
  const brightness = typeof state.brightness === "number" ? Math.round(state.brightness * 100) : 60;
  return { days: schedule.days || [], time: schedule.time || "07:00", preset, brightness };
}

// The POST /api/v1/schedules body of the weekly form's values.
export function weeklyRequest(target, { days, time, preset, brightness, timeZone }) {
  const body = { ...target, days, time, time_zone: timeZone };
  if (preset === "off") body.state = { on: false };
  else if (isSavedScene(preset)) body.scene = preset;
  else {
    body.scene = preset;
    body.state = { brightness: Math.min(100, Math.max(1, Number(brightness))) / 100 };
  }
  return body;
}

let panels = 0;

// A panel for one target; `actions` are create(body), update(id, body) and remove(id), each
// resolving when done or rejecting with an ApiError (reason: the server's words).
export class SchedulePanel {
  constructor(target, label, actions) {
    this.target = target;
    this.actions = actions;
    const n = ++panels;
    this.result = element("p", { class: "schedule-result", role: "status" });
    this.list = element("ul", { class: "schedule-list" });
    const timers = element(
      "div",
      { class: "timer-buttons", role: "group" },
      element("span", { class: "timer-label", textContent: "Turn off in", "aria-hidden": "true" }),
      ...TIMER_MINUTES.map((m) => {
        // The group names what they do; the visible "30 min" is each one's whole name.
        const b = element("button", { type: "button", textContent: `${m} min` });
        b.dataset.minutes = String(m);
        b.addEventListener("click", () => this.run(() => actions.create({ ...target, in_minutes: m, state: { on: false } }), `Turns off in ${m} min.`));
        return b;
      })
    );
    this.root = element(
      "details",
      { class: "schedules" },
      element("summary", { textContent: "Timers and schedules" }),
      timers,
      this.list,
      this.buildForm(n),
      this.result
    );
    this.timers = timers;
    this.relabel(label);
  }

  // What the panel's parts are named after: the lamp's name or the room's.
  relabel(label) {
    this.label = label;
    this.list.setAttribute("aria-label", "Timers and schedules of " + label);
    this.timers.setAttribute("aria-label", "Turn " + label + " off in");
    this.form.setAttribute("aria-label", (this.editing ? "Change schedule of " : "New schedule for ") + label);
  }

  // Fills the form with `schedule` (a weekly one) to change it; Cancel or saving
  // brings back the form for a new one.
  edit(schedule) {
    this.editing = schedule;
    this.fill(formValuesOf(schedule), schedule.scene_name);
    this.submit.textContent = "Save changes";
    this.cancel.hidden = false;
    this.relabel(this.label);
    this.result.textContent = "";
    this.fields.time.focus();
  }

  stopEditing() {
    this.editing = null;
    this.fill({ days: DAYS.slice(0, 5).map(([key]) => key), time: "07:00", preset: "warm-white", brightness: 60 });
    this.submit.textContent = "Add schedule";
    this.cancel.hidden = true;
    this.relabel(this.label);
  }

  fill({ days, time, preset, brightness }, sceneName) {
    for (const box of this.form.querySelectorAll('input[name="days"]')) box.checked = days.includes(box.value);
    this.fields.time.value = time;
    // A saved scene the list of scenes has not brought (yet) is offered all the same.
    if (isSavedScene(preset) && !Array.from(this.fields.preset.options).some((o) => o.value === preset))
      this.savedGroup().append(element("option", { value: preset, textContent: sceneName || "Saved scene" }));
    this.fields.preset.value = preset;
    this.fields.brightness.value = String(brightness);
    this.syncBrightness();
  }

  // The select's group of the room's saved scenes, made when first needed.
  savedGroup() {
    if (!this.saved) {
      this.saved = element("optgroup", { label: "Saved scenes" });
      this.fields.preset.append(this.saved);
    }
    return this.saved;
  }

  // A room's panel offers the scenes saved for its room ({id, name, room} as
  // GET /api/v1/scenes lists them); a lamp's offers none.
  showScenes(scenes) {
    if (this.target.room === undefined) return;
    const mine = scenes.filter((scene) => !scene.builtin && scene.room === this.target.room);
    const chosen = this.fields.preset.value;
    if (!mine.length && !this.saved) return;
    this.savedGroup().replaceChildren(...mine.map((scene) => element("option", { value: scene.id, textContent: scene.name })));
    if (!mine.length) {
      this.saved.remove();
      this.saved = null;
    }
    if (Array.from(this.fields.preset.options).some((o) => o.value === chosen)) this.fields.preset.value = chosen;
    else this.fields.preset.value = "warm-white";
    this.syncBrightness();
  }

  // No brightness for off, nor for a saved scene: each lamp gets its saved look.
  syncBrightness() {
    const preset = this.fields.preset.value;
    this.fields.brightness.disabled = preset === "off" || isSavedScene(preset);
  }

  buildForm(n) {
    const id = (what) => `schedule-${n}-${what}`;
    const days = DAYS.map(([key, short], i) => {
      const box = element("input", { type: "checkbox", id: id(key), name: "days", value: key, checked: i < 5 });
      return element("span", { class: "day" }, box, element("label", { htmlFor: id(key), textContent: short }));
    });
    const time = element("input", { type: "time", id: id("time"), name: "time", value: "07:00", required: true });
    const preset = element(
      "select",
      { id: id("preset"), name: "preset" },
      ...PRESETS.map(([value, text]) => element("option", { value, textContent: text }))
    );
    preset.value = "warm-white";
    const brightness = element("input", { type: "number", id: id("brightness"), name: "brightness", min: "1", max: "100", step: "1", value: "60" });
    const form = element(
      "form",
      { class: "schedule-form" },
      element("fieldset", { class: "days" }, element("legend", { textContent: "Days" }), ...days),
      element("span", { class: "field" }, element("label", { htmlFor: id("time"), textContent: "Time" }), time),
      element("span", { class: "field" }, element("label", { htmlFor: id("preset"), textContent: "Set to" }), preset),
      element("span", { class: "field" }, element("label", { htmlFor: id("brightness"), textContent: "Brightness %" }), brightness),
      (this.submit = element("button", { type: "submit", textContent: "Add schedule" })),
      " ",
      (this.cancel = element("button", { type: "button", class: "cancel-edit", textContent: "Cancel", hidden: true }))
    );
    preset.addEventListener("change", () => this.syncBrightness());
    this.form = form;
    this.fields = { time, preset, brightness };
    this.cancel.addEventListener("click", () => {
      this.stopEditing();
      this.result.textContent = "";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = Array.from(form.querySelectorAll('input[name="days"]:checked'), (b) => b.value);
      if (!chosen.length) {
        this.result.textContent = "Choose at least one day.";
        return;
      }
      const values = {
        days: chosen,
        time: time.value,
        preset: preset.value,
        brightness: brightness.value,
        // A browser that cannot say its zone gets UTC (the list shows the time it keeps).
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
      };
      const editing = this.editing;
      if (editing) {
        const body = weeklyChange(editing, values);
        this.run(() => this.actions.update(editing.id, body), "Schedule changed.").then((ok) => ok && this.stopEditing());
      } else {
        this.run(() => this.actions.create(weeklyRequest(this.target, values)), "Schedule added.");
      }
    });
    return form;
  }

  // Resolves true when `action` succeeded.
  async run(action, done) {
    this.result.textContent = "";
    try {
      await action();
      this.result.textContent = done;
      return true;
    } catch (err) {
      this.result.textContent = err.reason || "Cannot reach LAMPi. Try again in a moment.";
      return false;
    }
  }

  // Shows this target's schedules out of the account's list.
  show(schedules, now) {
    this.list.replaceChildren(
      ...schedulesFor(schedules, this.target).map((s) => {
        const text = describeSchedule(s, now);
        const remove = element("button", { type: "button", class: "delete-schedule", textContent: "Delete", "aria-label": "Delete " + text });
        remove.addEventListener("click", () => this.run(() => this.actions.remove(s.id), "Deleted."));
        const buttons = [remove];
        if (s.kind === "weekly") {
          const edit = element("button", { type: "button", class: "edit-schedule", textContent: "Edit", "aria-label": "Edit " + text });
          edit.addEventListener("click", () => this.edit(s));
          buttons.unshift(edit, " ");
        }
        const li = element("li", { class: "schedule" }, element("span", { textContent: text }), ...buttons);
        li.dataset.schedule = s.id;
        li.dataset.kind = s.kind;
        return li;
      })
    );
  }
}
