// Writes a gzip (.gz) and a brotli (.br) copy beside every text file of the static
// directory, at the highest levels since this runs once per build, for lampi-cloud
// to send to browsers that accept them. A copy that would not be smaller is not
// written, and copies whose file is gone are removed. Touches <stamp> when done.
//
//   node tools/precompress.mjs <static dir> <stamp>
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

// Kept in step with the compressible types of src/cloud/pages/static_files.cpp.
const TEXT = /\.(js|mjs|css|svg|webmanifest|json|html|txt)$/;
const [dir, stamp] = process.argv.slice(2);

const encoders = {
  ".gz": (bytes) => zlib.gzipSync(bytes, { level: 9 }),
  ".br": (bytes) =>
    zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
};

const files = fs.readdirSync(dir);
for (const name of files) {
  const suffix = path.extname(name);
  if (suffix in encoders && !files.includes(name.slice(0, -suffix.length))) fs.rmSync(path.join(dir, name));
}
for (const name of files) {
  if (!TEXT.test(name)) continue;
  const source = path.join(dir, name);
  const modified = fs.statSync(source).mtimeMs;
  const bytes = fs.readFileSync(source);
  for (const [suffix, encode] of Object.entries(encoders)) {
    const target = source + suffix;
    if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= modified) continue;
    const packed = encode(bytes);
    if (packed.length < bytes.length) fs.writeFileSync(target, packed);
    else fs.rmSync(target, { force: true });
  }
}
fs.writeFileSync(stamp, "");
