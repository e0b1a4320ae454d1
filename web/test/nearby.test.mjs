// The nearby lamp over Web Bluetooth (src/nearby.js) against a fake
// navigator.bluetooth that plays the lamp's GATT service: what is read at
// connection, notifications, the bytes written for a change and in what order,
// a lost link, and the words of every failure.
import { test } from "node:test";
import assert from "node:assert/strict";

import { CHARACTERISTIC_UUIDS, SERVICE_UUID } from "../src/gatt.js";
import { DISCONNECTED_TEXT, NearbyLamp, bluetoothErrorText } from "../src/nearby.js";

const names = Object.fromEntries(Object.entries(CHARACTERISTIC_UUIDS).map(([name, uuid]) => [uuid, name]));

class FakeCharacteristic extends EventTarget {
  constructor(lamp, name, value) {
    super();
    this.lamp = lamp;
    this.name = name;
    this.value = new DataView(Uint8Array.from(value).buffer);
    this.notifying = false;
  }
  async readValue() {
    return this.value;
  }
  async writeValueWithResponse(bytes) {
    if (this.lamp.refuse) throw this.lamp.refuse;
    this.lamp.busy += 1;
    assert.equal(this.lamp.busy, 1, "one GATT operation at a time");
    await new Promise((r) => setTimeout(r, 2));
    this.lamp.busy -= 1;
    this.lamp.writes.push([this.name, [...bytes]]);
  }
  async startNotifications() {
    this.notifying = true;
  }
  notify(bytes) {
    this.value = new DataView(Uint8Array.from(bytes).buffer);
    const event = new Event("characteristicvaluechanged");
    Object.defineProperty(event, "target", { value: this });
    this.dispatchEvent(event);
  }
}

function fakeBluetooth({ choose = true } = {}) {
  const lamp = { writes: [], busy: 0, refuse: null, requests: [] };
  lamp.characteristics = {
    colour: new FakeCharacteristic(lamp, "colour", [0x00, 0x80, 0xff, 0xff]),
    brightness: new FakeCharacteristic(lamp, "brightness", [0x00, 0x40]),
    power: new FakeCharacteristic(lamp, "power", [1]),
    deviceId: new FakeCharacteristic(lamp, "deviceId", [..."b827eb74663e"].map((c) => c.charCodeAt(0))),
  };
  const device = new EventTarget();
  device.name = "LAMPi b827eb74663e";
  device.gatt = {
    connected: false,
    async connect() {
      this.connected = true;
      return {
        async getPrimaryService(uuid) {
          assert.equal(uuid, SERVICE_UUID);
          return { getCharacteristic: async (u) => lamp.characteristics[names[u]] };
        },
      };
    },
    disconnect() {
      this.connected = false;
      device.dispatchEvent(new Event("gattserverdisconnected"));
    },
  };
  lamp.device = device;
  lamp.bluetooth = {
    async requestDevice(options) {
      lamp.requests.push(options);
      if (!choose) throw new DOMException("User cancelled the requestDevice() chooser.", "NotFoundError");
      return device;
    },
  };
  return lamp;
}

test("connecting asks only for lamps with the service and reads the lamp's state and id", async () => {
  const fake = fakeBluetooth();
  const found = await new NearbyLamp(fake.bluetooth).connect();
  assert.deepEqual(fake.requests, [{ filters: [{ services: [SERVICE_UUID] }] }]);
  assert.deepEqual(found, {
    id: "b827eb74663e",
    name: "LAMPi b827eb74663e",
    state: { on: true, color: { h: 32768 / 65535, s: 1 }, brightness: 16384 / 65535 },
  });
  for (const part of ["colour", "brightness", "power"]) assert.ok(fake.characteristics[part].notifying, part);
  assert.equal(fake.characteristics.deviceId.notifying, false, "the device id never changes");
});

test("a notification updates the state; bytes that are no value are ignored", async () => {
  const fake = fakeBluetooth();
  const states = [];
  await new NearbyLamp(fake.bluetooth, { onState: (s) => states.push(s) }).connect();
  fake.characteristics.power.notify([0]);
  fake.characteristics.brightness.notify([0xff, 0xff]);
  fake.characteristics.power.notify([7]);
  assert.equal(states.length, 2);
  assert.deepEqual(states[1], { on: false, color: { h: 32768 / 65535, s: 1 }, brightness: 1 });
});

test("changes are written one at a time, in order; a hue alone keeps the saturation", async () => {
  const fake = fakeBluetooth();
  const lamp = new NearbyLamp(fake.bluetooth);
  await lamp.connect();
  await Promise.all([
    lamp.apply({ color: { h: 0 } }),
    lamp.apply({ brightness: 0.25 }),
    lamp.apply({ on: false, color: { s: 0 } }),
  ]);
  assert.deepEqual(fake.writes, [
    ["colour", [0, 0, 0xff, 0xff]],
    ["brightness", [0x00, 0x40]],
    ["power", [0]],
    ["colour", [0, 0, 0, 0]],
  ]);
});

test("a refused write rejects with the lamp's reason and later writes still go", async () => {
  const fake = fakeBluetooth();
  const lamp = new NearbyLamp(fake.bluetooth);
  await lamp.connect();
  fake.refuse = new DOMException("GATT operation failed: 0x81", "NotSupportedError");
  const refused = lamp.apply({ on: true });
  await assert.rejects(refused);
  const why = await refused.catch((err) => bluetoothErrorText(err));
  assert.match(why, /lamp not reachable/);
  fake.refuse = null;
  await lamp.apply({ on: false });
  assert.deepEqual(fake.writes, [["power", [0]]]);
});

test("a lost link is reported; leaving on purpose is not", async () => {
  const fake = fakeBluetooth();
  let lost = 0;
  const lamp = new NearbyLamp(fake.bluetooth, { onDisconnected: () => (lost += 1) });
  await lamp.connect();
  fake.device.gatt.disconnect();
  assert.equal(lost, 1);
  assert.match(DISCONNECTED_TEXT, /disconnected/);
  await lamp.connect();
  lamp.disconnect();
  assert.equal(lost, 1);
});

test("a cancelled chooser rejects with words for it", async () => {
  const fake = fakeBluetooth({ choose: false });
  const err = await new NearbyLamp(fake.bluetooth).connect().catch((e) => e);
  assert.equal(bluetoothErrorText(err), "No lamp was chosen.");
});

test("every failure is said in plain words", () => {
  const text = (name, message) => bluetoothErrorText(new DOMException(message, name));
  assert.equal(text("NotFoundError", "Bluetooth adapter not available."), "Bluetooth is off or missing on this device. Turn it on and try again.");
  assert.match(text("NotFoundError", "No Services matching UUID found in Device."), /No LAMPi lamp was found nearby/);
  assert.match(text("SecurityError", "Must be handling a user gesture to show a permission request."), /secure address \(https, or localhost\)/);
  assert.match(text("SecurityError", "GATT operation not authorized."), /paired/);
  assert.match(text("NetworkError", "GATT Server is disconnected. Cannot perform GATT operations."), /out of reach/);
  assert.match(text("NotSupportedError", "GATT operation failed for unknown reason."), /lamp not reachable/);
  assert.match(text("NotSupportedError", "GATT Error: Not supported."), /cannot do that over Bluetooth/);
  assert.match(text("InvalidModificationError", "write refused: 0x80"), /refused that value/);
  assert.match(text("NotAllowedError", "Permission denied."), /not allowed/);
  assert.equal(bluetoothErrorText(new Error("odd")), "Bluetooth failed: odd");
});
