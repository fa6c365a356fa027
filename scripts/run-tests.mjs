#!/usr/bin/env node
// `npm test`: runs the test files in three vitest processes at once, then merges their reports into one.
//
// Why three: the stand-up's files (projects standup, standup-faults) mostly wait on containers
// (start-up, restarts, injected faults) and must run one at a time against the one stand-up; the
// files that need the stand-up's images but no stand-up (project standup-images: the image-build test,
// the S3 stand-ins' test) wait minutes for the images on a fresh machine and then work in containers of
// their own; the other files (project main) are CPU-bound and run two at a time, longest first
// (tests/support/duration-sequencer.ts). vitest runs projects of
// different worker counts one group after another (sequence.groupOrder), so in one process the
// stand-up's tests would wait for the image-build test and all of them for the main files, instead of
// running alongside. Each process writes a blob report; `vitest --merge-reports` turns them into the
// report the caller asked for (its --reporter and --outputFile arguments), exactly as for vitest's own
// sharded runs.
//
// Docker: every process uses one dockerd (the stand-up, the image-build test, the runtime-model and
// S3 stand-in tests in project main). It is started here, before the processes, when nothing
// answers, and stopped at the end only if it was started here: a test file never stops it, since
// another process may be using it.
//
// The type-check (tsc --noEmit) runs alongside the processes; its errors fail the run at the end.
//
// Arguments: everything vitest run takes. --reporter/--outputFile go to the merged report; the rest
// (file filters, -t, --bail, …) to every process. With --project (or another mode this split does not
// serve) it is one plain `vitest run`.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const progressReporter = "./tests/support/progress-reporter.ts";
/** The processes of one run; SHARD_ENV names each one's own vitest cache (vitest.config.ts). */
const SHARDS = [
  // Behind the others on the CPU (nice 5, inherited by its workers and their servers): the image builds
  // and the stand-up are the run's critical chain, and main's files have the slack.
  { name: "main", projects: ["main", "main-shared"], niceness: 5 },
  { name: "images", projects: ["standup-images"] },
  { name: "standup", projects: ["standup", "standup-faults"] },
];
const SHARD_ENV = "JEWELRY_SHOP_TEST_SHARD";

const args = process.argv.slice(2);
const unsplittable = /^(--project|--merge-reports|--shard|--watch|-w$|--ui|--help|-h$|--version|-v$|--standalone|--list)/;

function run(argv, env = process.env) {
  return spawnSync(process.execPath, [vitest, ...argv], { cwd: root, stdio: "inherit", env }).status ?? 1;
}

const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
if (args.some((a) => unsplittable.test(a))) {
  const typeCheck = spawnSync(process.execPath, [tsc, "--noEmit"], { cwd: root, stdio: "inherit" }).status ?? 1;
  process.exit(typeCheck !== 0 ? typeCheck : run(["run", ...args]));
}

/** Splits the arguments into the merged report's (--reporter, --outputFile[.name]) and the rest. */
function splitArguments(argv) {
  const report = [];
  const rest = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const reportFlag = /^--(reporter|outputFile(\.[\w-]+)?)(=|$)/.exec(arg);
    if (!reportFlag) rest.push(arg);
    else if (reportFlag[3] === "=") report.push(arg);
    else {
      if (i + 1 >= argv.length) {
        process.stderr.write(`run-tests: ${arg} needs a value (e.g. ${arg}=json)\n`);
        process.exit(2);
      }
      report.push(`${arg}=${argv[i + 1]}`);
      i += 1;
    }
  }
  return { report: report.some((a) => a.startsWith("--reporter")) ? report : ["--reporter=default", ...report], rest };
}

/** Starts dockerd unless one answers (cli.ts --daemon); the pid it started, if it did. */
function ensureDockerDaemon() {
  if (process.env.JEWELRY_SHOP_SKIP_STANDUP === "1") return undefined;
  const daemon = spawnSync(process.execPath, ["--import", "tsx", "tests/standup/images/cli.ts", "--daemon"], {
    cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 20 * 60_000,
  });
  if (daemon.status !== 0) {
    // The Docker tests fail with the reason and how to skip them on purpose; the other tests still run.
    process.stderr.write("run-tests: no Docker engine (see above); the tests that need one will fail and say why\n");
    return undefined;
  }
  const { startedPid } = JSON.parse(daemon.stdout);
  if (startedPid) process.stdout.write(`run-tests: started dockerd (pid ${startedPid}) in ${Math.round((Date.now() - started) / 1000)} s\n`);
  return startedPid;
}

/** Stops the dockerd this run started (SIGTERM, bounded wait, then SIGKILL). */
async function stopDockerDaemon(pid) {
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  if (!alive()) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 150 && alive(); i += 1) await new Promise((resolve) => setTimeout(resolve, 200));
  if (alive()) process.kill(pid, "SIGKILL");
  process.stdout.write(`run-tests: stopped the dockerd this run started (pid ${pid})\n`);
}

const { report, rest } = splitArguments(args);
const blobs = mkdtempSync(join(tmpdir(), "jewelry-shop-test-blobs-"));
const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  // Forwarded, so each process runs its teardown (the stand-up removes what it created).
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

function runShard(shard) {
  const argv = [
    vitest, "run", ...shard.projects.flatMap((p) => ["--project", p]), "--passWithNoTests",
    `--reporter=${progressReporter}`, "--reporter=blob", `--outputFile.blob=${join(blobs, `${shard.name}.json`)}`, ...rest,
  ];
  const child = spawn(process.execPath, argv, { cwd: root, stdio: "inherit", env: { ...process.env, [SHARD_ENV]: shard.name } });
  // Set before vitest forks its workers (they inherit it); not permitted, it runs at the default.
  if (shard.niceness) try { setPriority(child.pid, shard.niceness); } catch { /* as is */ }
  children.add(child);
  return new Promise((done) => {
    child.on("exit", (code, signal) => {
      children.delete(child);
      done({ shard, code: code ?? (signal ? 1 : 0) });
    });
  });
}

/**
 * `tsc --noEmit` alongside the tests (it is half a minute of CPU that the stand-up's waiting processes
 * need not wait for); its errors are printed after the tests and fail the run.
 */
function typeCheck() {
  const child = spawn(process.execPath, [tsc, "--noEmit", "--pretty", "false"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  // Behind the tests on the CPU: it has minutes of slack, the stand-up's waits have none.
  try { setPriority(child.pid, 10); } catch { /* not permitted: it runs at the tests' priority */ }
  children.add(child);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((done) => child.on("exit", (code, signal) => {
    children.delete(child);
    done({ code: code ?? (signal ? 1 : 0), output });
  }));
}

const started = Date.now();
const startedDockerd = ensureDockerDaemon();
const typeChecked = typeCheck();
const results = await Promise.all(SHARDS.map(runShard));
const types = await typeChecked;
if (startedDockerd) await stopDockerDaemon(startedDockerd);
for (const { shard, code } of results) {
  process.stdout.write(`run-tests: ${shard.name} (${shard.projects.join(", ")}) exited ${code}\n`);
}
let status = Math.max(...results.map((r) => r.code));
if (existsSync(blobs) && readdirSync(blobs).length > 0) {
  process.stdout.write(`run-tests: all processes done in ${Math.round((Date.now() - started) / 1000)} s; the merged report follows\n`);
  status = Math.max(status, run(["run", `--merge-reports=${blobs}`, ...report]));
} else {
  process.stderr.write("run-tests: no process wrote a report (see the errors above)\n");
  status = Math.max(status, 1);
}
for (const { shard, code } of results) {
  if (code !== 0 && !existsSync(join(blobs, `${shard.name}.json`))) {
    process.stderr.write(`run-tests: ${shard.name} failed (exit ${code}) before it could report: its errors are above, not in the report\n`);
  }
}
if (types.code !== 0) {
  process.stderr.write(`run-tests: tsc --noEmit failed (exit ${types.code}):\n${types.output}`);
  status = Math.max(status, types.code);
} else {
  process.stdout.write("run-tests: tsc --noEmit passed\n");
}
rmSync(blobs, { recursive: true, force: true });
process.exit(status);
