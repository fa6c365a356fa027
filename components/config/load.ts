// Reads the stack configuration once, validates it and hands out typed values.
// Everything else in the program receives a StackConfig and never calls pulumi.Config itself.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors";
import { crossFieldProblems } from "./rules";
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

const EXAMPLES: Record<string, string> = {
  environment: "production",
  domain: "shop.example.org",
  siteUrl: "https://shop.example.org",
  appImage: "registry.example.com/jewelry-shop:v1.4.2",
  dockerHost: "ssh://deploy@203.0.113.10",
};

function fixFor(path: string, secret: boolean): string {
  const example = EXAMPLES[path] ?? "<value>";
  return `pulumi config set${secret ? " --secret" : ""}${path.includes(".") ? " --path" : ""} ${PROJECT}:${path} ${example}`;
}

/**
 * Validates raw stack config (`{"jewelry-shop:key": "string"}` as the engine hands it) and returns the
 * parsed values, or throws one ConfigError listing every problem with its key and fix.
 */
export function validateStackConfig(raw: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string>): RawStackConfig {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, name] = fullKey.split(":", 2);
    if (namespace !== PROJECT || name === undefined) continue;
    values[name] = decode(name, value);
    if (secretKeySet.has(name) && !secretKeys.has(fullKey)) {
      problems.push({
        key: fullKey,
        problem: "is a credential stored in plain text in the stack file",
        fix: `pulumi config set --secret ${fullKey} <value>  (re-set it as a secret; checklist 2.7)`,
      });
    }
  }
  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const unknownKey of issue.keys) {
          const path = [...issue.path, unknownKey].join(".");
          problems.push({ key: `${PROJECT}:${path}`, problem: "is not a setting of this program", fix: `pulumi config rm ${issue.path.length ? "--path " : ""}${PROJECT}:${path}  (see the config reference in README.md)` });
        }
        continue;
      }
      const path = issue.path.join(".");
      const missing = issue.code === "invalid_type" && issue.message.includes("received undefined");
      problems.push({
        key: `${PROJECT}:${path}`,
        problem: missing ? "is required but not set" : issue.message,
        fix: fixFor(path, secretKeySet.has(String(issue.path[0]))),
      });
    }
    throw new ConfigError(problems);
  }
  problems.push(...crossFieldProblems(parsed.data));
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
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
  return toStackConfig(validateStackConfig(raw, secretKeys));
}
