// The effective nginx configuration of a container, built once per configuration and shared by every
// rule that reads nginx (a cache keyed by a digest of everything nginx reads at start-up).
import { createHash } from "node:crypto";
import type { NginxInput } from "./input";
import { loadNginxConfig } from "./load";
import { buildNginxModel, type NginxModel } from "./model";

const CACHE_LIMIT = 32;
const cache = new Map<string, NginxModel>();

function inputDigest(input: NginxInput): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([input.prefix, input.confFile, input.commandLine ?? null, input.version, input.opaqueDirs]));
  for (const [path, file] of [...input.files].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0${path}\0${file.origin}\0${file.content === undefined ? "\u0001unknown" : file.content}`);
  }
  return hash.digest("hex");
}

/** The model of what nginx builds from `input`: loaded, checked and resolved once per distinct input. */
export function nginxModel(input: NginxInput): NginxModel {
  const key = inputDigest(input);
  const cached = cache.get(key);
  if (cached) return cached;
  const model = buildNginxModel(input, loadNginxConfig(input));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, model);
  return model;
}

export type { NginxInput, NginxFile } from "./input";
export type { NginxModel, NginxServer, NginxLocation, ListenSocket } from "./model";
