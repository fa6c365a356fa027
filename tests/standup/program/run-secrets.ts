// Values for the stack's `secure:` config keys, generated afresh for each stand-up: the shipped
// ciphertexts cannot be decrypted here. Each value has the shape the program's config rules demand
// (components/config/rules.ts), so the run exercises the same validation a real `pulumi up` does.
// Every address in them points at the container itself or nowhere (127.0.0.1, .invalid): a
// stand-up never talks to Stripe, Sentry, SendGrid, Slack or Backblaze.
import { randomBytes, randomInt } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const alnum = (length: number): string => Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join("");
const hex = (length: number): string => randomBytes(Math.ceil(length / 2)).toString("hex").slice(0, length);

/** Generators by config key (without the project prefix). */
const GENERATORS: Readonly<Record<string, () => string>> = {
  stripeSecretKey: () => `sk_live_${alnum(32)}`,
  stripeWebhookSecret: () => `whsec_${alnum(32)}`,
  twilioAuthToken: () => hex(32),
  goldApiKey: () => alnum(32),
  metalsApiKey: () => alnum(32),
  sentryDsn: () => `https://${hex(32)}@127.0.0.1/1`,
  emailApiKey: () => `SG.${alnum(22)}.${alnum(43)}`,
  smtpPassword: () => alnum(32),
  sesSecretAccessKey: () => alnum(40),
  b2MasterApplicationKey: () => alnum(31),
  alertWebhookSecret: () => `https://127.0.0.1/services/T${alnum(8)}/B${alnum(8)}/${alnum(24)}`,
  smtpAlertPassword: () => alnum(32),
  apiToken: () => alnum(40),
};

/**
 * A fresh value for every undecryptable key ("<namespace>:<key>"); a key without a generator fails
 * the stand-up with its name, so a new credential cannot silently run with a placeholder.
 */
export function generateRunSecrets(keys: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const key of keys) {
    const generate = GENERATORS[key.slice(key.indexOf(":") + 1)];
    if (generate) values[key] = generate();
    else missing.push(key);
  }
  if (missing.length > 0) {
    throw new Error(`no test value generator for the secure config key(s) ${missing.join(", ")}: add one to tests/standup/program/run-secrets.ts`);
  }
  return values;
}
