// A staging stack made as README.md ("A staging stack") says: production's file copied without its
// secrets provider state and secrets, its plain settings edited, its own secrets sealed with
// scripts/stack-secret.ts. The offline check judges it as staging (mostly advisory), and every
// globally named thing it would create is its own; a copy with only `environment` changed is refused
// before any resource, naming each key that would reach production.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isMap, parseDocument, type Document } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { runProgram } from "../../check/run-program";
import { readStackConfig } from "../../check/stack-config";
import { repoRoot, runCli } from "./run-cli";

const STACK = "staging";
/** A whole offline check: the program, then the policy pack started with ts-node as the CLI starts it. */
const CHECK_TIMEOUT_MS = 180_000;
let workDir: string;
/** The project folder holding the staging stack made as README.md says. */
let documented: string;

/** A project folder running the repository's program with Pulumi.staging.yaml: production's file, edited. */
function stagingProject(folder: string, edit: (stack: Document) => void): string {
  const dir = path.join(workDir, folder);
  fs.mkdirSync(dir);
  const project = parseDocument(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"));
  project.set("main", path.join(repoRoot, "index.ts"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), String(project));
  const stack = parseDocument(fs.readFileSync(path.join(repoRoot, "Pulumi.production.yaml"), "utf8"));
  edit(stack);
  fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), String(stack));
  return dir;
}

const setConfig = (stack: Document, key: string, value: unknown) => stack.setIn(["config", ...key.split(".")], value);

/** README.md's steps 1 and 2: no secrets provider state, no secrets, staging's own host, domain and test keys. */
const asDocumented = () => stagingProject("documented", (stack) => {
  stack.delete("encryptionsalt");
  const config = stack.get("config");
  if (!isMap(config)) throw new Error("Pulumi.production.yaml has no config mapping");
  config.items = config.items.filter((pair) => !(isMap(pair.value) && pair.value.has("secure")));
  setConfig(stack, "jewelry-shop:environment", STACK);
  setConfig(stack, "jewelry-shop:domain", "staging.goldleaf-jewelry.com");
  setConfig(stack, "jewelry-shop:domainAliases", ["www.staging.goldleaf-jewelry.com"]);
  setConfig(stack, "jewelry-shop:siteUrl", "https://staging.goldleaf-jewelry.com");
  setConfig(stack, "jewelry-shop:dockerHost", "ssh://deploy@203.0.113.20");
  setConfig(stack, "jewelry-shop:cloudflare.hostIpv4", "203.0.113.20");
  setConfig(stack, "jewelry-shop:email.fromAddress", "shop@staging.goldleaf-jewelry.com");
  setConfig(stack, "jewelry-shop:stripePublishableKey", "pk_test_51ExampleOnlyReplaceMe0000");
  stack.deleteIn(["config", "jewelry-shop:b2", "bucket"]);
});

/** Staging's own secrets, sealed with its own passphrase as README.md shows. */
const STAGING_SECRETS: Readonly<Record<string, string>> = {
  stripeSecretKey: "sk_test_51StagingOnlyAbcdefghij",
  stripeWebhookSecret: "whsec_StagingOnly0123456789",
  twilioAuthToken: "0123456789abcdef0123456789abcdef",
  sentryDsn: "https://0123456789abcdef0123456789abcdef@o0.ingest.sentry.io/1",
  emailApiKey: "SG.stagingOnlyKeyId0000.stagingOnlySecret000000000",
  b2MasterApplicationKey: "K003stagingOnlyApplicationKey0000",
  alertWebhookSecret: "https://hooks.slack.com/services/T000/B000/stagingonly",
  "cloudflare:apiToken": "stagingOnlyCloudflareToken0000000000000",
};

function sealStagingSecrets(root: string): void {
  const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
  execFileSync(process.execPath, [tsx, path.join(repoRoot, "scripts/stack-secret.ts"), "--root", root, STACK, ...Object.keys(STAGING_SECRETS)], {
    input: `${Object.values(STAGING_SECRETS).join("\n")}\n`,
    env: { PATH: process.env.PATH, PULUMI_CONFIG_PASSPHRASE: "staging passphrase, not production's" },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "js-staging-"));
  documented = asDocumented();
  sealStagingSecrets(documented);
});
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe("a staging stack beside production", () => {
  it("refuses a copy of production with only its environment changed, before any resource", async () => {
    const root = stagingProject("copied", (stack) => setConfig(stack, "jewelry-shop:environment", STACK));
    const result = await runCli(["--stack", STACK, "--root", root, "--policy-pack", path.join(repoRoot, "policies")]);
    expect(result.code).toBe(2);
    const output = result.stdout + result.stderr;
    for (const key of ["b2.bucket", "domain", "domainAliases[0]", "email.fromAddress"]) expect(output).toContain(`- jewelry-shop:${key}: `);
    expect(output).toContain("is the production stack's bucket");
    expect(output).not.toMatch(/\n\s+at /);
  }, CHECK_TIMEOUT_MS);

  it("passes the offline check as staging when made as README.md says, with secrets of its own", async () => {
    const file = fs.readFileSync(path.join(documented, `Pulumi.${STACK}.yaml`), "utf8");
    const production = fs.readFileSync(path.join(repoRoot, "Pulumi.production.yaml"), "utf8");
    const sealed = (text: string) => [...text.matchAll(/^encryptionsalt: (\S+)$|secure: (\S+)$/gm)].map((m) => m[1] ?? m[2]);
    expect(sealed(file)).toHaveLength(1 + Object.keys(STAGING_SECRETS).length);
    for (const value of sealed(file)) expect(sealed(production)).not.toContain(value);
    const result = await runCli(["--stack", STACK, "--root", documented, "--policy-pack", path.join(repoRoot, "policies"), "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { stack: string; environment: string; violations: { enforcementLevel: string }[] };
    expect(report).toMatchObject({ stack: STACK, environment: STACK });
    expect(report.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  }, CHECK_TIMEOUT_MS);

  it("names every bucket, token and DNS record after the stack, never after production", async () => {
    (require("tsx/cjs/api") as { register(): void }).register();
    const program: ProgramRun = await runProgram({ stackConfig: readStackConfig(documented, STACK) });
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
