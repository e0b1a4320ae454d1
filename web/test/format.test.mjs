import { test } from "node:test";
import assert from "node:assert/strict";

import { brokerUrl, commandFailureText, formatValue, hsvToRgb, randomHex, statusText } from "../src/format.js";

test("values read as people read them", () => {
  assert.equal(formatValue("hue", 0.5), "180°");
  assert.equal(formatValue("brightness", 0.256), "26%");
});

test("hsvToRgb matches the lamp's colour model", () => {
  assert.deepEqual(hsvToRgb(0, 1, 1), [255, 0, 0]);
  assert.deepEqual(hsvToRgb(1 / 3, 1, 1), [0, 255, 0]);
  assert.deepEqual(hsvToRgb(0.5, 0, 0.5), [128, 128, 128]);
});

test("a path as ws_url is the page's own site, wss:// under https://", () => {
  assert.equal(brokerUrl("/mqtt", { protocol: "https:", host: "lampi.example:8443" }), "wss://lampi.example:8443/mqtt");
  assert.equal(brokerUrl("/mqtt", { protocol: "http:", host: "h" }), "ws://h/mqtt");
  assert.equal(brokerUrl("wss://b:1/x", { protocol: "http:", host: "h" }), "wss://b:1/x");
});

test("the status line speaks plainly", () => {
  assert.equal(statusText({ kind: "reconnecting", retryAt: 8000 }, 0), "Cannot reach LAMPi. Retrying in 8 s");
  assert.equal(statusText({ kind: "reconnecting", retryAt: 100 }, 0), "Cannot reach LAMPi. Retrying in 1 s");
  assert.match(statusText({ kind: "connected" }, 0), /^Live/);
  assert.equal(statusText({ kind: "stopped", reason: "session" }, 0), "Your session has ended.");
  assert.equal(statusText({ kind: "connecting", attempt: 2 }, 0), "Cannot reach LAMPi. Reconnecting…");
  for (const kind of ["connecting", "reconnecting", "stopped"])
    assert.doesNotMatch(statusText({ kind, retryAt: 0 }, 0), /credential|broker|error/i);
});

test("command failures in plain words", () => {
  assert.equal(commandFailureText("timeout"), "The lamp did not answer.");
  assert.equal(commandFailureText("unreachable"), "Cannot reach LAMPi.");
});

test("randomHex gives two digits a byte", () => {
  assert.equal(randomHex(4, (a) => a.fill(171)), "abababab");
});
