// The page's MQTT connection to the broker (through lampi-cloud's relay), as one
// state machine:
//
//   idle ──start──▶ connecting ──subscribed──▶ connected
//                     │  ▲                         │ closed, keepalive or probe timeout
//                     │  └──timer, check()──┐      ▼
//                     └──────failed───────▶ reconnecting
//   any ──session ended (401)──▶ stopped
//
// Every connection needs a fresh broker credential (the broker refuses a used-up
// one), so reconnecting is done here, not by mqtt.js. A credential is renewed
// before it expires by opening a second client and switching over once it is
// subscribed; renew() does the same at once when the account's lamps change.

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
// Renew the broker credential when this fraction of its lifetime has passed, so the
// broker never has to kick us for holding an expired one.
const RENEW_AT_FRACTION = 0.8;
const RENEW_MIN_MS = 5000;
// mqtt.js pings after KEEPALIVE_S idle seconds and gives up 1.5 × KEEPALIVE_S after
// the last answer: a dead connection shows within 3 s. The broker cuts a client
// silent for 1.5 × KEEPALIVE_S, which the ping every 2 s keeps clear of.
export const KEEPALIVE_S = 2;
// A check() of a connection that looks alive: a ping must be answered within this.
const PROBE_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

export function backoffMs(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class Connection {
  // fetchCredential(): Promise<credential> (rejects with {kind: "session"|...});
  // connectMqtt(url, options): an mqtt.js client; urlFor(ws_url): the broker URL;
  // topics(): {topic: {qos}} to subscribe; onMessage(topic, text);
  // onDenied(topics refused); onState(state) after every change of state.
  constructor({ fetchCredential, connectMqtt, urlFor, topics, onMessage, onDenied, onState, random = Math.random }) {
    Object.assign(this, { fetchCredential, connectMqtt, urlFor, topics, onMessage, onDenied, onState, random });
    this.state = { kind: "idle", attempt: 0, retryAt: 0, reason: "" };
    this.client = null; // the adopted client, whose messages we act on
    this.serial = 0;
    this.retryTimer = 0;
    this.renewTimer = 0;
    this.probeTimer = 0;
    this.packetsReceived = 0; // by the adopted client, so a probe can tell it was answered
  }

  get connected() {
    return this.state.kind === "connected";
  }

  setState(kind, extra = {}) {
    this.state = { ...this.state, kind, ...extra };
    this.onState({ ...this.state });
  }

  start() {
    this.open(false);
  }

  // Publishes at QoS 1; done(err) with err set when it cannot go out.
  publish(topic, payload, done) {
    if (!this.client || !this.connected) return done(new Error("not connected"));
    this.client.publish(topic, payload, { qos: 1 }, (err) => done(err || null));
  }

  // The lamps changed: a fresh credential names them, and new subscriptions follow.
  renew() {
    if (this.connected) this.open(true);
    else this.check();
  }

  // The tab is shown again or the browser is back online: find out now rather
  // than at the next ping or retry.
  check() {
    if (this.state.kind === "reconnecting") return this.open(false);
    if (!this.connected || this.probeTimer) return;
    const client = this.client;
    const before = this.packetsReceived;
    client.sendPing();
    this.probeTimer = setTimeout(() => {
      this.probeTimer = 0;
      if (client === this.client && this.packetsReceived === before) this.lost(client);
    }, PROBE_MS);
  }

  stop(reason) {
    this.clearTimers();
    const client = this.client;
    this.client = null;
    if (client) client.end(true);
    this.setState("stopped", { reason });
  }

  clearTimers() {
    for (const t of ["retryTimer", "renewTimer", "probeTimer"]) {
      clearTimeout(this[t]);
      this[t] = 0;
    }
  }

  // Fetches a credential and opens a new client with it. When `renewing`, the old
  // client keeps serving until the new one is subscribed.
  async open(renewing) {
    if (this.state.kind === "stopped") return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    if (!renewing) this.setState("connecting");
    let credential;
    try {
      credential = await this.fetchCredential();
    } catch (err) {
      if (err.kind === "session") return this.stop("session");
      return renewing ? this.renewSoon() : this.retry("unreachable");
    }
    if (this.state.kind === "stopped") return;
    let client;
    try {
      client = this.connectMqtt(this.urlFor(credential.ws_url), {
        clientId: credential.username + "-" + ++this.serial,
        username: credential.username,
        password: credential.password,
        protocolVersion: 4,
        clean: true,
        keepalive: KEEPALIVE_S,
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectPeriod: 0,
        resubscribe: false,
      });
    } catch {
      return renewing ? this.renewSoon() : this.retry("unreachable");
    }
    let adopted = false;
    let closed = false;
    client.on("connect", () => this.subscribe(client, credential, () => (adopted = true)));
    // Messages from a renewal's new client before it is adopted are the same
    // stream; the lamps' version check keeps duplicates harmless.
    client.on("message", (topic, payload) => this.onMessage(topic, payload.toString()));
    client.on("packetreceive", () => {
      if (client === this.client) this.packetsReceived += 1;
    });
    client.on("error", (err) => console.warn("lampi: MQTT:", err.message));
    client.on("close", () => {
      if (closed) return;
      closed = true;
      if (client === this.client) this.lost(client);
      else if (adopted) return; // replaced by a renewed connection
      else if (renewing && this.client) this.renewSoon(); // the old client still serves
      else {
        client.end(true);
        this.retry("unreachable");
      }
    });
  }

  subscribe(client, credential, onAdopted) {
    const topics = this.topics();
    const names = Object.keys(topics);
    if (!names.length) {
      onAdopted();
      return this.adopt(client, credential, []);
    }
    client.subscribe(topics, (err) => {
      // mqtt.js turns a SUBACK with any refused topic into an error that still
      // carries the packet; only an error without one is a failed exchange.
      if (err && !(err.packet && Array.isArray(err.packet.granted))) {
        console.warn("lampi: subscribe failed:", err.message);
        client.end(true);
        return;
      }
      const codes = err ? err.packet.granted : [];
      const refused = names.filter((_, i) => codes[i] >= 0x80);
      for (const name of refused) console.warn("lampi: the broker refused", name);
      onAdopted();
      this.adopt(client, credential, refused);
    });
  }

  adopt(client, credential, refused) {
    const old = this.client;
    this.client = client;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    if (old && old !== client) old.end(true);
    this.onDenied(refused);
    this.setState("connected", { attempt: 0, reason: "" });
    this.scheduleRenewal(credential);
  }

  // The adopted client is gone (closed, keepalive or probe timeout).
  lost(client) {
    if (client !== this.client) return;
    this.client = null;
    clearTimeout(this.renewTimer);
    clearTimeout(this.probeTimer);
    this.renewTimer = this.probeTimer = 0;
    client.end(true);
    this.retry("lost");
  }

  scheduleRenewal(credential) {
    clearTimeout(this.renewTimer);
    const lifetimeMs = (Number(credential.expires_at) - credential.serverNow) * 1000;
    if (!(lifetimeMs > 0)) return;
    const delay = Math.max(RENEW_MIN_MS, lifetimeMs * RENEW_AT_FRACTION);
    this.renewTimer = setTimeout(() => this.open(true), delay);
  }

  renewSoon() {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => this.open(true), RENEW_MIN_MS);
  }

  retry(reason) {
    if (this.state.kind === "stopped") return;
    const attempt = this.state.attempt + 1;
    const delay = backoffMs(attempt, this.random);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(false), delay);
    this.setState("reconnecting", { attempt, retryAt: Date.now() + delay, reason });
  }
}
