// How timers and weekly schedules read on the page, and what the weekly form sends.
import { test } from "node:test";
import assert from "node:assert/strict";

import { daysText, describeSchedule, formValuesOf, schedulesFor, stateText, weeklyChange, weeklyRequest } from "../src/schedules.js";

const timer = { id: "1", kind: "timer", lamp: "b827eb74663e", room: null, state: { on: false }, scene: null, next_fire_at: 1000 + 29 * 60 + 10, last_outcome: "" };
const weekly = {
  id: "2",
  kind: "weekly",
  lamp: null,
  room: "Study",
  days: ["mon", "tue", "wed", "thu", "fri"],
  time: "07:00",
  state: { on: true, brightness: 0.6 },
  scene: "warm-white",
  next_fire_at: 5000,
  last_outcome: "",
};

test("days read as a person would say them", () => {
  assert.equal(daysText(["mon", "tue", "wed", "thu", "fri"]), "Mon–Fri");
  assert.equal(daysText(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), "Every day");
  assert.equal(daysText(["sat", "sun"]), "Sat, Sun");
});

test("a schedule says when and what", () => {
  assert.equal(describeSchedule(timer, 1000), "Off in 30 min");
  assert.equal(describeSchedule(weekly, 1000), "Mon–Fri 07:00: Warm white 60 %");
  assert.equal(describeSchedule({ ...weekly, last_outcome: "missed" }, 1000), "Mon–Fri 07:00: Warm white 60 % (last one missed)");
  assert.equal(describeSchedule({ ...timer, next_fire_at: null, last_outcome: "sent" }, 1000), "Off: done");
  assert.equal(stateText({ state: { on: true, brightness: 0.4 }, scene: null }), "On 40 %");
});

test("a lamp's panel lists the lamp's, a room's the room's, timers first", () => {
  const all = [weekly, timer, { ...timer, id: "3", lamp: "b827eb000001" }];
  assert.deepEqual(schedulesFor(all, { lamp: "b827eb74663e" }).map((s) => s.id), ["1"]);
  assert.deepEqual(schedulesFor(all, { room: "Study" }).map((s) => s.id), ["2"]);
});

test("the weekly form sends a preset with its brightness, or off", () => {
  const values = { days: ["mon"], time: "06:30", preset: "warm-white", brightness: "60", timeZone: "Europe/Berlin" };
  assert.deepEqual(weeklyRequest({ room: "Study" }, values), {
    room: "Study",
    days: ["mon"],
    time: "06:30",
    time_zone: "Europe/Berlin",
    scene: "warm-white",
    state: { brightness: 0.6 },
  });
  assert.deepEqual(weeklyRequest({ lamp: "x" }, { ...values, preset: "off" }).state, { on: false });
});

test("the form shows a weekly schedule as it is, and a change sends what changed", () => {
  assert.deepEqual(formValuesOf(weekly), { days: ["mon", "tue", "wed", "thu", "fri"], time: "07:00", preset: "warm-white", brightness: 60 });
  assert.equal(formValuesOf({ ...weekly, state: { on: false }, scene: null }).preset, "off");
  const same = { days: ["sat"], time: "08:15", preset: "warm-white", brightness: "60", timeZone: "Asia/Tokyo" };
  // The time zone stays the schedule's; an unchanged look is not sent, so it stays too.
  assert.deepEqual(weeklyChange(weekly, same), { days: ["sat"], time: "08:15" });
  assert.deepEqual(weeklyChange(weekly, { ...same, brightness: "30" }), {
    days: ["sat"],
    time: "08:15",
    scene: "warm-white",
    state: { brightness: 0.3 },
  });
  assert.deepEqual(weeklyChange(weekly, { ...same, preset: "off" }), { days: ["sat"], time: "08:15", state: { on: false } });
  const raw = { ...weekly, scene: null, state: { on: true, hue: 0.3 } };
  assert.deepEqual(weeklyChange(raw, { ...same, preset: "warm-white" }), { days: ["sat"], time: "08:15" });
});

test("a room's schedule may set a saved scene: listed by the scene's name, sent without a state", () => {
  const evening = { ...weekly, id: "3", scene: "12", scene_name: "Evening", state: {} };
  assert.equal(describeSchedule(evening, 1000), "Mon–Fri 07:00: Evening");
  assert.equal(stateText({ ...evening, scene_name: "Late evening" }), "Late evening", "the name as the scene has it now");
  const values = { days: ["sat"], time: "19:30", preset: "12", brightness: "60", timeZone: "Europe/Berlin" };
  assert.deepEqual(weeklyRequest({ room: "Study" }, values), { room: "Study", days: ["sat"], time: "19:30", time_zone: "Europe/Berlin", scene: "12" });
  // Shown as it is; a saved scene has no brightness of its own to change.
  assert.equal(formValuesOf(evening).preset, "12");
  assert.deepEqual(weeklyChange(evening, { ...formValuesOf(evening), brightness: "30" }), { days: evening.days, time: "07:00" });
  // From a built-in to a saved scene and back.
  assert.deepEqual(weeklyChange(weekly, { ...formValuesOf(weekly), preset: "12" }), { days: weekly.days, time: "07:00", scene: "12" });
  assert.deepEqual(weeklyChange(evening, { ...formValuesOf(evening), preset: "reading", brightness: "80" }), {
    days: evening.days,
    time: "07:00",
    scene: "reading",
    state: { brightness: 0.8 },
  });
});
