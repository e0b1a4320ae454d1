// ESLint's recommended rules for the control page and its unit tests.
//
// The source tree has no node_modules (npm installs into the build tree), so the
// shared configs are loaded from LAMPI_NODE_MODULES when it is set.
import path from "node:path";
import { createRequire } from "node:module";

const modules = process.env.LAMPI_NODE_MODULES;
const require = createRequire(modules ? path.join(modules, "..", "package.json") : import.meta.url);
const js = require("@eslint/js");
const globals = require("globals");

export default [
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
  },
  {
    // A classic script in the service worker's global scope, not a module.
    files: ["src/sw.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: globals.serviceworker },
  },
  {
    files: ["test/**/*.mjs", "tools/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
  },
];
