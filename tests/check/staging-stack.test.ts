// A staging stack made as README.md ("A staging stack") says: production's file copied, its encryption
// salt dropped and its plain settings edited. The offline check judges it as staging (mostly advisory),
// and every globally named thing it would create is its own; a copy with only `environment` changed is
// refused before any resource, naming each key that would reach production.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { runProgram } from "../../check/run-program";
import { readStackConfig } from "../../check/stack-config";
import { repoRoot, runCli } from "./run-cli";

const STACK = "staging";
/** A whole offline check: the program, then the policy pack started with ts-node as the CLI starts it. */
const CHECK_TIMEOUT_MS = 180_000;
let workDir: string;

/** A project folder running the repository's program with Pulumi.staging.yaml made by `edit`. */
function stagingProject(folder: string, edit: (set: (key: string, value: unknown) => void, remove: (key: string) => void) => void): string {
  const dir = path.join(workDir, folder);
  fs.mkdirSync(dir);
  const project = parseDocument(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));
  project.set("main", path.join(repoRoot, "index.ts"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), String(project));
  const stack = parseDocument(fs.readFileSync(path.join(repoRoot, "Pulumi.production.yaml"), "utf8"));
  stack.delete("encryptionsalt");
  edit((key, value) => stack.setIn(["config", ...key.split(".")], value), (key) => stack.deleteIn(["config", ...key.split(".")]));
  fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), String(stack));
  return dir;
}

/** The plain settings README.md tells a staging stack to change (its own host, domain and test keys). */
const asDocumented = () => stagingProject("documented", (set, remove) => {
  set("jewelry-shop:environment", STACK);
  set("jewelry-shop:domain", "staging.goldleaf-jewelry.com");
  set("jewelry-shop:domainAliases", ["www.staging.goldleaf-jewelry.com"]);
  set("jewelry-shop:siteUrl", "https://staging.goldleaf-jewelry.com");
  set("jewelry-shop:dockerHost", "ssh://deploy@203.0.113.20");
  set("jewelry-shop:cloudflare.hostIpv4", "203.0.113.20");
  set("jewelry-shop:email.fromAddress", "shop@staging.goldleaf-jewelry.com");
  set("jewelry-shop:stripePublishableKey", "pk_test_51ExampleOnlyReplaceMe0000");
  remove("jewelry-shop:b2.bucket");
});

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "js-staging-"));
});
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe("a staging stack beside production", () => {
  it("refuses a copy of production with only its environment changed, before any resource", async () => {
    const root = stagingProject("copied", (set) => set("jewelry-shop:environment", STACK));
    const result = await runCli(["--stack", STACK, "--root", root, "--policy-pack", path.join(repoRoot, "policies")]);
    expect(result.code).toBe(2);
    const output = result.stdout + result.stderr;
    for (const key of ["b2.bucket", "domain", "domainAliases[0]", "email.fromAddress"]) expect(output).toContain(`- jewelry-shop:${key}: `);
    expect(output).toContain("is the production stack's bucket");
    expect(output).not.toMatch(/\n\s+at /);
  }, CHECK_TIMEOUT_MS);

  it("passes the offline check as staging when made as README.md says", async () => {
    const result = await runCli(["--stack", STACK, "--root", asDocumented(), "--policy-pack", path.join(repoRoot, "policies"), "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { stack: string; environment: string; violations: { enforcementLevel: string }[] };
    expect(report).toMatchObject({ stack: STACK, environment: STACK });
    expect(report.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  }, CHECK_TIMEOUT_MS);

  it("names every bucket, token and DNS record after the stack, never after production", async () => {
    (require("tsx/cjs/api") as { register(): void }).register();
    const program: ProgramRun = await runProgram({ stackConfig: readStackConfig(path.join(workDir, "documented"), STACK) });
    const inputsOf = (type: string) => program.resources.filter((r) => r.type === type).map((r) => r.object);
    expect(inputsOf("cloudflare:index/r2Bucket:R2Bucket").map((b) => b.name)).toEqual(["jewelry-shop-staging-media", "jewelry-shop-staging-backups"]);
    const scopes = inputsOf("cloudflare:index/apiToken:ApiToken").map((t) => JSON.stringify(t.policies));
    expect(scopes).toEqual([expect.stringContaining("_default_jewelry-shop-staging-media"), expect.stringContaining("_default_jewelry-shop-staging-backups")]);
    expect(inputsOf("cloudflare:index/apiToken:ApiToken").map((t) => t.name)).toEqual(["jewelry-shop staging R2 media", "jewelry-shop staging R2 backups"]);
    expect(inputsOf("pulumi-nodejs:dynamic/b2:Bucket").map((b) => b.bucketName)).toEqual(["jewelry-shop-staging-backups-b2"]);
    expect(inputsOf("pulumi-nodejs:dynamic/b2:ApplicationKey").map((k) => k.keyName)).toEqual(["jewelry-shop-staging-backups-b2-pgbackrest"]);
    const recordNames = inputsOf("cloudflare:index/dnsRecord:DnsRecord").map((r) => String(r.name));
    expect(recordNames.length).toBeGreaterThan(5);
    for (const name of recordNames) expect(name).toMatch(/(^|\.)staging\.goldleaf-jewelry\.com$/);
  });
});
