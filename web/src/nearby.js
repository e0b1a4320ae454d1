// A lamp within Bluetooth range, through Web Bluetooth and the lamp's GATT service
// (src/ble/README.md): choose it, connect, read its state, follow its
// notifications, and write changes. No DOM: the page's part is nearby-view.js,
// and the tests hand in a fake `navigator.bluetooth`.
import {
  CHARACTERISTIC_UUIDS,
  SERVICE_UUID,
  decodeBrightness,
  decodeColour,
  decodeDeviceId,
  decodePower,
  writesFor,
} from "./gatt.js";

// The characteristics that carry the state and notify its changes.
const STATE_PARTS = ["power", "colour", "brightness"];

// Why a Bluetooth step failed, for the person holding the phone. Browsers name
// the error (DOMException) and say the rest in English; an ATT application error
// of the lamp shows as its code only where the platform passes it on.
export function bluetoothErrorText(err) {
  const name = (err && err.name) || "";
  const message = (err && err.message) || String(err);
  if (/\b0x81\b/.test(message) || /failed for unknown reason/i.test(message))
    return "The lamp is near but cannot change its light just now (lamp not reachable). Try again in a moment.";
  if (/\b0x80\b/.test(message)) return "The lamp refused that value.";
  if (name === "NotFoundError" && /cancel/i.test(message)) return "No lamp was chosen.";
  if (/adapter not available|globally disabled/i.test(message))
    return "Bluetooth is off or missing on this device. Turn it on and try again.";
  if (name === "NotFoundError") return "No LAMPi lamp was found nearby. Is it on and within a few metres?";
  if (/not paired|not authori[sz]ed|authenticat|encrypt/i.test(message))
    return "The lamp asks for this device to be paired with it first.";
  if (name === "SecurityError")
    return "This page may not use Bluetooth: it needs a secure address (https, or localhost) and a tap on the button.";
  if (name === "NotAllowedError") return "Bluetooth is not allowed for this site. Allow it in the browser's settings.";
  if (name === "NetworkError" || /disconnected|no longer in range/i.test(message))
    return "The lamp is out of reach or turned off. Move closer and try again.";
  if (name === "NotSupportedError") return "This browser cannot do that over Bluetooth.";
  return "Bluetooth failed: " + message;
}

export const DISCONNECTED_TEXT = "The lamp disconnected: it is out of reach or turned off.";

export class NearbyLamp {
  // onState(state): the lamp's state ({on, color: {h, s}, brightness}) after the
  // first read and every notification; onDisconnected(): the link is gone.
  constructor(bluetooth, { onState = () => {}, onDisconnected = () => {} } = {}) {
    this.bluetooth = bluetooth;
    this.onState = onState;
    this.onDisconnected = onDisconnected;
    this.device = null;
    this.characteristics = {};
    this.parts = {}; // power, colour, brightness as last read or notified
    this.colour = null; // the colour the lamp has or was last sent: the other half of a one-component change
    this.queue = Promise.resolve(); // one GATT operation at a time, as browsers require
    this.leaving = false;
  }

  // The browser's chooser lists only lamps offering the service. Answers
  // {id, name, state}; rejects with the browser's error (bluetoothErrorText).
  async connect() {
    const device = await this.bluetooth.requestDevice({ filters: [{ services: [SERVICE_UUID] }] });
    this.device = device;
    device.addEventListener("gattserverdisconnected", () => {
      if (!this.leaving) this.onDisconnected();
    });
    const server = await device.gatt.connect();
    const service = await server.getPrimaryService(SERVICE_UUID);
    for (const [name, uuid] of Object.entries(CHARACTERISTIC_UUIDS))
      this.characteristics[name] = await service.getCharacteristic(uuid);
    const id = decodeDeviceId(await this.characteristics.deviceId.readValue());
    for (const part of STATE_PARTS) this.take(part, await this.characteristics[part].readValue());
    for (const part of STATE_PARTS) {
      const characteristic = this.characteristics[part];
      characteristic.addEventListener("characteristicvaluechanged", (event) => {
        if (this.take(part, event.target.value)) this.onState(this.state());
      });
      await characteristic.startNotifications();
    }
    const state = this.state();
    if (!state) throw new Error("the lamp sent a state this page cannot read");
    return { id: id || "", name: device.name || "LAMPi " + (id || "lamp"), state };
  }

  // Keeps a read or notified value; false when the bytes are no such value.
  take(part, value) {
    const decode = { power: decodePower, colour: decodeColour, brightness: decodeBrightness }[part];
    const decoded = decode(value);
    if (decoded === null) return false;
    this.parts[part] = decoded;
    if (part === "colour") this.colour = decoded;
    return true;
  }

  // The whole state, once every part has been read; else null.
  state() {
    const { power, colour, brightness } = this.parts;
    if (power === undefined || colour === undefined || brightness === undefined) return null;
    return { on: power, color: { h: colour.h, s: colour.s }, brightness };
  }

  // Writes a set_config-shaped change ({on, color: {h, s}, brightness}, any
  // subset), in order, after whatever is still being written.
  apply(change) {
    const base = this.colour || { h: 0, s: 0 };
    const writes = writesFor(change, base);
    if (change.color) this.colour = { h: change.color.h ?? base.h, s: change.color.s ?? base.s };
    const run = async () => {
      for (const [part, bytes] of writes) {
        const characteristic = this.characteristics[part];
        if (characteristic.writeValueWithResponse) await characteristic.writeValueWithResponse(bytes);
        else await characteristic.writeValue(bytes);
      }
    };
    const done = this.queue.then(run, run);
    this.queue = done.catch(() => {});
    return done;
  }

  disconnect() {
    this.leaving = true;
    if (this.device && this.device.gatt.connected) this.device.gatt.disconnect();
  }
}
