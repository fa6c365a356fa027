// @ts-check
// V8's gc() for the check's process and the pack's, and the pack's collections while it judges the
// resources one by one.
//
// Each Analyze call leaves garbage that lives long enough to be promoted (the decoded resource, the
// policies' models of it), and V8, which sized the pack's old generation at its last full collection,
// takes fresh space for it rather than collect: at ten times the production stack the pack grew from
// ~85 to ~145 MB while the program ran, for ~25 MB live. It peaks with the check's process there (the
// program's end), so once the old generation has grown 16 MB past where it stood, the pack collects:
// at 10x one or two collections of ~25 MB live during the Analyze calls and one once AnalyzeStack is
// answered; the production stack's pack grows less than that and is never collected. Looked at on a
// timer, between calls: AnalyzeStack, which the pack answers in one turn, is not interrupted.
"use strict";

const v8 = require("node:v8");
const vm = require("node:vm");

/** @type {{ readonly gc: (() => void) | undefined } | undefined} */
let lookedUp;

/**
 * V8's gc(), which --expose-gc (policies/v8-flags.js) gives a context made after the flag was set;
 * undefined without the flag. Looked up once, when first asked: a new context costs 1–2 ms.
 * @returns {(() => void) | undefined}
 */
function collector() {
  if (!lookedUp) {
    const gc = vm.runInNewContext("typeof gc === 'function' ? gc : undefined");
    lookedUp = { gc: typeof gc === "function" ? gc : undefined };
  }
  return lookedUp.gc;
}

/** The old generation's bytes in use: what a full collection can free, young objects aside. */
function oldGenerationUsed() {
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === "old_space" || space.space_name === "large_object_space") used += space.space_used_size;
  }
  return used;
}

/** How far the old generation may grow before the pack collects. */
const OLD_GENERATION_GROWTH = 16 * 2 ** 20;
/** How often it is looked at (a look costs some microseconds). */
const LOOK_EVERY_MS = 50;

/**
 * What a collection watches, the check's (check/program-memory.ts) and the pack's.
 * @typedef {object} GrowthWatch
 * @property {() => number} bytes what grows, in bytes (the check: V8's heap; the pack: its old generation in use)
 * @property {() => void} collect a full collection
 */

/**
 * The look both use: collects once what `watch` reads has grown `growth` bytes past where it stood
 * (first read, last collected, or lower since: V8 collected by itself). The look takes the reading
 * when its caller has just made one; it returns whether it collected.
 * @param {GrowthWatch} watch
 * @param {number} growth
 * @returns {(now?: number) => boolean}
 */
function collectOnceGrown(watch, growth) {
  /** @type {number | undefined} */
  let stoodAt;
  return (now = watch.bytes()) => {
    if (stoodAt === undefined || now < stoodAt) {
      stoodAt = now;
      return false;
    }
    if (now < stoodAt + growth) return false;
    watch.collect();
    stoodAt = watch.bytes();
    return true;
  };
}

/**
 * Watches this process's old generation on a timer that does not keep it alive. V8's gc() is looked
 * up at the first collection, not on the pack's start; without it (the flag unset) nothing is collected.
 */
function watchPackHeap() {
  const look = collectOnceGrown({ bytes: oldGenerationUsed, collect: () => collector()?.() }, OLD_GENERATION_GROWTH);
  setInterval(look, LOOK_EVERY_MS).unref();
}

module.exports = { LOOK_EVERY_MS, OLD_GENERATION_GROWTH, collectOnceGrown, collector, watchPackHeap };
