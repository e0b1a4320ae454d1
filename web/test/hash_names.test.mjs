// tools/hash-names.mjs: each named file gets a copy under a name carrying its
// content hash (mqtt.min.js -> mqtt.min.<10 hex>.js), listed in assets.json; a
// changed file gets a new name and its earlier copies (with their .gz and .br)
// go, so a browser that keeps a hashed name for ever never keeps stale bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const tool = fileURLToPath(new URL("../tools/hash-names.mjs", import.meta.url));

function hashNames(dir, ...names) {
  const manifest = path.join(dir, "assets.json");
  execFileSync(process.execPath, [tool, dir, manifest, ...names]);
  return JSON.parse(fs.readFileSync(manifest, "utf8"));
}

test("mqtt.js gets a hashed name beside the page's script, and a changed file a new one", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hash-names-"));
  try {
    fs.writeFileSync(path.join(dir, "lampi.js"), "page();\n");
    fs.writeFileSync(path.join(dir, "mqtt.min.js"), "mqtt v1\n");
    const first = hashNames(dir, "lampi.js", "mqtt.min.js");
    assert.match(first["mqtt.min.js"], /^mqtt\.min\.[0-9a-f]{10}\.js$/);
    assert.match(first["lampi.js"], /^lampi\.[0-9a-f]{10}\.js$/);
    assert.equal(fs.readFileSync(path.join(dir, first["mqtt.min.js"]), "utf8"), "mqtt v1\n");
    fs.writeFileSync(path.join(dir, first["mqtt.min.js"] + ".br"), "compressed");

    // The same bytes again: the same name.
    assert.deepEqual(hashNames(dir, "lampi.js", "mqtt.min.js"), first);

    fs.writeFileSync(path.join(dir, "mqtt.min.js"), "mqtt v2\n");
    const second = hashNames(dir, "lampi.js", "mqtt.min.js");
    assert.notEqual(second["mqtt.min.js"], first["mqtt.min.js"], "a changed file gets a new name");
    assert.equal(second["lampi.js"], first["lampi.js"], "an unchanged one keeps its name");
    assert.equal(fs.readFileSync(path.join(dir, second["mqtt.min.js"]), "utf8"), "mqtt v2\n");
    const left = fs.readdirSync(dir).filter((f) => f.startsWith("mqtt.min.")).sort();
    assert.deepEqual(left, [second["mqtt.min.js"], "mqtt.min.js"], "the earlier copy and its .br are gone");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
