// @ts-check
// The V8 flags of the check's process and the pack's, set first thing in each.
//
// When V8 compiles a hot function with its optimizing compiler (TurboFan). A check is a short run:
// with V8's default budget the check's process sent some 240 functions to TurboFan for ~0.77 s of
// compiler time in a 1.3 s run of the production stack, on the same two cores as the program and the
// pack, and most of that code arrived too late to pay back. A function now runs about seven times
// longer in the interpreter and the baseline compiler before it is optimized. Measured on 1 December
// (bench/check-once.ts, this against the commit before, runs interleaved, medians of 8 and 4): the
// production stack's check 1.31 → 1.10 s, 2.26 → 1.81 CPU-s; the 10x stack's 4.37 → 4.08 s, 7.34 →
// 6.42 CPU-s. Turning TurboFan off instead was as fast on the stack but slowed the pack's analysis
// of the 10x stack by a third; budgets of 300,000 and 800,000 measured within the noise of this one.
// Used by the pack's entry (start.js, so `pulumi preview --policy-pack` gets it too) and by `npm run
// check` (check/start.cjs). A budget counts bytecode executed between tier-up checks; V8's default
// is 67,584.
//
// `--allow-natives-syntax` is what @pulumi/pulumi sets on load (runtime/closure/v8.js) in both
// processes. Set here first, it changes nothing for the SDK, but the flags stay the same from start
// to exit: V8 accepts a module's cached code (code-cache.js, written at exit) only under the flags
// it was made with.
//
// `--expose-gc` gives a context made after it V8's gc(), for the collections of policies/heap-watch.js
// (the pack's, check/program-memory.ts the check's); the main context gets no `gc` global. Set here,
// with the others, for both processes and both ways the pack starts.
"use strict";

const INTERRUPT_BUDGET = 500_000;

/** Sets this process's flags; V8 reads the budget on every budget reset, so it applies from here on. */
function setV8Flags() {
  const v8 = require("node:v8");
  v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  v8.setFlagsFromString("--allow-natives-syntax");
  v8.setFlagsFromString("--expose-gc");
}

module.exports = { INTERRUPT_BUDGET, setV8Flags };
