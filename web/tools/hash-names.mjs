// Copies each named file of the static directory to a name carrying its content
// hash (lampi.js -> lampi.<10 hex digits>.js) and writes assets.json, the map from
// plain to hashed names that lampi-cloud reads to link its pages to them. A hashed
// name never changes content, so browsers may keep it for ever (lampi-cloud serves
// such names as immutable). Earlier hashed copies are removed, so the directory,
// and what is installed from it, holds one version.
//
//   node tools/hash-names.mjs <static dir> <assets.json> <name>...
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const [dir, manifest, ...names] = process.argv.slice(2);
const assets = {};
for (const name of names) {
  const bytes = fs.readFileSync(path.join(dir, name));
  const hash = crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 10);
  const ext = path.extname(name);
  const stem = name.slice(0, -ext.length);
  const hashed = `${stem}.${hash}${ext}`;
  const earlier = new RegExp(`^${stem.replace(/[.]/g, "\\.")}\\.[0-9a-f]{10}\\${ext}(\\.gz|\\.br)?$`);
  for (const old of fs.readdirSync(dir)) if (earlier.test(old) && !old.startsWith(hashed)) fs.rmSync(path.join(dir, old));
  fs.writeFileSync(path.join(dir, hashed), bytes);
  assets[name] = hashed;
}
fs.writeFileSync(manifest, JSON.stringify(assets, null, 2) + "\n");
