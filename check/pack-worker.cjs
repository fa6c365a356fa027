// @ts-check
// The entry of the check's pack thread (check/pack-channel.ts): it compiles the check's TypeScript as
// `npm run check` does (check/start.cjs registers the compile cache in this thread too), whichever way
// the main thread was started.
"use strict";
require("./start.cjs");
require("./pack-worker");
