// Reads the stack configuration once, validates it and hands out typed values.
// Everything else in the program receives a StackConfig and never calls pulumi.Config itself.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors";
import { issueProblems } from "./issues";
import { crossFieldProblems } from "./rules";
import { SHIPPED_PRODUCTION_STACK, stackNameProblems, withStorageNames } from "./stack-names";
import { PROJECT, SECRET_KEYS, stackConfigSchema, type RawStackConfig, type SecretKey } from "./schema";

export type StackConfig = Omit<RawStackConfig, SecretKey | "policyExemptions"> & {
  /** Credentials from `pulumi config set --secret`, kept as Pulumi secrets. */
  readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;
  readonly isProduction: boolean;
  /** Primary domain first, then the aliases. */
  readonly hosts: readonly string[];
};

const secretKeySet: ReadonlySet<string> = new Set(SECRET_KEYS);

/** Top-level keys whose values are plain strings: never JSON-decoded ("true", "123" stay strings). */
function isStringKey(name: string): boolean {
  const shape = stackConfigSchema.shape as Record<string, z.ZodType>;
  let schema: z.ZodType | undefined = shape[name];
  while (schema && (schema.def.type === "optional" || schema.def.type === "default")) {
    schema = (schema.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return schema?.def.type === "string";
}

function decode(name: string, raw: string): unknown {
  if (isStringKey(name)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Credentials of the providers this program uses, read by the provider from its own config namespace:
 * the same rule as the program's own credentials applies (checklist 2.7).
 */
const PROVIDER_SECRET_KEYS = ["cloudflare:apiToken", "cloudflare:apiKey", "cloudflare:apiUserServiceKey"];

/**
 * Validates raw stack config (`{"jewelry-shop:key": "string"}` as the engine hands it) for the named
 * stack and returns the parsed values, or throws one ConfigError listing every problem with its key and fix.
 */
export function validateStackConfig(
  raw: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string>,
  stack: string = SHIPPED_PRODUCTION_STACK,
): RawStackConfig {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, name] = fullKey.split(":", 2);
    const credential = PROVIDER_SECRET_KEYS.includes(fullKey) || (namespace === PROJECT && secretKeySet.has(name));
    if (credential && !secretKeys.has(fullKey)) {
      problems.push({
        key: fullKey,
        problem: "is a credential stored in plain text in the stack file",
        fix: `pulumi config set --secret ${fullKey} <value>  (re-set it as a secret; checklist 2.7)`,
      });
    }
    if (namespace === PROJECT && name !== undefined) values[name] = decode(name, value);
  }
  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, values, (name) => secretKeySet.has(name)));
    throw new ConfigError(problems);
  }
  const named = withStorageNames(parsed.data, stack);
  problems.push(...crossFieldProblems(named), ...stackNameProblems(parsed.data, stack));
  if (problems.length > 0) throw new ConfigError(problems);
  return named;
}

/** Wraps the credentials as Pulumi secrets and adds derived values. */
export function toStackConfig(values: RawStackConfig): StackConfig {
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  const plain: Record<string, unknown> = { ...values };
  for (const name of SECRET_KEYS) {
    const value = values[name];
    if (value !== undefined) secrets[name] = pulumi.secret(value);
    delete plain[name];
  }
  delete plain.policyExemptions;
  return {
    ...(plain as Omit<RawStackConfig, SecretKey | "policyExemptions">),
    secrets,
    isProduction: values.environment === "production",
    hosts: [values.domain, ...values.domainAliases],
  };
}

/** The stack's configuration as the Pulumi engine handed it to this program. */
export function readStackConfig(): StackConfig {
  const raw = pulumi.runtime.allConfig();
  // isConfigSecret is public in the SDK's JavaScript but marked @internal in its typings.
  const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = new Set(Object.keys(raw).filter((k) => isConfigSecret(k)));
  return toStackConfig(validateStackConfig(raw, secretKeys, pulumi.getStack()));
}
