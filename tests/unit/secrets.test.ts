// The generated secrets meet what their consumers demand: Django's `check --deploy` for the secret key,
// cryptography's Fernet for the two encryption keys.
import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fernetKeyFromBase64 } from "../../components/secrets/secrets";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fernet = require("fernet") as {
  Secret: new (key: string) => unknown;
  Token: new (opts: { secret: unknown; token?: string; ttl?: number }) => { encode(message: string): string; decode(token?: string): string };
};

/** Django's rule (django/core/checks/security/base.py, W009). */
function djangoRejects(key: string): boolean {
  return key.length < 50 || new Set(key).size < 5 || key.startsWith("django-insecure-");
}

/** What random.RandomPassword draws from with the Secrets component's arguments (length 64, overrideSpecial). */
function sampleDjangoKey(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + "!#%&*()-_=+[]{}<>:?";
  return Array.from({ length: 64 }, () => alphabet[randomInt(alphabet.length)]).join("");
}

describe("generated secrets", () => {
  it("DJANGO_SECRET_KEY as generated passes Django's deploy check every time", () => {
    for (let i = 0; i < 1000; i++) expect(djangoRejects(sampleDjangoKey())).toBe(false);
    expect(djangoRejects("django-insecure-" + "x".repeat(60))).toBe(true);
  });

  it("the Fernet keys decode to 32 bytes and encrypt and decrypt with a Fernet implementation", () => {
    // random.RandomBytes(length 32).base64 is standard base64; Fernet wants the URL-safe alphabet.
    let sawUrlUnsafe = false;
    for (let i = 0; i < 50; i++) {
      const standard = randomBytes(32).toString("base64");
      sawUrlUnsafe ||= /[+/]/.test(standard);
      const key = fernetKeyFromBase64(standard);
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(key, "base64url")).toHaveLength(32);
      const secret = new fernet.Secret(key);
      const token = new fernet.Token({ secret }).encode("backup of tenant 42");
      expect(new fernet.Token({ secret, token, ttl: 0 }).decode()).toBe("backup of tenant 42");
    }
    expect(sawUrlUnsafe).toBe(true);
  });
});
