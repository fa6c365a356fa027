// Reads Pulumi.yaml and Pulumi.<stack>.yaml into what the language host hands a program:
// the PULUMI_CONFIG map ("<project>:<key>" -> string) and the list of secret keys.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { UserInputError } from "./errors";
import { isJsonObject, type JsonValue } from "./json";
import { OFFLINE_SECRET_PLACEHOLDER } from "./offline-secret";

export { OFFLINE_SECRET_PLACEHOLDER };

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  readonly rootDir: string;
  /** Program entry as Pulumi.yaml's `main` gives it (a file or folder), resolved against rootDir. */
  readonly main: string;
  readonly stackFile: string;
  /** "<project>:<key>" -> string, structured values JSON-encoded, as PULUMI_CONFIG carries them. */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** Keys holding a `secure:` value: set and secret, but not readable without the CLI. */
  readonly undecryptableKeys: readonly string[];
  /** `<project>:environment` when set, otherwise the stack name. */
  readonly environment: string;
}

const stackNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Stack names that have a Pulumi.<stack>.yaml in rootDir, sorted. */
export function listStacks(rootDir: string): string[] {
  return fs
    .readdirSync(rootDir)
    .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

function readYaml(file: string): unknown {
  try {
    return parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function readProject(rootDir: string): { name: string; main: string; defaults: Record<string, JsonValue> } {
  const file = path.join(rootDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) throw new UserInputError(`no Pulumi.yaml in ${rootDir}: is --root a Pulumi project?`);
  const doc = readYaml(file);
  if (!isJsonObject(doc) || typeof doc.name !== "string") throw new UserInputError(`${file} has no project name`);
  // Project-level config: `key: value` or `key: { default: value, ... }`.
  const defaults: Record<string, JsonValue> = {};
  if (isJsonObject(doc.config)) {
    for (const [key, value] of Object.entries(doc.config)) {
      if (!isJsonObject(value)) defaults[key] = value;
      else if ("default" in value) defaults[key] = value.default;
      else if ("value" in value) defaults[key] = value.value;
    }
  }
  const main = typeof doc.main === "string" ? path.resolve(rootDir, doc.main) : rootDir;
  return { name: doc.name, main, defaults };
}

const isSecure = (value: JsonValue): value is { secure: string } =>
  isJsonObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";

/** Replaces every `secure:` leaf by the placeholder; says whether there was one. */
function replaceSecure(value: JsonValue): { value: JsonValue; secure: boolean } {
  if (isSecure(value)) return { value: OFFLINE_SECRET_PLACEHOLDER, secure: true };
  if (Array.isArray(value)) {
    const items = value.map(replaceSecure);
    return { value: items.map((i) => i.value), secure: items.some((i) => i.secure) };
  }
  if (isJsonObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secure: entries.some(([, v]) => v.secure),
    };
  }
  return { value, secure: false };
}

const qualify = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);
const asConfigString = (value: JsonValue) => (typeof value === "string" ? value : JSON.stringify(value));

export function readStackConfig(rootDir: string, stack: string): StackConfig {
  const project = readProject(rootDir);
  const stacks = listStacks(rootDir);
  const stackFile = ["yaml", "yml"].map((ext) => path.join(rootDir, `Pulumi.${stack}.${ext}`)).find(fs.existsSync);
  if (!stackNamePattern.test(stack) || !stackFile) {
    throw new UserInputError(
      `no stack "${stack}" in ${rootDir} (no Pulumi.${stack}.yaml); stacks: ${stacks.join(", ") || "none"}`,
    );
  }
  const doc = readYaml(stackFile) ?? {};
  if (!isJsonObject(doc)) throw new UserInputError(`${stackFile} is not a YAML mapping`);
  const stackValues = isJsonObject(doc.config) ? doc.config : {};

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const undecryptableKeys: string[] = [];
  const merged = { ...project.defaults, ...stackValues };
  for (const [rawKey, rawValue] of Object.entries(merged)) {
    const key = qualify(project.name, rawKey);
    const { value, secure } = replaceSecure(rawValue);
    config[key] = asConfigString(value);
    if (secure) {
      secretKeys.push(key);
      undecryptableKeys.push(key);
    }
  }
  const environment = config[`${project.name}:environment`] ?? stack;
  return {
    project: project.name,
    stack,
    rootDir,
    main: project.main,
    stackFile,
    config,
    secretKeys,
    undecryptableKeys,
    environment,
  };
}
