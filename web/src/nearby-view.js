// "Nearby lamp" on the page (the server renders <section id="nearby" hidden>,
// src/cloud/pages/pages.cpp): shown only where the browser has Web Bluetooth. Its
// button chooses a lamp within range and gives it the same card as a lamp reached
// through LAMPi (views.js, LampCard): the card speaks set_config and lamp/changed,
// and this module turns them into GATT writes and notifications (nearby.js).
import { randomHex } from "./format.js";
import { DISCONNECTED_TEXT, NearbyLamp, bluetoothErrorText } from "./nearby.js";
import { LampCard, element } from "./views.js";

function failureText(reason) {
  return reason === "unreachable" ? "The change did not reach the lamp." : "The lamp did not answer.";
}

export function startNearby(section, bluetooth) {
  const button = section.querySelector(".nearby-connect");
  const status = section.querySelector(".nearby-status");
  const list = section.querySelector(".nearby-lamps");
  // Notifications carry no sender, so every one is the lamp's answer to this card.
  const clientTag = "web-ble-" + randomHex(8);
  let lamp = null;
  let card = null;
  const say = (text) => (status.textContent = text);

  function leave() {
    if (card) card.destroy();
    card = null;
    if (lamp) lamp.disconnect();
    lamp = null;
  }

  function show(found) {
    const li = element(
      "li",
      { class: "lamp", dataset: { deviceId: "nearby-" + found.id, name: found.name, online: "true" } },
      element("span", { class: "lamp-name", textContent: found.name }),
      " ",
      element("span", { class: "badge", textContent: "online" })
    );
    list.append(li);
    const connected = () => (lamp ? "connected" : "stopped");
    card = new LampCard(li, {
      clientTag,
      connection: connected,
      failureText,
      publish: (_topic, payload, done) => {
        const change = JSON.parse(payload);
        delete change.client;
        if (!lamp) return done(new Error("disconnected"));
        lamp.apply(change).then(
          () => done(),
          (err) => {
            say(bluetoothErrorText(err));
            done(err);
          }
        );
      },
    });
    card.onChanged(JSON.stringify({ ...found.state, client: clientTag }));
  }

  button.addEventListener("click", async () => {
    leave();
    button.disabled = true;
    say("Choose your lamp in the list the browser shows.");
    const connecting = new NearbyLamp(bluetooth, {
      onState: (state) => card && card.onChanged(JSON.stringify({ ...state, client: clientTag })),
      onDisconnected: () => {
        if (lamp !== connecting) return;
        lamp = null;
        if (card) card.destroy();
        card = null;
        say(DISCONNECTED_TEXT);
      },
    });
    try {
      const found = await connecting.connect();
      lamp = connecting;
      show(found);
      say("Connected to " + found.name + " over Bluetooth.");
    } catch (err) {
      connecting.disconnect();
      say(bluetoothErrorText(err));
    } finally {
      button.disabled = false;
    }
  });
  section.hidden = false;
}
