// The CLI's --policy-pack-config file and how the engine turns it into the Configure request:
// schema defaults first, then the pack's initial config, then the file ("all" before each
// policy), then validation of every policy's properties against its schema.
import * as fs from "node:fs";
import type AjvClass from "ajv";
import type { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "./analyzer-client";
import { UserInputError } from "./errors";
import { isJsonObject, type JsonObject } from "./json";

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
const isLevel = (value: unknown): value is EnforcementLevel => levels.includes(value as EnforcementLevel);

/** Parses the file text as the CLI does; `source` names it in messages. */
export function parsePolicyPackConfig(text: string, source: string): Record<string, PolicyConfig> {
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) throw new UserInputError(`${source} must hold a JSON object of policy name -> settings`);
  const result: Record<string, PolicyConfig> = {};
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === "string") {
      if (!isLevel(value)) {
        throw new UserInputError(`${source}: "${name}": "${value}" is not an enforcement level (${levels.join(", ")})`);
      }
      result[name] = { enforcementLevel: value };
    } else if (isJsonObject(value)) {
      const { enforcementLevel, ...properties } = value;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw new UserInputError(
          `${source}: "${name}".enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${levels.join(", ")})`,
        );
      }
      const hasProperties = Object.keys(properties).length > 0;
      if (enforcementLevel === undefined && !hasProperties) continue;
      result[name] = { enforcementLevel, properties: hasProperties ? properties : undefined };
    } else {
      throw new UserInputError(`${source}: "${name}" must be an enforcement level or an object, not ${JSON.stringify(value)}`);
    }
  }
  return result;
}

export function readPolicyPackConfig(file: string): Record<string, PolicyConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UserInputError(`cannot read --policy-pack-config ${file}: ${(err as Error).message}`);
  }
  return parsePolicyPackConfig(text, file);
}

function applyConfig(result: Record<string, PolicyConfig>, given: Readonly<Record<string, PolicyConfig>>): void {
  const all = given.all?.enforcementLevel;
  if (all) for (const name of Object.keys(result)) result[name] = { ...result[name], enforcementLevel: all };
  for (const [name, config] of Object.entries(given)) {
    if (name === "all") continue;
    const current = result[name] ?? {};
    result[name] = {
      enforcementLevel: config.enforcementLevel ?? current.enforcementLevel,
      properties: config.properties ? { ...current.properties, ...config.properties } : current.properties,
    };
  }
}

/** The Configure payload: every policy of the pack with its level and its properties. */
export function reconcilePolicyConfig(
  info: AnalyzerInfo,
  given: Readonly<Record<string, PolicyConfig>>,
): Record<string, PolicyConfig> {
  const known = new Set(info.policies.map((p) => p.name));
  // Stricter than the CLI, which ignores a misspelt name: a typo must not silently do nothing.
  const unknown = Object.keys(given).filter((name) => name !== "all" && !known.has(name));
  if (unknown.length > 0) {
    throw new UserInputError(
      `policy pack config names no policy of ${info.name}: ${unknown.join(", ")}; policies: ${[...known].join(", ")}`,
    );
  }
  const result: Record<string, PolicyConfig> = {};
  for (const policy of info.policies) {
    const defaults: JsonObject = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if (isJsonObject(schema) && schema.default !== undefined) defaults[key] = schema.default;
    }
    result[policy.name] = {
      enforcementLevel: policy.enforcementLevel,
      properties: Object.keys(defaults).length > 0 ? defaults : undefined,
    };
  }
  applyConfig(result, info.initialConfig);
  applyConfig(result, given);

  const withSchema = info.policies.flatMap(({ name, configSchema }) => (configSchema ? [{ name, configSchema }] : []));
  if (withSchema.length === 0) return result;
  // Loaded only for a pack with a config schema: ajv is some 60 modules, 20-40 ms of every check.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require("ajv") as { default: typeof AjvClass };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const errors: string[] = [];
  for (const policy of withSchema) {
    const validate = ajv.compile({
      type: "object",
      properties: policy.configSchema.properties,
      required: [...policy.configSchema.required],
    });
    if (!validate(result[policy.name].properties ?? {})) {
      for (const e of validate.errors ?? []) errors.push(`${policy.name}: ${e.instancePath || "(root)"} ${e.message}`);
    }
  }
  if (errors.length > 0) throw new UserInputError(`invalid policy pack config:\n  ${errors.join("\n  ")}`);
  return result;
}
