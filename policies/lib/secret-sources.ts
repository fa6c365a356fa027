// Telling a generated or configured secret from a literal one. The pack receives secrets
// UNWRAPPED (Analyze and AnalyzeStack hand plain text), so a known secret and a known literal look
// alike; what differs is provenance: a real secret's value is (or contains) the output of a
// generator resource in this stack or a value of the stack's config. A known value traced to
// neither was typed into the program. Unknown values are never literals and are not judged here
// (the offline check sees the SDK's secret wrappers and covers "is it marked secret").
import type { PolicyResource } from "@pulumi/policy";
import { SECRETS_DIR } from "./app-settings";
import { RANDOM_BYTES, RANDOM_ID, RANDOM_PASSWORD, RANDOM_PET, RANDOM_STRING, RANDOM_UUID, TLS_PRIVATE_KEY } from "./resource-types";
import type { StackContext } from "./stack-context";
import { readKnown } from "./unknowns";
import { asString } from "./values";

/** Output properties that carry a generated secret, by resource type. */
const GENERATED_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  [RANDOM_PASSWORD]: ["result"],
  [RANDOM_STRING]: ["result"],
  [RANDOM_BYTES]: ["base64", "hex"],
  [TLS_PRIVATE_KEY]: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
  [RANDOM_ID]: ["hex", "b64Url", "b64Std", "dec"],
  [RANDOM_UUID]: ["result"],
  [RANDOM_PET]: ["id"],
};

/** Shorter values would match by accident inside unrelated text. */
const MIN_SOURCE_LENGTH = 8;

/** URL-safe base64 (Fernet keys are derived from RandomBytes.base64 this way). */
const urlSafe = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_");

/**
 * Known secret values the stack legitimately holds: generator outputs known at this preview (an
 * unknown one is skipped: nothing known can have been derived from it) and config values (only
 * those the CLI marks secret when it says which are; else all, which is weaker).
 */
export function knownSecretSources(resources: readonly PolicyResource[], ctx: StackContext): string[] {
  const sources: string[] = [];
  for (const r of resources) {
    for (const output of GENERATED_OUTPUTS[r.type] ?? []) {
      const value = readKnown(() => asString(r.props[output]));
      if (value.known && value.value) sources.push(value.value, urlSafe(value.value));
    }
  }
  for (const [key, value] of Object.entries(ctx.config)) {
    if (!ctx.secretKeys || ctx.secretKeys.includes(key)) sources.push(value);
  }
  return [...new Set(sources)].filter((s) => s.length >= MIN_SOURCE_LENGTH);
}

/** Whether a known value is, or embeds, one of the sources (e.g. a password inside DATABASE_URL). */
export const tracesToSource = (value: string, sources: readonly string[]): boolean => sources.some((s) => value.includes(s));

const SECRET_ENV_NAME = /(SECRET|PASSWORD|PASSWD|PASS|TOKEN|_KEY|DSN|CREDENTIAL|PRIVATE)/;
const NOT_SECRET_ENV_NAME = /(_KEY_ID$|_FILE$|PUBLISHABLE|_PATH$)/;

/** DB_PASSWORD, STRIPE_SECRET_KEY, SENTRY_DSN … but not AWS_ACCESS_KEY_ID, *_FILE or publishable keys. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_ENV_NAME.test(upper) && !NOT_SECRET_ENV_NAME.test(upper);
}

/** Anything under /run/secrets (Docker's secrets folder), userlist.txt, users.acl, server.key, privkey.pem, *password*, *secret*, *.pgpass. */
export function isSecretFilePath(path: string): boolean {
  const base = path.split("/").pop() ?? path;
  return path.startsWith(`${SECRETS_DIR}/`) || /(userlist|\.acl$|\.key$|privkey|password|secret|pgpass|credentials)/i.test(base);
}

/** The password inside a URL's user-info ("postgres://user:pw@host/db" -> "pw"). */
export function urlPassword(value: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:([^@/\s]+)@/i.exec(value);
  return match ? decodeURIComponent(match[1]) : undefined;
}
