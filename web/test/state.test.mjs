import { test } from "node:test";
import assert from "node:assert/strict";

import {
  CommandTracker,
  badgeFor,
  controlValues,
  diffLamps,
  fieldsFor,
  healthProblem,
  mergeFields,
  parseHealth,
  parseState,
  reflects,
} from "../src/state.js";

const state = (over = {}) => ({ on: true, color: { h: 0.5, s: 0.5 }, brightness: 0.5, client: "", version: 1, ...over });

test("parseState checks and clamps a lamp/changed payload", () => {
  assert.deepEqual(parseState('{"on":true,"color":{"h":1.5,"s":-1},"brightness":0.25,"client":"x","version":7}'), {
    on: true,
    color: { h: 1, s: 0 },
    brightness: 0.25,
    client: "x",
    version: 7,
  });
  assert.equal(parseState({ on: false, color: { h: 0, s: 0 }, brightness: 0 }).on, false, "an object as the API gives it");
  for (const bad of ["", "nope", "{}", '{"on":1,"color":{"h":0,"s":0},"brightness":0}', '{"on":true,"color":{"h":"x","s":0},"brightness":0}'])
    assert.equal(parseState(bad), null, bad);
});

test("fields, merging and what a payload sets", () => {
  assert.deepEqual(fieldsFor("hue", 0.1), { color: { h: 0.1 } });
  assert.deepEqual(fieldsFor("on", false), { on: false });
  const merged = mergeFields(mergeFields({}, fieldsFor("hue", 0.1)), fieldsFor("saturation", 0.2));
  assert.deepEqual(merged, { color: { h: 0.1, s: 0.2 } });
  assert.deepEqual(controlValues({ ...merged, brightness: 0.3 }), [
    ["hue", 0.1],
    ["saturation", 0.2],
    ["brightness", 0.3],
  ]);
  assert.ok(reflects(state({ color: { h: 0.1, s: 0.2 } }), merged));
  assert.ok(!reflects(state(), { on: false }));
});

test("health: a lamp that cannot save or drive its LED says so", () => {
  assert.equal(healthProblem(parseHealth('{"durable":false,"led":true}')), "not saving");
  assert.equal(healthProblem(parseHealth('{"durable":true,"led":false}')), "LED fault");
  assert.equal(healthProblem(parseHealth('{"durable":true,"led":true}')), "");
  assert.equal(parseHealth(""), null);
  assert.equal(parseHealth("{"), null);
});

test("the badge vouches for online only over a live connection", () => {
  assert.equal(badgeFor({ connection: "connected", online: true }).text, "online");
  assert.equal(badgeFor({ connection: "connected", online: false }).text, "offline");
  assert.equal(badgeFor({ connection: "connected", online: true, denied: true }).text, "no access");
  assert.equal(badgeFor({ connection: "connected", online: true, health: { durable: false } }).text, "online, not saving");
  for (const connection of ["reconnecting", "connecting", "stopped"]) {
    const badge = badgeFor({ connection, online: true });
    assert.equal(badge.kind, "unknown");
    assert.match(badge.text, /^unknown \//);
  }
  assert.equal(badgeFor({ connection: "reconnecting", online: true }).text, "unknown / reconnecting");
});

test("a command is settled by its echo, by someone else's change, or fails after the window", () => {
  const t = new CommandTracker("web-me", 2000);
  t.sent("on", true, 0);
  assert.deepEqual(t.observe(state({ on: true, client: "web-me" })), ["on"]);
  assert.equal(t.expire(5000), null);

  t.sent("brightness", 0.9, 0);
  assert.deepEqual(t.observe(state({ brightness: 0.2, client: "someone" })), ["brightness"], "someone else's change wins");

  t.sent("on", false, 0);
  assert.equal(t.expire(1999), null);
  assert.deepEqual(t.expire(2000), { on: false });
  assert.ok(!t.isPending("on"));
});

test("a drag to a dead lamp fails two seconds after its first unanswered value", () => {
  const t = new CommandTracker("web-me", 2000);
  for (let at = 0; at <= 3000; at += 100) t.sent("brightness", at / 10000, at);
  assert.equal(t.nextDeadline(), 2000);
  assert.deepEqual(t.expire(2000), { brightness: 0.3 });
});

test("our own intermediate echo gives the newest value its own window", () => {
  const t = new CommandTracker("web-me", 2000);
  t.sent("hue", 0.1, 0);
  t.sent("hue", 0.2, 1500);
  assert.deepEqual(t.observe(state({ color: { h: 0.1, s: 0.5 }, client: "web-me" })), []);
  assert.equal(t.nextDeadline(), 3500);
  t.sent("saturation", 0.7, 1700);
  assert.deepEqual(t.failAll(), { color: { h: 0.2, s: 0.7 } });
  assert.equal(t.nextDeadline(), Infinity);
});

test("a value the lamp already reports is not waited for, unless ours is still on its way", () => {
  const t = new CommandTracker("web-me", 2000);
  t.sent("brightness", 0.5, 0, state({ brightness: 0.5 }));
  assert.ok(!t.isPending("brightness"));
  t.sent("brightness", 0.7, 0, state({ brightness: 0.5 }));
  t.sent("brightness", 0.5, 50, state({ brightness: 0.5 }));
  assert.ok(t.isPending("brightness"), "the lamp will move to 0.7 and back");
});

test("diffLamps says which cards to add and remove", () => {
  const { added, removed } = diffLamps(["a", "b"], [{ device_id: "b" }, { device_id: "c" }]);
  assert.deepEqual(added, [{ device_id: "c" }]);
  assert.deepEqual(removed, ["a"]);
});
