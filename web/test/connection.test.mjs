import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";

import { Connection, KEEPALIVE_S, backoffMs } from "../src/connection.js";

// Just enough of an mqtt.js client: the test drives its events.
class FakeClient extends EventEmitter {
  constructor(url, options) {
    super();
    Object.assign(this, { url, options, ended: false, pings: 0, published: [] });
  }
  subscribe(topics, cb) {
    this.subscribed = topics;
    this.subscribeCallback = cb;
  }
  publish(topic, payload, opts, cb) {
    this.published.push({ topic, payload });
    cb();
  }
  sendPing() {
    this.pings += 1;
  }
  end() {
    this.ended = true;
  }
}

const credential = { username: "web-1", password: "p", ws_url: "/mqtt", expires_at: 1000, serverNow: 900 };

function setup({ credentials = [] } = {}) {
  const clients = [];
  const states = [];
  const connection = new Connection({
    fetchCredential: async () => {
      const next = credentials.length ? credentials.shift() : credential;
      if (next instanceof Error) throw next;
      return next;
    },
    connectMqtt: (url, options) => {
      const c = new FakeClient(url, options);
      clients.push(c);
      return c;
    },
    urlFor: (ws) => "ws://h" + ws,
    topics: () => ({ "devices/a/lamp/changed": { qos: 1 } }),
    onMessage: () => {},
    onDenied: (refused) => (connection.refused = refused),
    onState: (s) => states.push(s.kind),
    random: () => 0.5,
  });
  return { connection, clients, states };
}

const settle = () => new Promise((r) => setImmediate(r));

// Runs `body` with setTimeout under the test's control (mock.timers.tick).
async function withFakeTimers(body) {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    await body();
  } finally {
    mock.timers.reset();
  }
}

// A connection whose first client connected and was granted its subscriptions.
async function startConnected(options) {
  const parts = setup(options);
  parts.connection.start();
  await settle();
  parts.clients[0].emit("connect");
  parts.clients[0].subscribeCallback(null);
  return parts;
}
const failure = (kind) => Object.assign(new Error(kind), { kind });

test("backoff doubles up to 30 s", () => {
  assert.equal(backoffMs(1, () => 0.5), 1000);
  assert.equal(backoffMs(4, () => 0.5), 8000);
  assert.equal(backoffMs(20, () => 0.5), 30000);
});

test("connects with a short keepalive, subscribes, and reports refused topics", async () => {
  const { connection, clients, states } = setup();
  connection.start();
  await settle();
  const client = clients[0];
  assert.equal(client.options.keepalive, KEEPALIVE_S);
  assert.ok(KEEPALIVE_S * 1.5 <= 5, "a dead connection must show within 5 s");
  assert.equal(client.options.reconnectPeriod, 0);
  client.emit("connect");
  client.subscribeCallback(Object.assign(new Error("refused"), { packet: { granted: [128] } }));
  assert.deepEqual(states, ["connecting", "connected"]);
  assert.deepEqual(connection.refused, ["devices/a/lamp/changed"]);
  connection.stop("test");
});

test("a lost connection is reported at once and retried with a fresh credential", () =>
  withFakeTimers(async () => {
    const { connection, clients, states } = await startConnected();
    clients[0].emit("close");
    assert.equal(connection.state.kind, "reconnecting");
    assert.equal(connection.state.reason, "lost");
    assert.ok(clients[0].ended);
    let failed = null;
    connection.publish("t", "x", (err) => (failed = err));
    assert.ok(failed, "publishing while down fails at once");
    mock.timers.tick(1000);
    await settle();
    assert.equal(clients.length, 2);
    assert.deepEqual(states, ["connecting", "connected", "reconnecting", "connecting"]);
    connection.stop("test");
  }));

test("an unreachable cloud retries; an ended session stops", () =>
  withFakeTimers(async () => {
    const { connection } = setup({ credentials: [failure("unreachable"), failure("session")] });
    connection.start();
    await settle();
    assert.equal(connection.state.kind, "reconnecting");
    assert.equal(connection.state.reason, "unreachable");
    mock.timers.tick(1000);
    await settle();
    assert.equal(connection.state.kind, "stopped");
    assert.equal(connection.state.reason, "session");
  }));

test("check() probes a connection that looks alive and drops it when the ping is not answered", () =>
  withFakeTimers(async () => {
    const { connection, clients } = await startConnected();
    connection.check();
    assert.equal(clients[0].pings, 1);
    mock.timers.tick(2000);
    assert.equal(connection.state.kind, "reconnecting");
    connection.stop("test");
  }));

test("check() after a loss reconnects now rather than at the next retry", () =>
  withFakeTimers(async () => {
    const { connection, clients } = setup({ credentials: [failure("unreachable")] });
    connection.start();
    await settle();
    assert.equal(connection.state.kind, "reconnecting");
    connection.check();
    await settle();
    assert.equal(clients.length, 1, "a new client at once");
    connection.stop("test");
  }));
