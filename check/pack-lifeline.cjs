// @ts-check
// Preloaded into the policy pack the offline check starts (`node --require`): the pack's stdin is a
// pipe from the check, which the kernel closes however the check ends (Ctrl-C, SIGKILL, a test
// worker torn down). The pack runs in a process group of its own (check/policy-pack-process.ts), so
// without this a check that did not end normally left its pack serving, orphaned, for good.
"use strict";
const end = () => process.exit(0);
process.stdin.on("end", end);
process.stdin.on("error", end);
process.stdin.resume();
