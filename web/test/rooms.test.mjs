// What a room's controls show for the states of its lamps.
import { test } from "node:test";
import assert from "node:assert/strict";

import { looksOf, roomSummary, scenesFor } from "../src/rooms.js";

const lamp = (on, brightness) => ({ on, brightness, color: { h: 0, s: 0 } });

test("a room is on while any of its lamps is on, at the mean brightness of those that are", () => {
  assert.deepEqual(roomSummary([lamp(true, 0.2), lamp(false, 1), lamp(true, 0.6)]), { on: true, brightness: 0.4 });
});

test("a dark room shows the mean brightness its lamps would come back at", () => {
  assert.deepEqual(roomSummary([lamp(false, 0.5), lamp(false, 0.25)]), { on: false, brightness: 0.375 });
});

test("lamps that never reported are left out, and a room of them shows nothing", () => {
  assert.deepEqual(roomSummary([null, lamp(true, 0.3)]), { on: true, brightness: 0.3 });
  assert.equal(roomSummary([null, null]), null);
});

test("a room offers every built-in scene and its own saved ones", () => {
  const scenes = [
    { id: "warm-white", name: "Warm white", builtin: true },
    { id: "7", name: "Movie", builtin: false, room: "Living room" },
    { id: "8", name: "Work", builtin: false, room: "Study" },
  ];
  assert.deepEqual(
    scenesFor(scenes, "Study").map((s) => s.id),
    ["warm-white", "8"]
  );
});

test("a built-in gives every lamp its look; a saved scene only the lamps it knew", () => {
  const look = { on: true, color: { h: 0.08, s: 0.66 }, brightness: 0.8 };
  const builtin = looksOf({ builtin: true, look }, ["a", "b"]);
  assert.deepEqual([...builtin.keys()], ["a", "b"]);
  assert.equal(builtin.get("b"), look);
  const saved = looksOf({ builtin: false, lamps: { a: { on: false } } }, ["a", "b"]);
  assert.deepEqual([...saved.entries()], [["a", { on: false }]]);
});
