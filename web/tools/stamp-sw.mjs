// Writes the service worker with its shell version: the first 16 hex digits of
// the SHA-256 of the shell's files, so any change to them makes a new worker
// (and a new cache) and nothing else does. The shell's files named in assets.json
// (web/tools/hash-names.mjs) are listed under their hashed names, the ones the
// pages load.
//
//   node tools/stamp-sw.mjs <src/sw.js> <output sw.js> <assets.json> <shell file>...
import crypto from "node:crypto";
import fs from "node:fs";

const [source, output, assets, ...files] = process.argv.slice(2);
const hash = crypto.createHash("sha256");
hash.update(fs.readFileSync(source));
for (const file of files) hash.update(fs.readFileSync(file));
const version = hash.digest("hex").slice(0, 16);
let text = fs.readFileSync(source, "utf8");
if (!text.includes("__SHELL_VERSION__")) throw new Error(`${source} has no __SHELL_VERSION__ to stamp`);
text = text.replace("__SHELL_VERSION__", version);
for (const [plain, hashed] of Object.entries(JSON.parse(fs.readFileSync(assets, "utf8")))) {
  const listed = JSON.stringify("/static/" + plain);
  if (!text.includes(listed)) throw new Error(`${source} does not list ${listed}`);
  text = text.replace(listed, JSON.stringify("/static/" + hashed));
}
fs.writeFileSync(output, text);
