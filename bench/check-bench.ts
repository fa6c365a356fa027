// `npm run bench`: what `npm run check` costs, against what loading the Pulumi SDK alone costs,
// and how it grows with a stack ten times larger. Not a test; prints a table.
//
//   tsx bench/check-bench.ts [--root DIR] [--stack NAME] [--runs N]
//
// The 10x stack is the same program loaded ten times by a wrapper (every module of the root
// re-executed), each later copy's resources renamed "<name>-copy<n>" so the URNs stay unique:
// ten times the registrations, Analyze calls and AnalyzeStack payload.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(__dirname, "..");
const tsxCli = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
const fixtureRoot = path.join(repoRoot, "tests/fixtures/check-demo");

const { values } = parseArgs({
  options: { root: { type: "string" }, stack: { type: "string" }, runs: { type: "string", default: "5" } },
});
const root = path.resolve(values.root ?? (fs.existsSync(path.join(repoRoot, "Pulumi.yaml")) ? repoRoot : fixtureRoot));
const stack = values.stack ?? "production";
const runs = Number(values.runs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(args: string[], cwd = repoRoot): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** A project folder whose program loads the real one ten times. */
function tenfoldProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-bench-"));
  for (const file of fs.readdirSync(root).filter((f) => /^Pulumi\..*ya?ml$/.test(f))) {
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  const pulumiYaml = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8").replace(/^main:.*$/m, "");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${pulumiYaml}\nmain: tenfold.js\n`);
  fs.writeFileSync(
    path.join(dir, "tenfold.js"),
    `const root = ${JSON.stringify(root)};
const entry = require.resolve(root);
const own = (id) => id.startsWith(root) && !id.includes("node_modules");
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

function checkRun(projectRoot: string, duplicateUrns: "fail" | "suffix"): string[] {
  const script = `
    const { runCheck } = require(${JSON.stringify(path.join(repoRoot, "check/run-check.ts"))});
    runCheck({ rootDir: ${JSON.stringify(projectRoot)}, stack: ${JSON.stringify(stack)},
      packDir: ${JSON.stringify(path.join(root, "policies"))}, duplicateUrns: ${JSON.stringify(duplicateUrns)} })
      .then((r) => { console.log(JSON.stringify({ resources: r.counts.resources, ...r.timings })); process.exit(0); })
      .catch((e) => { console.error(e.message); process.exit(2); });`;
  return [tsxCli, "-e", script];
}

function inProcessTimings(projectRoot: string, duplicateUrns: "fail" | "suffix") {
  const r = spawnSync(process.execPath, checkRun(projectRoot, duplicateUrns), { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { resources: number; programMs: number; packStartMs: number; analyzeMs: number; totalMs: number };
}

const cliArgs = [tsxCli, "check/cli.ts", "--root", root, "--stack", stack, "--format", "json", "--output", os.devNull];
timed(cliArgs); // warm the ts-node cache of the pack and the OS file cache
const checkMs: number[] = [];
const loadMs: number[] = [];
for (let i = 0; i < runs; i++) {
  checkMs.push(timed(cliArgs));
  loadMs.push(timed(["-e", 'require("@pulumi/pulumi")']));
}
const base = inProcessTimings(root, "fail");
const tenfoldDir = tenfoldProject();
const tenfold = [...Array(Math.max(1, Math.ceil(runs / 2)))].map(() => inProcessTimings(tenfoldDir, "suffix"));
fs.rmSync(tenfoldDir, { recursive: true, force: true });
const tenfoldTotal = median(tenfold.map((t) => t.totalMs));

const rows: [string, string][] = [
  [`npm run check equivalent (${path.relative(repoRoot, root) || "."}, ${stack}), median of ${runs}`, `${median(checkMs).toFixed(0)} ms`],
  [`bare require("@pulumi/pulumi") in a child, median of ${runs}`, `${median(loadMs).toFixed(0)} ms`],
  ["ratio check / SDK load", `${(median(checkMs) / median(loadMs)).toFixed(1)}x`],
  [`one run: program / pack start / analyze / total (${base.resources} resources)`, `${base.programMs} / ${base.packStartMs} / ${base.analyzeMs} / ${base.totalMs} ms`],
  [`10x stack (${tenfold[0].resources} resources), median of ${tenfold.length}: total`, `${tenfoldTotal.toFixed(0)} ms`],
  ["10x stack: program / analyze", `${median(tenfold.map((t) => t.programMs))} / ${median(tenfold.map((t) => t.analyzeMs))} ms`],
  ["ratio 10x / 1x (in-process total)", `${(tenfoldTotal / base.totalMs).toFixed(2)}x`],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`check benchmark on ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
