// The page's GATT encoding (web/src/gatt.js) against the lamp's (src/ble/gatt_codec.cpp):
// ble_gatt_encodings prints what the C++ codec makes of a table of values, and
// gatt.js must make the same bytes and read the same values. Then round trips and
// the examples of src/ble/README.md.
//
//   LAMPI_GATT_ENCODINGS=<build>/tests/ble/ble_gatt_encodings node --test tests/ble/gatt_js.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

import * as gatt from "../../web/src/gatt.js";

const program = process.env.LAMPI_GATT_ENCODINGS;
const skip = program ? false : "LAMPI_GATT_ENCODINGS is not set (path of the ble_gatt_encodings program)";
const table = program ? JSON.parse(execFileSync(program, { encoding: "utf8" })) : null;

test("the UUIDs are the lamp's", { skip }, () => {
  assert.equal(gatt.SERVICE_UUID, table.uuids.service);
  assert.equal(gatt.CHARACTERISTIC_UUIDS.colour, table.uuids.colour);
  assert.equal(gatt.CHARACTERISTIC_UUIDS.brightness, table.uuids.brightness);
  assert.equal(gatt.CHARACTERISTIC_UUIDS.power, table.uuids.power);
  assert.equal(gatt.CHARACTERISTIC_UUIDS.deviceId, table.uuids["device id"]);
});

test("fractions encode to the lamp's bytes, clamped as the lamp clamps them", { skip }, () => {
  assert.ok(table.fractions.length >= 10);
  for (const row of table.fractions) {
    assert.deepEqual([...gatt.encodeColour(row.value, row.other)], row.colour, `colour of ${row.value}, ${row.other}`);
    assert.deepEqual([...gatt.encodeBrightness(row.value)], row.brightness, `brightness of ${row.value}`);
  }
});

test("power and the device id are the lamp's bytes", { skip }, () => {
  assert.deepEqual([...gatt.encodePower(true)], table.power.on);
  assert.deepEqual([...gatt.encodePower(false)], table.power.off);
  assert.equal(gatt.decodeDeviceId(Uint8Array.from(table.device_id)), "b827eb74663e");
});

test("bytes read as the values the lamp reads from them", { skip }, () => {
  for (const row of table.decoded) {
    assert.deepEqual(gatt.decodeColour(Uint8Array.from(row.bytes)), { h: row.hue, s: row.saturation }, `${row.bytes}`);
    assert.equal(gatt.decodeBrightness(Uint8Array.from(row.bytes.slice(0, 2))), row.brightness, `${row.bytes}`);
  }
  for (const row of table.power_writes) {
    assert.equal(gatt.decodePower(Uint8Array.from(row.bytes)), row.refused ? null : row.on, `${row.bytes}`);
  }
});

test("the examples of src/ble/README.md", () => {
  // "hue 0.5 and saturation 1.0 read as 00 80 ff ff; brightness 0.25 as 00 40"
  assert.deepEqual([...gatt.encodeColour(0.5, 1.0)], [0x00, 0x80, 0xff, 0xff]);
  assert.deepEqual([...gatt.encodeBrightness(0.25)], [0x00, 0x40]);
  assert.deepEqual(gatt.decodeColour(new DataView(Uint8Array.of(0x00, 0x80, 0xff, 0xff).buffer)), { h: 32768 / 65535, s: 1 });
});

test("every uint16 survives decode then encode, and a fraction comes back within half a step", () => {
  for (let v = 0; v <= 0xffff; v += 1) {
    const bytes = Uint8Array.of(v & 0xff, v >> 8);
    assert.deepEqual(gatt.encodeBrightness(gatt.decodeBrightness(bytes)), bytes);
  }
  for (let i = 0; i <= 1000; i += 1) {
    const x = i / 1000;
    assert.ok(Math.abs(gatt.decodeBrightness(gatt.encodeBrightness(x)) - x) <= 0.5 / 65535, `${x}`);
    const c = gatt.decodeColour(gatt.encodeColour(x, 1 - x));
    assert.ok(Math.abs(c.h - x) <= 0.5 / 65535 && Math.abs(c.s - (1 - x)) <= 0.5 / 65535, `${x}`);
  }
  assert.equal(gatt.decodePower(gatt.encodePower(true)), true);
  assert.equal(gatt.decodePower(gatt.encodePower(false)), false);
});

test("bytes of the wrong length or range read as nothing", () => {
  assert.equal(gatt.decodeColour([0, 0]), null);
  assert.equal(gatt.decodeBrightness([0, 0, 0]), null);
  assert.equal(gatt.decodePower([2]), null);
  assert.equal(gatt.decodePower([]), null);
  assert.equal(gatt.decodeDeviceId([...Buffer.from("B827EB74663E")]), null);
});

test("a change becomes the writes that carry it; one colour component keeps the other", () => {
  const writes = (change) => gatt.writesFor(change, { h: 0.5, s: 1 }).map(([name, bytes]) => [name, [...bytes]]);
  assert.deepEqual(writes({ on: true }), [["power", [1]]]);
  assert.deepEqual(writes({ brightness: 0.25 }), [["brightness", [0x00, 0x40]]]);
  assert.deepEqual(writes({ color: { h: 0 } }), [["colour", [0, 0, 0xff, 0xff]]]);
  assert.deepEqual(writes({ color: { s: 0 } }), [["colour", [0x00, 0x80, 0, 0]]]);
  assert.deepEqual(writes({ on: false, color: { h: 1, s: 0 }, brightness: 1 }), [
    ["power", [0]],
    ["colour", [0xff, 0xff, 0, 0]],
    ["brightness", [0xff, 0xff]],
  ]);
  assert.deepEqual(writes({}), []);
});
