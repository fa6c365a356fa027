#!/usr/bin/env node
// Writes tests/support/file-durations.json, the file durations a fresh clone orders its test files by
// (tests/support/duration-sequencer.ts), from the results caches of this clone's last `npm test`
// (node_modules/.vite/shard-*/vitest/*/results.json, one per process of scripts/run-tests.mjs).
// Run it after a full `npm test` when files were added, renamed or became much slower, and commit the
// result: only the order depends on it, never a verdict. With a path, it reads that clone's caches
// instead (e.g. a CI run's clone: `node scripts/record-test-durations.mjs /tmp/ci-XXXX/repo`).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [from, ...extra] = process.argv.slice(2);
if (extra.length > 0 || (from !== undefined && !existsSync(join(from, "node_modules", ".vite")))) {
  process.stderr.write(`record-test-durations: usage: record-test-durations.mjs [clone]; ${extra.length > 0 ? "one clone at most" : `${from} has no node_modules/.vite: give the root of a clone that ran \`npm test\``}\n`);
  process.exit(2);
}
const viteCache = join(from ?? root, "node_modules", ".vite");
const target = join(root, "tests", "support", "file-durations.json");

/** Every results.json under node_modules/.vite, oldest first, so a later run's duration wins. */
function resultFiles() {
  if (!existsSync(viteCache)) return [];
  const found = [];
  for (const cacheDir of readdirSync(viteCache)) {
    const vitestDir = join(viteCache, cacheDir, "vitest");
    if (!existsSync(vitestDir)) continue;
    for (const hash of readdirSync(vitestDir)) {
      const file = join(vitestDir, hash, "results.json");
      if (existsSync(file)) found.push(file);
    }
  }
  return found.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

const durations = new Map();
for (const file of resultFiles()) {
  const { results } = JSON.parse(readFileSync(file, "utf8"));
  for (const [key, { duration }] of results) {
    const path = key.slice(key.indexOf(":") + 1);
    // A file that no longer exists, or that did not run (duration 0), keeps out.
    if (duration > 0 && existsSync(join(root, path))) durations.set(key, Math.max(0.1, Math.round(duration / 100) / 10));
  }
}
if (durations.size === 0) {
  process.stderr.write("record-test-durations: no results cache under node_modules/.vite: run `npm test` first\n");
  process.exit(1);
}
const files = Object.fromEntries([...durations].sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(target, `${JSON.stringify({
  about: "Seconds per test file (project:path) in one full `npm test`; a fresh clone runs the files of projects main and main-shared longest first by these. Written by scripts/record-test-durations.mjs.",
  files,
}, null, 2)}\n`);
process.stdout.write(`record-test-durations: ${durations.size} files written to ${target}\n`);
