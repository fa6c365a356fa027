// What only the offline check can see: the raw inputs still carry the SDK's secret wrappers,
// while the engine hands policies plain text, so no policy can tell a secret from a leak.
// Rule: a container env entry named like a secret, or an uploaded file that looks like a
// secret file, must be a secret (known or unknown). A plaintext one ends up readable in the
// stack state and the preview diff. In the production environment that is mandatory.
import { isJsonObject, type JsonValue } from "./json";
import { isSecretWrapper, isUnknown } from "./property-values";
import type { CapturedResource } from "./run-program";
import { isSecretEnvName, isSecretFilePath } from "../policies/lib/secret-sources";

export type FindingLevel = "mandatory" | "advisory";

export interface OfflineFinding {
  readonly kind: "plaintext-secret-env" | "plaintext-secret-file" | "unreadable-env-entry";
  readonly level: FindingLevel;
  readonly resourceType: string;
  readonly resourceName: string;
  readonly urn: string;
  /** The env variable name or the file path. */
  readonly subject: string;
  readonly message: string;
}

const containerType = "docker:index/container:Container";
// The same notion of "a credential" as the pack's (policies/lib/secret-sources.ts): the offline check
// only adds what the engine hides from the pack, whether such a value is marked secret.
export { isSecretEnvName, isSecretFilePath };

/** Plaintext findings are mandatory in production and advisory elsewhere. */
export const findingLevel = (environment: string): FindingLevel =>
  environment === "production" ? "mandatory" : "advisory";

const asArray = (value: JsonValue | undefined): JsonValue[] => (Array.isArray(value) ? value : []);

function containerFindings(r: CapturedResource, level: FindingLevel): OfflineFinding[] {
  const findings: OfflineFinding[] = [];
  const at = { resourceType: r.type, resourceName: r.name, urn: r.urn };
  for (const entry of asArray(r.object.envs)) {
    if (isSecretWrapper(entry)) continue;
    if (isUnknown(entry)) {
      findings.push({
        ...at,
        kind: "unreadable-env-entry",
        level: "advisory",
        subject: "(unknown)",
        message: `container "${r.name}" has an env entry unknown at preview and not secret: its name cannot be checked offline`,
      });
      continue;
    }
    if (typeof entry !== "string") continue;
    const [name, ...rest] = entry.split("=");
    if (isSecretEnvName(name) && rest.join("=") !== "") {
      findings.push({
        ...at,
        kind: "plaintext-secret-env",
        level,
        subject: name,
        message: `container "${r.name}" sets ${name} in plain text: build the entry from a secret (config.requireSecret or pulumi.secret)`,
      });
    }
  }
  for (const upload of asArray(r.object.uploads)) {
    if (isSecretWrapper(upload) || !isJsonObject(upload) || typeof upload.file !== "string") continue;
    if (!isSecretFilePath(upload.file)) continue;
    const content = upload.content ?? upload.contentBase64;
    if (content === undefined || isSecretWrapper(content)) continue;
    findings.push({
      ...at,
      kind: "plaintext-secret-file",
      level,
      subject: upload.file,
      message: `container "${r.name}" uploads ${upload.file} with ${isUnknown(content) ? "non-secret" : "plain-text"} content: make the content a secret`,
    });
  }
  return findings;
}

export function offlineFindings(resources: readonly CapturedResource[], environment: string): OfflineFinding[] {
  const level = findingLevel(environment);
  return resources.filter((r) => r.type === containerType).flatMap((r) => containerFindings(r, level));
}
