// Runs the REAL policy pack as the Pulumi CLI starts it (run-policy-pack, ts-node) and drives it over
// its gRPC analyzer interface with the offline check's client: Analyze per resource, then AnalyzeStack.
// One pack process per stack context (the pack reads the stack's config once, at start-up), started on
// first use in each test file and ended when the file's worker exits.
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import { afterAll } from "vitest";
import { AnalyzerClient, type AnalyzerResource } from "../../check/analyzer-client";
import type { JsonObject } from "../../check/json";
import { startPolicyPack, type PolicyPackProcess } from "../../check/policy-pack-process";
import type { StackContext } from "../../policies/lib/stack-context";
import { checklistRules } from "../../policies/rules";

/** The engine's unknown-string sentinel, as a preview hands it to the pack. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface TestResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  /** Property -> names of the resources it was computed from. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Finding {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  /** The URN of the analysed resource (resource policies) or the one the violation names. */
  readonly urn?: string;
}

export const urnOf = (r: Pick<TestResource, "type" | "name">, stack = "production") => `urn:pulumi:${stack}::jewelry-shop::${r.type}::${r.name}`;

const PACK_DIR = path.resolve(__dirname, "../../policies");
const options = { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [], customTimeouts: { create: 0, update: 0, delete: 0 } };
const POLICY_NAMES = ["policy-exemptions", ...checklistRules.map((r) => r.name)];

interface RunningPack {
  readonly pack: PolicyPackProcess;
  readonly client: AnalyzerClient;
}
const packs = new Map<string, Promise<RunningPack>>();

/** The pack judging `ctx`: its config (environment included), secret keys and the day exemptions are judged on. */
function packFor(ctx: StackContext): Promise<RunningPack> {
  const config = { ...ctx.config, "jewelry-shop:environment": ctx.environment };
  const key = JSON.stringify([ctx.stack, config, ctx.secretKeys ?? null, ctx.today]);
  let running = packs.get(key);
  if (!running) {
    running = (async () => {
      const pack = await startPolicyPack(PACK_DIR, {
        project: "jewelry-shop", stack: ctx.stack, organization: "organization", config,
        extraEnv: {
          JEWELRY_SHOP_POLICY_DATE: ctx.today,
          ...(ctx.secretKeys ? { PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(ctx.secretKeys) } : {}),
        },
      });
      const client = new AnalyzerClient(pack.address);
      await client.waitForReady(30_000);
      return { pack, client };
    })();
    packs.set(key, running);
  }
  return running;
}

// Registered for every test file that imports the harness: its packs end with the file.
afterAll(async () => {
  const running = [...packs.values()];
  packs.clear();
  await Promise.all(running.map((p) => p.then(({ client, pack }) => {
    client.close();
    return pack.stop();
  }, () => undefined)));
});

// JSON round trip: a Struct has no `undefined`, and an optional input left unset is simply absent.
const plain = (props: Record<string, unknown>) => JSON.parse(JSON.stringify(props)) as JsonObject;

function toAnalyzer(r: TestResource, all: readonly TestResource[], stack: string): AnalyzerResource {
  return {
    type: r.type, name: r.name, urn: urnOf(r, stack), properties: plain(r.props), options, dependencies: [],
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([property, names]) => [property, names.map((n) => {
      const source = all.find((x) => x.name === n);
      if (!source) throw new Error(`${r.name}.${property} depends on unknown resource ${n}`);
      return urnOf(source, stack);
    })])),
  };
}

/**
 * Runs the pack (built for `ctx`) over the resources, through gRPC: Analyze per resource, then
 * AnalyzeStack. `only` limits the run to some policies: the others are disabled with Configure,
 * exactly as `--policy-pack-config` would.
 */
export async function analyze(resources: readonly TestResource[], ctx: StackContext, only?: readonly string[]): Promise<Finding[]> {
  const { client } = await packFor(ctx);
  await client.configure(Object.fromEntries(POLICY_NAMES.filter((name) => only && !only.includes(name)).map((name) => [name, { enforcementLevel: "disabled" as const }])));
  const analyzed = resources.map((r) => toAnalyzer(r, resources, ctx.stack));
  const diagnostics = [
    ...(await Promise.all(analyzed.map((r) => client.analyze(r)))).flat(),
    ...(await client.analyzeStack(analyzed)),
  ];
  return diagnostics.map((d) => ({ policy: d.policyName, level: d.enforcementLevel, message: d.message, urn: d.urn }));
}

/** Findings of one policy. */
export const of = (findings: readonly Finding[], policy: string) => findings.filter((f) => f.policy === policy);

/** Findings of `policy` for the stack, judged under `ctx`. */
export async function findingsOf(policy: string, resources: readonly TestResource[], ctx: StackContext): Promise<Finding[]> {
  return of(await analyze(resources, ctx, [policy]), policy);
}

/** The one-line summary a failing expectation prints. */
export const describeFindings = (findings: readonly Finding[]) => findings.map((f) => `${f.level}: ${f.message.split("\n").pop()}`).join("\n");

/** The last line (the rule's own message) of each finding of `policy` at `level`. */
export async function messagesOf(policy: string, resources: readonly TestResource[], ctx: StackContext, level: EnforcementLevel = "mandatory"): Promise<string[]> {
  return (await findingsOf(policy, resources, ctx)).filter((f) => f.level === level).map((f) => f.message.split("\n").pop() ?? "");
}
