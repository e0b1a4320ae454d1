// Writes the service worker with its shell version: the first 16 hex digits of
// the SHA-256 of the shell's files, so any change to them makes a new worker
// (and a new cache) and nothing else does.
//
//   node tools/stamp-sw.mjs <src/sw.js> <output sw.js> <shell file>...
import crypto from "node:crypto";
import fs from "node:fs";

const [source, output, ...files] = process.argv.slice(2);
const hash = crypto.createHash("sha256");
hash.update(fs.readFileSync(source));
for (const file of files) hash.update(fs.readFileSync(file));
const version = hash.digest("hex").slice(0, 16);
const text = fs.readFileSync(source, "utf8");
if (!text.includes("__SHELL_VERSION__")) throw new Error(`${source} has no __SHELL_VERSION__ to stamp`);
fs.writeFileSync(output, text.replace("__SHELL_VERSION__", version));
