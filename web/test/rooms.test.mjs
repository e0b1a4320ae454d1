// What a room's controls show for the states of its lamps.
import { test } from "node:test";
import assert from "node:assert/strict";

import { roomSummary } from "../src/rooms.js";

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
