// Prometheus relabelling (model/relabel, 2.42–2.55): each step in order on a label set; `keep` and
// `drop` may discard the whole set. Regexes are fully anchored, as Prometheus compiles them.
import { asArray, asRecord, asString } from "../values";

export type Labels = Record<string, string>;

export interface RelabelStep {
  readonly action: string;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RegExp;
  readonly targetLabel?: string;
  readonly replacement: string;
}

const anchored = (re: string) => new RegExp(`^(?:${re})$`, "s");

/** Reads a relabel_configs list; throws with Prometheus's complaint for an invalid step. */
export function parseRelabelConfigs(value: unknown): RelabelStep[] {
  return asArray(value).map((raw, i) => {
    const step = asRecord(raw) ?? {};
    const action = (asString(step.action) ?? "replace").toLowerCase();
    const known = ["replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase"];
    if (!known.includes(action)) throw new Error(`relabel_configs[${i}]: unknown relabel action "${action}"`);
    let regex: RegExp;
    try {
      regex = anchored(asString(step.regex) ?? "(.*)");
    } catch {
      throw new Error(`relabel_configs[${i}]: invalid regex ${String(step.regex)}`);
    }
    const targetLabel = asString(step.target_label);
    if (["replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"].includes(action) && !targetLabel) {
      throw new Error(`relabel_configs[${i}]: relabel configuration for ${action} action requires 'target_label' value`);
    }
    return {
      action,
      sourceLabels: asArray(step.source_labels).map((l) => asString(l) ?? ""),
      separator: asString(step.separator) ?? ";",
      regex,
      ...(targetLabel ? { targetLabel } : {}),
      replacement: asString(step.replacement) ?? "$1",
    };
  });
}

/** Go's Regexp.Expand for $1, ${1} and ${name}. */
const expand = (template: string, match: RegExpExecArray): string =>
  template.replace(/\$(\{(\w+)\}|(\w+))/g, (_all, _braced, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? "";
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    return value ?? "";
  });

/** Applies the steps; undefined when a keep/drop step discards the label set. */
export function relabel(labels: Labels, steps: readonly RelabelStep[]): Labels | undefined {
  let current: Labels = { ...labels };
  for (const step of steps) {
    const value = step.sourceLabels.map((l) => current[l] ?? "").join(step.separator);
    switch (step.action) {
      case "keep":
        if (!step.regex.test(value)) return undefined;
        break;
      case "drop":
        if (step.regex.test(value)) return undefined;
        break;
      case "keepequal":
        if (value !== (current[step.targetLabel!] ?? "")) return undefined;
        break;
      case "dropequal":
        if (value === (current[step.targetLabel!] ?? "")) return undefined;
        break;
      case "replace": {
        const match = step.regex.exec(value);
        if (!match) break;
        const target = expand(step.targetLabel!, match);
        const result = expand(step.replacement, match);
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(target)) break;
        if (result === "") delete current[target];
        else current[target] = result;
        break;
      }
      case "lowercase":
      case "uppercase":
        current[step.targetLabel!] = step.action === "lowercase" ? value.toLowerCase() : value.toUpperCase();
        break;
      case "labelmap":
        for (const [name, v] of Object.entries(current)) {
          const match = step.regex.exec(name);
          if (match) current[expand(step.replacement, match)] = v;
        }
        break;
      case "labeldrop":
        current = Object.fromEntries(Object.entries(current).filter(([name]) => !step.regex.test(name)));
        break;
      case "labelkeep":
        current = Object.fromEntries(Object.entries(current).filter(([name]) => step.regex.test(name)));
        break;
      default:
        // hashmod: the modulus decides which shard keeps a target; modelled as keeping it.
        break;
    }
  }
  return current;
}
