// Which vitest project each test file belongs to (vitest.config.ts), shared with the test that keeps
// project main-shared free of files that must not share a module graph (tests/unit/test-projects.test.ts).

/** The stand-up's files: ONE stand-up of the whole stack, one file at a time. */
export const STANDUP_TESTS = "tests/standup/*.test.ts";
/**
 * The files that need the stand-up's images but not the stand-up: on a fresh machine they wait minutes
 * for the images to be built, which in project main would hold one of its two CPU-bound workers idle.
 */
export const IMAGE_TESTS = ["tests/standup/images/image-build.test.ts", "tests/standup/cloud/s3-standin.test.ts"];
/** The stand-up's files that restart and kill containers or inject faults: last. */
export const FAULT_TESTS = ["tests/standup/faults.test.ts", "tests/standup/verify-faults.test.ts"];
/**
 * The files that need a module graph of their own (vitest's per-file isolation): they load the runner
 * of the program under Pulumi's mocks (check/run-program.ts), whose runtime state is process-wide and
 * whose modules register resources only when first required, or set the mocks themselves
 * (tests/unit/test-projects.test.ts finds them by their imports). The rest of project main
 * shares one module graph per worker (project main-shared): vitest's isolation loaded @pulumi/pulumi,
 * the providers and the pack's modules afresh for every file, about 2.6 CPU-seconds a file.
 */
export const ISOLATED_TESTS = [
  "tests/program/**/*.test.ts", "tests/check/**/*.test.ts", "tests/standup/program/*.test.ts", "tests/b2/**/*.test.ts",
  "tests/servers/docker-runtime.test.ts", "tests/servers/declared-database.test.ts", "tests/standup/images/image-map.test.ts",
  "tests/verify/intent.test.ts", "tests/verify/edge-nginx.test.ts", "tests/verify/verify-units.test.ts",
];
export const MAIN_SHARED = { include: ["tests/**/*.test.ts"], exclude: [STANDUP_TESTS, ...IMAGE_TESTS, ...ISOLATED_TESTS] };
