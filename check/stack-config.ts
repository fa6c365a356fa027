// Reads Pulumi.yaml and Pulumi.<stack>.yaml into what the language host hands a program:
// the PULUMI_CONFIG map ("<project>:<key>" -> string) and the list of secret keys, reading keys and
// values the way the Pulumi CLI does (check/go-yaml.ts), and refusing what would stop the CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import { ciphertextProblems, ciphertextRule } from "./ciphertext";
import { UserInputError } from "./errors";
import { configValueText, isGoMap, parseGoYaml, secureCiphertext, type ConfigValueText, type GoValue } from "./go-yaml";
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

function readYaml(file: string): GoValue {
  try {
    return parseGoYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function readProject(rootDir: string): { name: string; main: string; defaults: Record<string, GoValue> } {
  const file = path.join(rootDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) throw new UserInputError(`no Pulumi.yaml in ${rootDir}: is --root a Pulumi project?`);
  const doc = readYaml(file);
  if (!isGoMap(doc) || typeof doc.name !== "string") throw new UserInputError(`${file} has no project name`);
  // Project-level config: `key: value` or `key: { default: value, ... }`.
  const defaults: Record<string, GoValue> = {};
  if (isGoMap(doc.config)) {
    for (const [key, value] of Object.entries(doc.config)) {
      if (!isGoMap(value)) defaults[key] = value;
      else if ("default" in value) defaults[key] = value.default;
      else if ("value" in value) defaults[key] = value.value;
    }
  }
  const main = typeof doc.main === "string" ? path.resolve(rootDir, doc.main) : rootDir;
  return { name: doc.name, main, defaults };
}

/** Replaces every `secure:` leaf by the placeholder. */
function replaceSecure(value: GoValue): GoValue {
  if (secureCiphertext(value) !== undefined) return OFFLINE_SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(replaceSecure);
  if (isGoMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v)]));
  return value;
}

/**
 * The stack file's keys as the CLI reads them (pulumi/pulumi@1b59498). A key without a namespace gets
 * the project's (sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject); then
 * sdk/go/common/resource/config/key.go ParseKey accepts `<namespace>:<name>` and the legacy
 * `<namespace>:config:<name>`, and refuses anything else. Two spellings of one key are refused here:
 * the CLI keeps whichever Go's random map order writes last.
 */
export function normalizeKeys(values: Readonly<Record<string, GoValue>>, project: string, file: string, problems: string[]): Map<string, GoValue> {
  const result = new Map<string, GoValue>();
  const spelledAs = new Map<string, string>();
  for (const [rawKey, value] of Object.entries(values)) {
    const namespaced = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const parts = namespaced.split(":");
    const key = parts.length === 2 ? namespaced : parts.length === 3 && parts[1] === "config" ? `${parts[0]}:${parts[2]}` : undefined;
    if (key === undefined) {
      problems.push(`${file}: could not parse ${namespaced} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`);
      continue;
    }
    const earlier = spelledAs.get(key);
    if (earlier !== undefined) {
      problems.push(`${file}: ${key} is set twice, as \`${earlier}\` and \`${rawKey}\`; the Pulumi CLI keeps one of them at random: keep only \`${key}\``);
      continue;
    }
    spelledAs.set(key, rawKey);
    result.set(key, value);
  }
  return result;
}

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
  if (!isGoMap(doc)) throw new UserInputError(`${stackFile} is not a YAML mapping`);
  const stackValues = isGoMap(doc.config) ? doc.config : {};

  const problems: string[] = [];
  const merged = new Map([...normalizeKeys(project.defaults, project.name, "Pulumi.yaml", problems), ...normalizeKeys(stackValues, project.name, stackFile, problems)]);
  const ciphertexts = ciphertextRule(doc);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const undecryptableKeys: string[] = [];
  for (const [key, value] of merged) {
    problems.push(...ciphertextProblems(key, value, ciphertexts).map((p) => `${stackFile}: ${p}`));
    let text: ConfigValueText;
    try {
      text = configValueText(value);
    } catch (err) {
      problems.push(`${stackFile}: ${key}: the Pulumi CLI cannot load this value (${(err as Error).message}); quote it if it is text`);
      continue;
    }
    config[key] = text.secure ? configValueText(replaceSecure(value)).value : text.value;
    if (text.secure) {
      secretKeys.push(key);
      undecryptableKeys.push(key);
    }
  }
  if (problems.length > 0) throw new UserInputError(problems.join("\n"));
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
