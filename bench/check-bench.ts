// `npm run bench`: what the offline check costs, measured side by side with what it is judged
// against, in one run, each pair interleaved so that both see the same machine load. Not a test: it
// prints a table and fails nothing.
//
//   npm run bench -- [--runs N] [--root DIR] [--stack NAME] [--repo DIR]
//
// - `npm run check`, the whole command as users type it (npm's own start included), against a bare
//   `node -e 'require("@pulumi/pulumi")'`: wall clock, CPU (user+sys of the whole process tree) and
//   peak RSS (the sum over the tree, sampled every 50 ms).
// - The check of a stack with ten times the resources against the check of the stack itself, each
//   a whole process (bench/check-once.ts, the check without npm), with the same three figures.
//   The 10x stack is the program's entry run ten times by a wrapper over modules loaded once, as a
//   stack declaring ten times the resources runs: its components, its dynamic providers (serialized
//   once per provider object) and the SDK are loaded once. Each later copy's resources are renamed
//   "<name>-copy<n>" so the URNs stay unique. The figure of earlier sessions, every module of the
//   root re-executed ten times (each module compiled and each dynamic provider serialized ten times,
//   which no real stack does), is printed beside it.
// - The floor under both ratios: the program alone, run as the check runs it under the SDK's mocks
//   but with no pack and no analysis (bench/program-once.ts), for the stack and for 10x. Its ratio to
//   the SDK load and its 10x / 1x ratio are what the check would reach if judging cost nothing.
// - The phases of those runs (the report's timings) and the pack's start as the Pulumi CLI starts it
//   (`node run-policy-pack <engine> .` in the pack's folder, to its port line): as shipped, and the
//   same pack required as TypeScript through the ts-node that run-policy-pack registers (with
//   type-checking, ts-node's cache warm, and cold as on every CI machine).
// --repo measures another checkout of this project (e.g. an older commit) with this benchmark.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const benchRoot = path.resolve(__dirname, "..");
const { values } = parseArgs({
  options: {
    root: { type: "string" },
    stack: { type: "string", default: "production" },
    runs: { type: "string", default: "3" },
    repo: { type: "string" },
  },
});
const repo = path.resolve(values.repo ?? benchRoot);
const root = path.resolve(values.root ?? (fs.existsSync(path.join(repo, "Pulumi.yaml")) ? repo : path.join(repo, "tests/fixtures/check-demo")));
const packDir = path.join(root, "policies");
const stack = values.stack;
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`);
const workDir = path.join(benchRoot, ".check-out", "bench");
fs.mkdirSync(workDir, { recursive: true });

const clockTicks = 100; // USER_HZ on Linux
const pageKb = 4;

interface Sample {
  readonly wallMs: number;
  /** user+sys of the process and every descendant it waited for. */
  readonly cpuMs: number;
  /** The largest sum of RSS over the process tree seen while it ran. */
  readonly peakRssMb: number;
  /** Each process's RSS at that peak, the process itself first. */
  readonly peakByProcess: readonly ProcessRss[];
  readonly stdout: string;
}

interface ProcessRss {
  /** "pack" for a policy pack's process, "check" for a check's, else the program's name. */
  readonly name: string;
  readonly mb: number;
}

/** CPU of the children this process has waited for, in ms (/proc/self/stat cutime + cstime). */
function childrenCpuMs(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
}

/** RSS of `pid` and each of its descendants, `pid` first, in MB. */
function treeRss(pid: number): ProcessRss[] {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ");
      const parent = Number(stat[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      rss.set(Number(entry), Number(stat[21]) * pageKb);
    } catch {
      // Gone while we looked.
    }
  }
  const tree: ProcessRss[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const kb = rss.get(next);
    if (kb !== undefined) tree.push({ name: processName(next), mb: kb / 1024 });
    pending.push(...(children.get(next) ?? []));
  }
  return tree;
}

function processName(pid: number): string {
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (commandLine.includes("run-policy-pack")) return "pack";
    if (/check-once\.ts|check\/start\.cjs/.test(commandLine)) return "check";
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "gone";
  }
}

const sumMb = (tree: readonly ProcessRss[]) => tree.reduce((sum, p) => sum + p.mb, 0);
const treeRssMb = (pid: number) => sumMb(treeRss(pid));

function measure(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuMs();
    const started = process.hrtime.bigint();
    const child = spawn(command, [...args], { cwd: options.cwd ?? repo, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peakByProcess: ProcessRss[] = [];
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const sampler = setInterval(() => {
      const tree = child.pid ? treeRss(child.pid) : [];
      if (sumMb(tree) > sumMb(peakByProcess)) peakByProcess = tree;
    }, 50);
    child.once("error", reject);
    child.once("close", (code) => {
      clearInterval(sampler);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && code !== 1) reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr}`));
      else resolve({ wallMs, cpuMs: childrenCpuMs() - cpuBefore, peakRssMb: sumMb(peakByProcess), peakByProcess, stdout });
    });
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medianOf = (samples: readonly Pick<Sample, "wallMs" | "cpuMs" | "peakRssMb">[]) => ({
  wallMs: median(samples.map((s) => s.wallMs)),
  cpuMs: median(samples.map((s) => s.cpuMs)),
  peakRssMb: median(samples.map((s) => s.peakRssMb)),
});

/** Who held the median run's peak: each process's RSS at that moment. */
function peakHolders(samples: readonly Sample[]): string {
  const peak = median(samples.map((s) => s.peakRssMb));
  const run = samples.find((s) => s.peakRssMb === peak);
  return (run?.peakByProcess ?? []).map((p) => `${p.name} ${p.mb.toFixed(0)} MB`).join(" + ");
}

/**
 * A project folder whose program runs the real one ten times: its entry only ("entry"), or every
 * module of the root ("modules", the earlier sessions' 10x stack).
 */
function tenfoldProject(reload: "entry" | "modules"): string {
  const dir = path.join(workDir, reload === "entry" ? "tenfold-entry" : "tenfold");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(root).filter((f) => /^Pulumi\..*ya?ml$/.test(f))) {
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  const pulumiYaml = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8").replace(/^main:.*$/m, "");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${pulumiYaml}\nmain: tenfold.js\n`);
  fs.writeFileSync(
    path.join(dir, "tenfold.js"),
    `const root = ${JSON.stringify(root)};
const entry = require.resolve(root);
const own = ${reload === "entry" ? "(id) => id === entry" : '(id) => id.startsWith(root) && !id.includes("node_modules")'};
let exported;
for (let i = 0; i < 10; i++) {
  for (const id of Object.keys(require.cache)) if (own(id)) delete require.cache[id];
  exported = require(entry);
}
module.exports = exported;
`,
  );
  return dir;
}

/** How the checkout runs TypeScript in one process: its compile cache, or tsx before it had one. */
const launcher = fs.existsSync(path.join(repo, "check/start.cjs"))
  ? ["-r", path.join(repo, "check/start.cjs")]
  : ["--require", path.join(repo, "node_modules/tsx/dist/preflight.cjs"), "--import", `file://${path.join(repo, "node_modules/tsx/dist/loader.mjs")}`];

interface CheckTimings {
  readonly resources: number;
  readonly bootMs: number;
  readonly programMs: number;
  readonly packStartMs: number;
  readonly analyzeMs: number;
  readonly totalMs: number;
}

const checkOnce = (projectRoot: string, duplicateUrns: "fail" | "suffix") =>
  measure(process.execPath, [...launcher, path.join(benchRoot, "bench/check-once.ts"), repo, projectRoot, stack, packDir, duplicateUrns]);
const programOnce = (projectRoot: string, duplicateUrns: "fail" | "suffix") =>
  measure(process.execPath, [...launcher, path.join(benchRoot, "bench/program-once.ts"), repo, projectRoot, stack, duplicateUrns]);
const timingsOf = (s: Sample) => JSON.parse(s.stdout.trim().split("\n").pop() ?? "{}") as CheckTimings;

/**
 * Spawn to port line of the pack started as the CLI starts it (or as the check starts it, its code
 * cache preloaded), with the pack's CPU and RSS at that moment.
 */
async function packStart(dir: string, extraEnv: Record<string, string> = {}, preload: "check" | "cli" = "cli") {
  const { startPolicyPack } = require(path.join(repo, "check/policy-pack-process")) as typeof import("../check/policy-pack-process");
  const { readStackConfig } = require(path.join(repo, "check/stack-config")) as typeof import("../check/stack-config");
  const { project, config } = readStackConfig(root, stack);
  const pack = await startPolicyPack(dir, { project, stack, organization: "organization", config, extraEnv }, preload);
  const stat = fs.readFileSync(`/proc/${pack.pid}/stat`, "utf8").split(") ")[1].split(" ");
  const sample = { wallMs: pack.startMs, cpuMs: ((Number(stat[11]) + Number(stat[12])) * 1000) / clockTicks, peakRssMb: treeRssMb(pack.pid) };
  await pack.stop();
  return sample;
}

/** The pack's own sources as a pack whose main is index.ts: run-policy-pack's ts-node compiles them, type-checking. */
function tsNodePack(): string {
  const dir = path.join(workDir, "ts-node-pack");
  fs.mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: manifest.name, version: manifest.version, main: path.relative(dir, path.join(packDir, "index.ts")) }));
  for (const file of ["PulumiPolicy.yaml", "tsconfig.json"]) fs.copyFileSync(path.join(packDir, file), path.join(dir, file));
  return dir;
}

const fmt = (s: { wallMs: number; cpuMs: number; peakRssMb: number }) =>
  `${(s.wallMs / 1000).toFixed(2).padStart(7)} s ${(s.cpuMs / 1000).toFixed(2).padStart(7)} s ${s.peakRssMb.toFixed(0).padStart(6)} MB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0];
  const flags = [...(root === repo ? [] : ["--root", root, "--policy-pack", packDir]), ...(stack === "production" ? [] : ["--stack", stack])];
  const checkArgs = ["run", "check", ...(flags.length > 0 ? ["--", ...flags] : [])];
  // Warm-up: the compile caches (or tsx's and ts-node's), the OS file cache.
  await measure("npm", checkArgs);
  const checks: Sample[] = [];
  const loads: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    checks.push(await measure("npm", checkArgs));
    loads.push(await measure(process.execPath, ["-e", 'require("@pulumi/pulumi")']));
  }

  const tenfoldDir = tenfoldProject("entry");
  const reloadedDir = tenfoldProject("modules");
  const single: Sample[] = [];
  const tenfold: Sample[] = [];
  const reloaded: Sample[] = [];
  const programAlone: Sample[] = [];
  const programAloneTenfold: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    single.push(await checkOnce(root, "fail"));
    tenfold.push(await checkOnce(tenfoldDir, "suffix"));
    reloaded.push(await checkOnce(reloadedDir, "suffix"));
    programAlone.push(await programOnce(root, "fail"));
    programAloneTenfold.push(await programOnce(tenfoldDir, "suffix"));
  }

  const shipped: Awaited<ReturnType<typeof packStart>>[] = [];
  const asTheCheckStartsIt: typeof shipped = [];
  const tsNodeWarm: typeof shipped = [];
  const tsNodeCold: typeof shipped = [];
  const tsNodeDir = tsNodePack();
  for (let i = 0; i < runs; i++) {
    shipped.push(await packStart(packDir));
    asTheCheckStartsIt.push(await packStart(packDir, {}, "check"));
    tsNodeWarm.push(await packStart(tsNodeDir, { TS_NODE_CACHE_DIRECTORY: path.join(workDir, "ts-node-cache") }));
    const cold = fs.mkdtempSync(path.join(workDir, "ts-node-cold-"));
    tsNodeCold.push(await packStart(tsNodeDir, { TS_NODE_CACHE_DIRECTORY: cold }));
    fs.rmSync(cold, { recursive: true, force: true });
  }

  const check = medianOf(checks);
  const load = medianOf(loads);
  const one = medianOf(single);
  const ten = medianOf(tenfold);
  const tenReloaded = medianOf(reloaded);
  const floor = medianOf(programAlone);
  const floorTen = medianOf(programAloneTenfold);
  const phases = (samples: Sample[]) => {
    const t = samples.map(timingsOf);
    const m = (k: keyof CheckTimings) => median(t.map((x) => x[k]));
    return `${m("resources")} resources: boot ${m("bootMs")} ms, pack start ${m("packStartMs")} ms (concurrent), program ${m("programMs")} ms, analysis after the program ${m("analyzeMs")} ms, check ${m("totalMs")} ms`;
  };
  const rows: [string, string][] = [
    ["", "   wall      cpu     peak RSS"],
    [`npm run check (${path.relative(repo, root) || "."}, ${stack}), median of ${runs}`, fmt(check)],
    [`node -e 'require("@pulumi/pulumi")', median of ${runs}`, fmt(load)],
    ["ratio check / SDK load (target <= 2.0x wall)", `${ratio(check.wallMs, load.wallMs)} wall, ${ratio(check.cpuMs, load.cpuMs)} cpu`],
    [`check process, the stack, median of ${single.length}`, fmt(one)],
    [`check process, 10x the resources (entry run 10 times), median of ${tenfold.length}`, fmt(ten)],
    ["ratio 10x / 1x (target <= 2.0x wall)", `${ratio(ten.wallMs, one.wallMs)} wall, ${ratio(ten.cpuMs, one.cpuMs)} cpu`],
    ["10x peak RSS of all processes (target <= 500 MB)", `${ten.peakRssMb.toFixed(0)} MB (${peakHolders(tenfold)})`],
    [`  earlier 10x, every module reloaded 10 times, median of ${reloaded.length}`, fmt(tenReloaded)],
    ["  its ratio to 1x", `${ratio(tenReloaded.wallMs, one.wallMs)} wall, ${ratio(tenReloaded.cpuMs, one.cpuMs)} cpu`],
    // What no change to the check can go below: the SDK running this program under its mocks.
    [`floor: the program alone under the SDK's mocks, no pack (bench/program-once.ts), median of ${programAlone.length}`, fmt(floor)],
    ["  its ratio to the SDK load (the check's target is 2.0x)", `${ratio(floor.wallMs, load.wallMs)} wall, ${ratio(floor.cpuMs, load.cpuMs)} cpu`],
    [`  the same, 10x the resources, median of ${programAloneTenfold.length}`, fmt(floorTen)],
    ["  its ratio 10x / 1x (the check's target is 2.0x)", `${ratio(floorTen.wallMs, floor.wallMs)} wall, ${ratio(floorTen.cpuMs, floor.cpuMs)} cpu`],
    ["  the check's cost above the floor, the stack / 10x", `${((one.wallMs - floor.wallMs) / 1000).toFixed(2)} s / ${((ten.wallMs - floorTen.wallMs) / 1000).toFixed(2)} s wall`],
    ["phases, the stack", phases(single)],
    ["phases, 10x", phases(tenfold)],
    ["phases, 10x reloading every module", phases(reloaded)],
    [`pack start as run-policy-pack starts it, median of ${shipped.length}: shipped`, fmt(medianOf(shipped))],
    ["  the same as `npm run check` starts it (its code cache preloaded)", fmt(medianOf(asTheCheckStartsIt))],
    ["  the same sources through ts-node (type-check), ts-node cache warm", fmt(medianOf(tsNodeWarm))],
    ["  the same sources through ts-node (type-check), cold cache as in CI", fmt(medianOf(tsNodeCold))],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`check benchmark of ${repo} on ${os.cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(2);
  },
);
