// @ts-check
// Whether a checkout's npm dependencies need installing: node_modules missing, or older than the lock
// file. Shared by scripts/ensure-deps.mjs (which installs them) and check/start.cjs (which runs that
// only when this says so, so that a check of an installed checkout starts one Node process, not two).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** @param {string} root the checkout's folder */
function npmDependenciesStale(root) {
  const installed = path.join(root, "node_modules", ".package-lock.json");
  if (!fs.existsSync(installed)) return true;
  return fs.statSync(installed).mtimeMs < fs.statSync(path.join(root, "package-lock.json")).mtimeMs;
}

module.exports = { npmDependenciesStale };
