// A lamp's on-hours in its folded "Details": hours lit per day over the last 30
// days (a bar chart with a table as its text alternative) and in all against the
// LED's rated life, with a notice past 90 %. Fetched the first time the details
// open (GET /api/v1/lamps/<id>/on-hours, which only the owner may read).
import { ApiError, fetchOnHours } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";

// "3.5 h", "12 h", "1 234 h": tenths below 10 hours, whole hours above.
export function hoursText(hours) {
  const shown = hours < 10 ? Math.round(hours * 10) / 10 : Math.round(hours);
  return shown.toLocaleString("en-GB").replace(/,/g, " ") + " h";
}

// The lines under the chart, from the endpoint's answer.
export function onHoursSummary(answer) {
  const recent = answer.days.reduce((sum, d) => sum + d.hours, 0);
  if (!answer.counted_since)
    return { lines: ["No switching on or off recorded for this lamp yet: its hours on count from the first."], notice: "" };
  const lines = [
    `On for ${hoursText(recent)} in the last ${answer.days.length} days.`,
    `In all: ${hoursText(answer.total_hours)} of the LED's ${hoursText(answer.rated_hours)} rated life (${answer.used_percent} %).`,
  ];
  const notice = answer.nearing_end_of_life
    ? `This lamp's LED is nearing the end of its rated life (${answer.used_percent} % used): its light may dim or fail. Consider replacing it.`
    : "";
  return { lines, notice };
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  return node;
}

// Bars of the days, 24 h at full height; each bar's <title> says its figures.
function chart(days, label) {
  const barWidth = 8;
  const gap = 2;
  const height = 60;
  const figure = svg("svg", {
    class: "on-hours-chart",
    viewBox: `0 0 ${days.length * (barWidth + gap)} ${height}`,
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "none",
  });
  figure.append(svg("line", { x1: 0, y1: height, x2: days.length * (barWidth + gap), y2: height, class: "axis" }));
  days.forEach((d, i) => {
    const h = Math.max(0, Math.min(24, d.hours)) * (height / 24);
    const bar = svg("rect", { x: i * (barWidth + gap), y: height - h, width: barWidth, height: h });
    const title = svg("title", {});
    title.textContent = `${d.date}: ${hoursText(d.hours)}`;
    bar.append(title);
    figure.append(bar);
  });
  return figure;
}

function render(box, answer) {
  const { lines, notice } = onHoursSummary(answer);
  const table = el("table", { className: "figures" }, [
    el("caption", { textContent: "Hours on per day" }),
    el("thead", {}, [el("tr", {}, [el("th", { scope: "col", textContent: "Day" }), el("th", { scope: "col", textContent: "Hours on" })])]),
    el(
      "tbody",
      {},
      answer.days.map((d) => el("tr", {}, [el("th", { scope: "row", textContent: d.date }), el("td", { textContent: String(d.hours) })])),
    ),
  ]);
  box.replaceChildren(
    el("h4", { textContent: "Hours on" }),
    chart(answer.days, lines[0] + " Daily figures in the table below."),
    ...lines.map((text) => el("p", { className: "on-hours-line", textContent: text })),
    ...(notice ? [el("p", { className: "notice", textContent: notice })] : []),
    el("details", {}, [el("summary", { textContent: "Hours per day as a table" }), table]),
  );
  if (notice) box.querySelector(".notice").setAttribute("role", "status");
}

async function load(box, url) {
  box.replaceChildren(el("p", { className: "hint", textContent: "Loading the hours on…" }));
  try {
    render(box, await fetchOnHours(url));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const text =
      err.kind === "session"
        ? "Your session has ended: log in again to see the hours on."
        : err.kind === "unreachable"
          ? "Cannot reach LAMPi: the hours on will load when you open the details again."
          : "The hours on could not be worked out.";
    box.replaceChildren(el("p", { className: "error", textContent: text }));
    delete box.dataset.loaded;
  }
}

// Loads a lamp's on-hours when its details open; `lampsUrl` is /api/v1/lamps.
export function watchOnHours(root, lampsUrl) {
  root.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (!(details instanceof HTMLDetailsElement) || !details.classList.contains("manage") || !details.open) return;
      const li = details.closest("li[data-device-id]");
      if (!li) return;
      let box = details.querySelector(":scope > .on-hours");
      if (!box) {
        box = el("section", { className: "on-hours" });
        box.setAttribute("aria-live", "polite");
        details.append(box);
      }
      if (box.dataset.loaded) return;
      box.dataset.loaded = "true";
      const offset = -new Date().getTimezoneOffset() * 60;
      load(box, `${lampsUrl}/${encodeURIComponent(li.dataset.deviceId)}/on-hours?timezone=${offset}`);
    },
    true,
  );
}
