// @ts-check
// After each full collection V8 lets the heap grow to up to several times what survived before it
// collects again; the offline check and the pack allocate fast and keep little (a 10x stack's check
// process held ~140 MB live at a peak RSS of ~730 MB, its pack ~380 MB). A growth of 20% keeps each
// heap near what it holds, at the cost of more frequent (short) full collections. Used by the pack's
// entry (start.js) and by `npm run check` (check/start.cjs); both are batch processes with no latency
// to protect. An unknown flag (another V8) is reported on stderr and changes nothing.
"use strict";

function limitHeapGrowth() {
  require("node:v8").setFlagsFromString("--heap-growing-percent=20");
}

module.exports = { limitHeapGrowth };
