// Loads the pack's traceability map (checklist id -> how it is enforced) for the markdown format.
import * as fs from "node:fs";
import type { Trace } from "../policies/traceability-types";
import { UserInputError } from "./errors";
import { isJsonObject } from "./json";

const traceKinds = new Set(["policy", "post-deployment", "manual"]);

export function loadTraceability(file: string): Record<string, Trace> {
  if (!fs.existsSync(file)) {
    throw new UserInputError(`no traceability map at ${file}: the markdown format needs one (--traceability FILE)`);
  }
  const exported = (require(file) as { traceability?: unknown }).traceability;
  if (!isJsonObject(exported as never)) throw new UserInputError(`${file} does not export \`traceability\``);
  const map = exported as Record<string, unknown>;
  for (const [id, trace] of Object.entries(map)) {
    const kind = (trace as { kind?: unknown } | null)?.kind;
    if (typeof kind !== "string" || !traceKinds.has(kind)) {
      throw new UserInputError(`${file}: item ${id} has no valid trace kind (policy, post-deployment or manual)`);
    }
  }
  return map as Record<string, Trace>;
}
