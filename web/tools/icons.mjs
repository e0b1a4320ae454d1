// The page's icons, drawn from one description: icon.svg (the favicon) and the
// PNGs the web app manifest and iOS ask for. Same input, same bytes: the PNGs are
// rasterised here (4x4 samples per pixel) and deflated by Node's zlib, so the
// build needs nothing beyond node.
//
//   node tools/icons.mjs <output directory>
//
// The lamp (a bulb over its base) sits inside the middle 80 % circle, the part of
// a maskable icon every launcher keeps.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

// In units of the icon's side. The accent and the page colour of lampi.css.
const ACCENT = [0x9c, 0x52, 0x0f];
const GLOW = [0xff, 0xe0, 0xa8];
const BASE = [0xf6, 0xf5, 0xf2];
const CORNER = 0.18; // the rounded square of the ordinary (not maskable) icon
const BULB = { cx: 0.5, cy: 0.42, r: 0.2 };
const FOOT = { x0: 0.41, y0: 0.65, x1: 0.59, y1: 0.75, r: 0.03 };

function inRoundRect(x, y, { x0, y0, x1, y1, r }) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return dx * dx + dy * dy <= r * r;
}

function inCircle(x, y, { cx, cy, r }) {
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

// The colour at a point, or null where the icon is transparent.
function colourAt(x, y, maskable) {
  if (!maskable && !inRoundRect(x, y, { x0: 0, y0: 0, x1: 1, y1: 1, r: CORNER })) return null;
  if (inCircle(x, y, BULB)) return GLOW;
  if (inRoundRect(x, y, FOOT)) return BASE;
  return ACCENT;
}

function svg() {
  const s = (v) => +(v * 512).toFixed(2);
  const hex = (c) => "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">` +
    `<rect width="512" height="512" rx="${s(CORNER)}" fill="${hex(ACCENT)}"/>` +
    `<circle cx="${s(BULB.cx)}" cy="${s(BULB.cy)}" r="${s(BULB.r)}" fill="${hex(GLOW)}"/>` +
    `<rect x="${s(FOOT.x0)}" y="${s(FOOT.y0)}" width="${s(FOOT.x1 - FOOT.x0)}" height="${s(FOOT.y1 - FOOT.y0)}" ` +
    `rx="${s(FOOT.r)}" fill="${hex(BASE)}"/></svg>\n`
  );
}

// RGBA rows, each led by PNG's filter byte 0.
function raster(size, maskable) {
  const n = 4;
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py += 1) {
    const row = py * (size * 4 + 1);
    for (let px = 0; px < size; px += 1) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy += 1) {
        for (let sx = 0; sx < n; sx += 1) {
          const c = colourAt((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, maskable);
          if (!c) continue;
          sum[0] += c[0];
          sum[1] += c[1];
          sum[2] += c[2];
          sum[3] += 255;
        }
      }
      const covered = sum[3] / 255;
      const at = row + 1 + px * 4;
      for (let i = 0; i < 3; i += 1) rows[at + i] = covered ? Math.round(sum[i] / covered) : 0;
      rows[at + 3] = Math.round(sum[3] / (n * n));
    }
  }
  return rows;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export function png(size, maskable) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(raster(size, maskable), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// name -> [size, maskable]; the names the manifest (src/manifest.webmanifest) and the page's head use.
export const ICONS = {
  "icon-192.png": [192, false],
  "icon-512.png": [512, false],
  "icon-maskable-512.png": [512, true],
  // iOS rounds the corners itself and shows transparency as black.
  "apple-touch-icon.png": [180, true],
};

const out = process.argv[2];
if (out) {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "icon.svg"), svg());
  for (const [name, [size, maskable]] of Object.entries(ICONS)) fs.writeFileSync(path.join(out, name), png(size, maskable));
}
