// scripts/stack-secret.ts seals a stack's secrets as the Pulumi CLI's passphrase provider does, so a
// stack file made without the CLI is one the CLI opens with the same passphrase.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, seal, stackKey } from "../../scripts/stack-secret";

/**
 * Made by Pulumi's own code, copied verbatim into a Go program (pulumi/pulumi@1b59498:
 * pkg/secrets/passphrase/manager.go NewPassphraseSecretsManager, sdk/go/common/resource/config/crypt.go
 * EncryptValue; golang.org/x/crypto/pbkdf2 from Debian's golang-golang-x-crypto-dev).
 */
const PULUMI_SEALED = {
  passphrase: "known-answer passphrase",
  saltState: "v1:GiWAl6Lf4cQ=:v1:WIDyD0y7xRjbrsgg:8arRWBTc5H8mUIG4Cp40LZxjIAT+uw==",
  value: "v1:8bKHxxF6j/FMofAi:LIQoBgeYHW/6TVcsm9SxMqAhpRgl31Wd/+QNdwGGZzrWF7rZhBnvcQf1QTdH",
  plaintext: "sk_test_sealedByPulumisGoCode",
};

const repoRoot = path.resolve(__dirname, "../..");
let dir: string;

function runScript(passphrase: string, keys: string[], stdin: string): { code: number; stderr: string } {
  const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
  try {
    execFileSync(process.execPath, [tsx, path.join(repoRoot, "scripts/stack-secret.ts"), "--root", dir, "staging", ...keys], {
      input: stdin, env: { PATH: process.env.PATH, PULUMI_CONFIG_PASSPHRASE: passphrase }, stdio: ["pipe", "pipe", "pipe"],
    });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failed = error as { status: number; stderr: Buffer };
    return { code: failed.status, stderr: failed.stderr.toString() };
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "js-stack-secret-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: jewelry-shop\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config:\n  jewelry-shop:environment: staging\n");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("sealing a stack's secrets without the Pulumi CLI", () => {
  it("opens what Pulumi's passphrase provider sealed, and seals what it opens the same way", () => {
    const opened = stackKey(PULUMI_SEALED.passphrase, PULUMI_SEALED.saltState);
    if (opened.error !== undefined) throw new Error(opened.error);
    expect(open(opened.key, PULUMI_SEALED.value)).toBe(PULUMI_SEALED.plaintext);
    const resealed = seal(opened.key, "whsec_0123456789abcdefXYZ");
    expect(resealed).toMatch(/^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]{56}$/);
    expect(open(opened.key, resealed)).toBe("whsec_0123456789abcdefXYZ");
    expect(stackKey("another passphrase", PULUMI_SEALED.saltState).error).toMatch(/does not open its encryptionsalt/);
  });

  it("writes the stack's own salt first, then seals each value from stdin under it", () => {
    expect(runScript("staging passphrase", ["stripeSecretKey", "cloudflare:apiToken"], "sk_test_abcdefghijklmnop\ncf-token-value\n").code).toBe(0);
    const file = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
    const saltState = /^encryptionsalt: (\S+)\n/.exec(file)?.[1];
    expect(saltState).toMatch(/^v1:[A-Za-z0-9+/]{11}=:v1:/);
    const opened = stackKey("staging passphrase", saltState);
    if (opened.error !== undefined) throw new Error(opened.error);
    const sealed = (key: string) => new RegExp(`^  ${key}:\\n    secure: (\\S+)$`, "m").exec(file)?.[1] ?? "";
    expect(open(opened.key, sealed("jewelry-shop:stripeSecretKey"))).toBe("sk_test_abcdefghijklmnop");
    expect(open(opened.key, sealed("cloudflare:apiToken"))).toBe("cf-token-value");
    expect(file).toContain("jewelry-shop:environment: staging");
  });

  it("refuses a passphrase that does not open the stack's salt, and missing values, writing nothing", () => {
    const before = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
    const wrong = runScript("not the staging passphrase", ["sentryDsn"], "https://x@o0.ingest.sentry.io/1\n");
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringContaining("the passphrase does not open its encryptionsalt") });
    const short = runScript("staging passphrase", ["sentryDsn", "twilioAuthToken"], "https://x@o0.ingest.sentry.io/1\n");
    expect(short).toMatchObject({ code: 2, stderr: expect.stringContaining("expected 2 non-empty line(s) on stdin") });
    expect(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8")).toBe(before);
  });
});
