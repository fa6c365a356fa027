// Stack config validation: every problem names the key, says what is wrong and how to fix it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, OFFLINE_SECRET_PLACEHOLDER, validateStackConfig } from "../../components/config";

/** The shipped production stack as the engine hands it to the program (secure values undecryptable). */
function productionConfig(): { raw: Record<string, string>; secretKeys: Set<string> } {
  const file = parse(readFileSync(resolve(__dirname, "../../Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
  const raw: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(file.config)) {
    if (value && typeof value === "object" && "secure" in value) {
      raw[key] = OFFLINE_SECRET_PLACEHOLDER;
      secretKeys.add(key);
    } else raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { raw, secretKeys };
}

function problemsOf(change: (raw: Record<string, string>, secretKeys: Set<string>) => void): string {
  const { raw, secretKeys } = productionConfig();
  change(raw, secretKeys);
  try {
    validateStackConfig(raw, secretKeys);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n\s+at /); // no stack trace in what the user sees
    return message;
  }
  throw new Error("expected the config to be refused");
}

const email = (raw: Record<string, string>) => JSON.parse(raw["jewelry-shop:email"]) as Record<string, unknown>;

describe("stack config validation", () => {
  it("accepts the shipped production stack, secure values treated as set", () => {
    const { raw, secretKeys } = productionConfig();
    const config = validateStackConfig(raw, secretKeys);
    expect(config.environment).toBe("production");
    expect(config.sizes.postgres).toEqual({ memoryMb: 4096, cpus: 2 });
    expect(config.sizes.redis).toEqual({ memoryMb: 1024, cpus: 0.5 });
  });

  it("names a missing required key and the command that sets it", () => {
    const message = problemsOf((raw) => delete raw["jewelry-shop:domain"]);
    expect(message).toContain("jewelry-shop:domain: is required but not set");
    expect(message).toContain("pulumi config set jewelry-shop:domain shop.example.org");
  });

  it("refuses the latest tag and untagged app images", () => {
    expect(problemsOf((raw) => (raw["jewelry-shop:appImage"] = "registry.example.org/jewelry-shop/web:latest"))).toMatch(/jewelry-shop:appImage: .*`latest`/);
    expect(problemsOf((raw) => (raw["jewelry-shop:appImage"] = "registry.example.org/jewelry-shop/web"))).toMatch(/jewelry-shop:appImage: .*no tag or digest/);
  });

  it("refuses a Stripe test key in production", () => {
    const message = problemsOf((raw, secretKeys) => {
      raw["jewelry-shop:stripeSecretKey"] = "sk_test_abcdefghijklmnop";
      secretKeys.add("jewelry-shop:stripeSecretKey");
    });
    expect(message).toMatch(/jewelry-shop:stripeSecretKey: is a Stripe TEST key/);
    expect(message).toContain("pulumi config set --secret jewelry-shop:stripeSecretKey sk_live_");
  });

  it("refuses a missing credential of the chosen email provider", () => {
    const message = problemsOf((raw) => {
      raw["jewelry-shop:email"] = JSON.stringify({ ...email(raw), provider: "smtp" });
    });
    expect(message).toMatch(/jewelry-shop:email\.smtpHost: is required when email\.provider is smtp/);
    expect(message).toMatch(/jewelry-shop:smtpPassword: is required when email\.provider is smtp/);
    expect(message).toContain("pulumi config set --secret jewelry-shop:smtpPassword");
  });

  it("refuses an invalid from-address and one off the shop's domain", () => {
    expect(problemsOf((raw) => (raw["jewelry-shop:email"] = JSON.stringify({ ...email(raw), fromAddress: "not-an-address" }))))
      .toMatch(/jewelry-shop:email\.fromAddress: "not-an-address" is not a valid email address/);
    expect(problemsOf((raw) => (raw["jewelry-shop:email"] = JSON.stringify({ ...email(raw), fromAddress: "shop@gmail.com" }))))
      .toMatch(/not on the shop's domain/);
  });

  it("refuses a plain-http site URL in production", () => {
    expect(problemsOf((raw) => (raw["jewelry-shop:siteUrl"] = "http://shop.example.org")))
      .toMatch(/jewelry-shop:siteUrl: must use https:\/\/ in production/);
  });

  it("refuses DEBUG and another settings module in production", () => {
    const message = problemsOf((raw) => {
      raw["jewelry-shop:debug"] = "true";
      raw["jewelry-shop:djangoSettingsModule"] = "config.settings.dev";
    });
    expect(message).toContain("jewelry-shop:debug: must be false in production");
    expect(message).toContain("jewelry-shop:djangoSettingsModule: must be config.settings.production");
  });

  it("refuses a credential stored in plain text", () => {
    const message = problemsOf((raw, secretKeys) => {
      secretKeys.delete("jewelry-shop:twilioAuthToken");
      raw["jewelry-shop:twilioAuthToken"] = "0123456789abcdef0123456789abcdef";
    });
    expect(message).toMatch(/jewelry-shop:twilioAuthToken: is a credential stored in plain text/);
  });

  it("refuses an unknown key, so typos do not pass silently", () => {
    expect(problemsOf((raw) => (raw["jewelry-shop:domian"] = "shop.example.org"))).toMatch(/jewelry-shop:domian: is not a setting of this program/);
  });

  it("refuses invalid sizes and empty tenant tables with the nested key", () => {
    const message = problemsOf((raw) => {
      raw["jewelry-shop:sizes"] = JSON.stringify({ redis: { memoryMb: 8, cpus: 1 } });
      raw["jewelry-shop:postgres"] = JSON.stringify({ tenantTables: [] });
    });
    expect(message).toContain("jewelry-shop:sizes.redis.memoryMb: must be at least 64 (MiB)");
    expect(message).toContain("jewelry-shop:postgres.tenantTables: must name at least one tenant table");
    expect(message).toContain("pulumi config set --path jewelry-shop:postgres.tenantTables");
  });
});
