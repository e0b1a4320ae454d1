import { test } from "node:test";
import assert from "node:assert/strict";

import {
  brokerUrl,
  commandFailureText,
  formatValue,
  hsvToRgb,
  randomHex,
  statusText,
  temperatureOf,
  whiteOfTemperature,
} from "../src/format.js";

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

// The same reference points as tests/common/color_test.cpp (include/lampi/color.h).
test("colour temperature follows the blackbody from candle to daylight", () => {
  for (const [kelvin, h, s] of [
    [2000, 0.085, 0.9455],
    [2700, 0.0789, 0.6572],
    [4000, 0.0745, 0.3487],
    [6500, 0.1368, 0.0194],
  ]) {
    const white = whiteOfTemperature(kelvin);
    assert.ok(Math.abs(white.h - h) < 5e-4, `${kelvin} K hue ${white.h}`);
    assert.ok(Math.abs(white.s - s) < 5e-4, `${kelvin} K saturation ${white.s}`);
  }
  assert.deepEqual(whiteOfTemperature(1000), whiteOfTemperature(2000));
});

test("a lamp's colour reads back as its temperature, or as none when it is not a white", () => {
  assert.equal(temperatureOf(whiteOfTemperature(2700)), 2700);
  assert.equal(temperatureOf(whiteOfTemperature(5300)), 5300);
  assert.equal(temperatureOf({ h: 0.6, s: 1 }), null);
});
