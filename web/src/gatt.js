// The lamp's Bluetooth LE GATT service as bytes: the UUIDs and the encoding of
// each characteristic (src/ble/README.md, "The GATT service"; the lamp's side is
// src/ble/gatt_codec.cpp). Pure: no DOM, no Bluetooth; tests/ble/gatt_js.test.mjs
// checks it against the C++ encoder.
//
// Every number is little-endian; a fraction 0..1 is a uint16, round(x × 65535).

export const SERVICE_UUID = "4c414d50-6900-4c50-8000-000000000001";
export const CHARACTERISTIC_UUIDS = {
  colour: "4c414d50-6900-4c50-8000-000000000002",
  brightness: "4c414d50-6900-4c50-8000-000000000003",
  power: "4c414d50-6900-4c50-8000-000000000004",
  deviceId: "4c414d50-6900-4c50-8000-000000000005",
};

const SCALE = 65535;

// A DataView (what Web Bluetooth hands over), an ArrayBuffer, a typed array or
// an array of numbers, as a Uint8Array.
export function bytesOf(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return Uint8Array.from(value || []);
}

// Out-of-range and non-numbers are clamped as the lamp clamps them (NaN is 0).
export function fractionToUint16(x) {
  const n = Number(x);
  const clamped = Number.isNaN(n) ? 0 : Math.min(1, Math.max(0, n));
  return Math.round(clamped * SCALE);
}

function putUint16(out, at, v) {
  out[at] = v & 0xff;
  out[at + 1] = v >> 8;
}

function fractionAt(bytes, at) {
  return (bytes[at] | (bytes[at + 1] << 8)) / SCALE;
}

export function encodeColour(h, s) {
  const out = new Uint8Array(4);
  putUint16(out, 0, fractionToUint16(h));
  putUint16(out, 2, fractionToUint16(s));
  return out;
}

export function encodeBrightness(b) {
  const out = new Uint8Array(2);
  putUint16(out, 0, fractionToUint16(b));
  return out;
}

export function encodePower(on) {
  return Uint8Array.of(on ? 1 : 0);
}

// Each decoder answers null for bytes that are not such a value.
export function decodeColour(value) {
  const b = bytesOf(value);
  return b.length === 4 ? { h: fractionAt(b, 0), s: fractionAt(b, 2) } : null;
}

export function decodeBrightness(value) {
  const b = bytesOf(value);
  return b.length === 2 ? fractionAt(b, 0) : null;
}

export function decodePower(value) {
  const b = bytesOf(value);
  return b.length === 1 && b[0] <= 1 ? b[0] === 1 : null;
}

export function decodeDeviceId(value) {
  const text = String.fromCharCode(...bytesOf(value));
  return /^[0-9a-f]{12}$/.test(text) ? text : null;
}

// The writes that carry a set_config-shaped change ({on, color: {h, s},
// brightness}, any subset) to the lamp, as [characteristic name, bytes]. The
// colour characteristic holds hue and saturation together, so a change of one
// takes the other from `colour` (what the lamp has, or was last sent).
export function writesFor(change, colour) {
  const writes = [];
  if ("on" in change) writes.push(["power", encodePower(change.on)]);
  if (change.color && ("h" in change.color || "s" in change.color)) {
    const h = "h" in change.color ? change.color.h : colour.h;
    const s = "s" in change.color ? change.color.s : colour.s;
    writes.push(["colour", encodeColour(h, s)]);
  }
  if ("brightness" in change) writes.push(["brightness", encodeBrightness(change.brightness)]);
  return writes;
}
