// `npm run bench:verdict -- --write DIR` / `-- --compare DIR`: the verdict of `npm run check` on every
// stack the tests judge (each Pulumi.<stack>.yaml of the project, the check-demo fixture's stacks, the
// production stack with each broken-stack mistake), as JSON reports without their timings. Written
// by one version of the code and compared by another, it proves a change (a speed-up) left every
// violation, finding, exemption and exit code as it was.
//
// Each stack runs through the real command, `npm run -s check`, one process per stack, with the
// judgement day fixed so that exemptions are judged alike on both sides.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { mistakeSets } from "../tests/fixtures/broken-stacks/mistakes";
import { writeStackFolder } from "../tests/fixtures/broken-stacks/stack-folders";

const repoRoot = path.resolve(__dirname, "..");
const demoRoot = path.join(repoRoot, "tests/fixtures/check-demo");
const policyDay = "2026-12-01";

interface VerdictCase {
  readonly name: string;
  readonly root: string;
  readonly stack: string;
  readonly policyPack: string;
}

const stacksOf = (root: string) =>
  fs.readdirSync(root).flatMap((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1] ?? []).sort();

function cases(stackDir: string): VerdictCase[] {
  const pack = path.join(repoRoot, "policies");
  const all: VerdictCase[] = stacksOf(repoRoot).map((stack) => ({ name: stack, root: repoRoot, stack, policyPack: pack }));
  for (const stack of stacksOf(demoRoot)) {
    all.push({ name: `check-demo-${stack}`, root: demoRoot, stack, policyPack: path.join(demoRoot, "policies") });
  }
  for (const set of Object.values(mistakeSets)) {
    for (const mistake of Object.keys(set)) {
      all.push({ name: `broken-${mistake}`, root: writeStackFolder(repoRoot, stackDir, mistake, mistake), stack: "production", policyPack: pack });
    }
  }
  return all;
}

/** The report as the check wrote it, without what differs from run to run. */
function verdictOf(c: VerdictCase, outFile: string): string {
  const r = spawnSync("npm", ["run", "-s", "check", "--", "--root", c.root, "--stack", c.stack, "--policy-pack", c.policyPack, "--format", "json", "--output", outFile], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, JEWELRY_SHOP_POLICY_DATE: policyDay },
  });
  const report = fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, "utf8")) as Record<string, unknown>) : { stderr: r.stderr };
  delete report.timings;
  return `${JSON.stringify({ exitStatus: r.status, report }, null, 2)}\n`;
}

const { values } = parseArgs({ options: { write: { type: "string" }, compare: { type: "string" }, only: { type: "string" } } });
const dir = values.write ?? values.compare;
if (!dir || (values.write && values.compare)) {
  console.error("usage: tsx bench/verdict.ts --write DIR | --compare DIR [--only NAME-REGEX]");
  process.exit(2);
}
const outDir = path.resolve(dir);
fs.mkdirSync(outDir, { recursive: true });
// Stack folders at a fixed place: the report names files relative to them, alike on both sides.
const stackDir = path.join(repoRoot, ".check-out", "verdict-stacks");
let differing = 0;
const only = values.only ? new RegExp(values.only) : undefined;
for (const c of cases(stackDir).filter((c) => !only || only.test(c.name))) {
  const started = Date.now();
  const verdict = verdictOf(c, path.join(stackDir, `${c.name}.report.json`));
  const file = path.join(outDir, `${c.name}.json`);
  let status = "written";
  if (values.write) fs.writeFileSync(file, verdict);
  else if (!fs.existsSync(file)) status = "NO BASELINE";
  else if (fs.readFileSync(file, "utf8") === verdict) status = "identical";
  else {
    status = "DIFFERENT";
    fs.writeFileSync(path.join(outDir, `${c.name}.new.json`), verdict);
  }
  if (status !== "identical" && status !== "written") differing++;
  console.log(`${c.name.padEnd(48)} ${status} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
if (values.compare) {
  console.log(differing === 0 ? "every verdict is identical" : `${differing} verdict(s) differ: compare <name>.json with <name>.new.json in ${outDir}`);
}
process.exit(differing === 0 ? 0 : 1);
