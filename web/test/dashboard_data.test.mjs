import { test } from "node:test";
import assert from "node:assert/strict";

// Much the list dashboard.js imports: its data helpers, tested here without a browser.
import {
  DAY_MS,
  dailySeries,
  describeSeries,
  failureText,
  groupedDailySeries,
  inactiveUsers,
  onlinePerDay,
  ranking,
  sourceName,
} from "../src/dashboard_data.js";
import { hoursText, onHoursSummary } from "../src/on_hours.js";

const day0 = Date.parse("2026-11-29T00:00:00.000Z");
const step = (start, value) => ({ value, timeframe: { start: new Date(start).toISOString(), end: new Date(start + DAY_MS).toISOString() } });

test("an interval answer becomes days and values", () => {
  const s = dailySeries([step(day0, 2), step(day0 + DAY_MS, 0)]);
  assert.deepEqual(s.days, [day0, day0 + DAY_MS]);
  assert.deepEqual(s.values, [2, 0]);
  assert.equal(describeSeries("Sign-ups", s.days, s.values), "Sign-ups: 2 in 2 days, most on 2026-11-29 (2).");
  assert.equal(describeSeries("Sign-ups", s.days, [0, 0]), "Sign-ups: none in these 2 days.");
});

test("grouped steps become one series per source in words, the largest first, missing groups named", () => {
  const g = groupedDailySeries(
    [
      step(day0, [{ source: "lamp_ui", result: 1 }, { source: null, result: 1 }]),
      step(day0 + DAY_MS, [
        { source: "web", result: 3 },
        { source: "lamp_ui", result: 1 },
        { source: "schedule", result: 2 },
        { source: "toaster", result: 1 },
      ]),
    ],
    "source",
    sourceName,
  );
  assert.deepEqual(g.series, [
    { name: "web page", values: [0, 3] },
    { name: "lamp screen", values: [1, 1] },
    { name: "schedule", values: [0, 2] },
    { name: "(unknown)", values: [1, 0] },
    { name: "toaster", values: [0, 1] },
  ]);
});

test("groups whose values share a name add up under it", () => {
  const g = groupedDailySeries(
    [step(day0, [{ k: "a1", result: 1 }, { k: "a2", result: 2 }, { k: "b", result: 1 }])],
    "k",
    (v) => v.slice(0, 1),
  );
  assert.deepEqual(g.series, [
    { name: "a", values: [3] },
    { name: "b", values: [1] },
  ]);
});

test("referrers rank by sign-ups and no referrer has a name", () => {
  assert.deepEqual(
    ranking([{ referred_by: null, result: 1 }, { referred_by: "blog", result: 4 }, { referred_by: "x", result: 0 }], "referred_by", "(no referrer)"),
    [{ name: "blog", count: 4 }, { name: "(no referrer)", count: 1 }],
  );
});

test("a lamp counts online on a day when it was online as the day began or came online during it", () => {
  const at = (ms) => new Date(ms).toISOString();
  const events = [
    { "keen.timestamp": at(day0 - 5 * DAY_MS), device_id: "a", online: true }, // online since before: every day
    { "keen.timestamp": at(day0 + 3600e3), device_id: "b", online: true }, // day 0 only
    { "keen.timestamp": at(day0 + 7200e3), device_id: "b", online: false },
    { "keen.timestamp": at(day0 - DAY_MS), device_id: "c", online: false }, // offline throughout
  ];
  assert.deepEqual(onlinePerDay(events, [day0, day0 + DAY_MS]), [2, 1]);
});

test("inactive users are the known ones not seen recently, in name order", () => {
  assert.deepEqual(inactiveUsers(["zoe", "al"], ["al", "bo", "cy"], ["zoe"], ["bo"]), ["al", "cy"]);
});

test("failures are told in plain words", () => {
  assert.match(failureText(403, ""), /operators/);
  assert.match(failureText(0, ""), /Cannot reach LAMPi/);
  assert.match(failureText(400, "narrow the timeframe"), /narrow the timeframe/);
});

test("on-hours read as hours against the rated life, with a notice past 90 %", () => {
  assert.equal(hoursText(2.46), "2.5 h");
  assert.equal(hoursText(25000), "25 000 h");
  const answer = { days: [{ hours: 2 }, { hours: 1.5 }], counted_since: "2024-01-01T00:00:00.000Z", total_hours: 23000, rated_hours: 25000, used_percent: 92, nearing_end_of_life: true };
  const { lines, notice } = onHoursSummary(answer);
  assert.equal(lines[0], "On for 3.5 h in the last 2 days.");
  assert.equal(lines[1], "In all: 23 000 h of the LED's 25 000 h rated life (92 %).");
  assert.match(notice, /nearing the end of its rated life/);
  assert.equal(onHoursSummary({ ...answer, nearing_end_of_life: false }).notice, "");
  assert.match(onHoursSummary({ ...answer, counted_since: null }).lines[0], /No switching on or off recorded/);
});
