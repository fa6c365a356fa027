// Stack config validation: every problem names the key, says what is wrong and how to fix it.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../check/stack-config";
import { ConfigError, validateStackConfig } from "../../components/config";

/** The shipped production stack as the CLI hands it to the program (secure values undecryptable). */
function productionConfig(): { raw: Record<string, string>; secretKeys: Set<string> } {
  const stack = readStackConfig(resolve(__dirname, "../.."), "production");
  return { raw: { ...stack.config }, secretKeys: new Set(stack.secretKeys) };
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

  it("says a missing environment is missing, not an invalid option", () => {
    const message = problemsOf((raw) => delete raw["jewelry-shop:environment"]);
    expect(message).toContain("jewelry-shop:environment: is required but not set");
    expect(message).toContain("fix: pulumi config set jewelry-shop:environment production");
    expect(message).not.toContain("Invalid option");
  });

  it("tells to quote a phone number YAML read as a number (the CLI hands the program 15550100000)", () => {
    const message = problemsOf((raw) => (raw["jewelry-shop:twilioPhoneNumber"] = "15550100000"));
    expect(message).toContain('jewelry-shop:twilioPhoneNumber: is 15550100000, without the leading "+"');
    expect(message).toContain('quote it in the stack file (jewelry-shop:twilioPhoneNumber: "+15550100000")');
  });

  it("tells to quote a nested text value YAML read as a number", () => {
    const message = problemsOf((raw) => (raw["jewelry-shop:b2"] = JSON.stringify({ ...JSON.parse(raw["jewelry-shop:b2"]), masterKeyId: 3e22 })));
    expect(message).toContain("jewelry-shop:b2.masterKeyId: is the number 3e+22, not text: YAML reads an unquoted 3e+22 as a number");
    expect(message).toContain('quote the value in the stack file (masterKeyId: "…")');
  });

  it("suggests the nearest valid key for a misspelt one and never sets the misspelt key", () => {
    const sizes = problemsOf((raw) => (raw["jewelry-shop:sizes"] = JSON.stringify({ postgress: { memoryMb: 4096, cpus: 2 } })));
    expect(sizes).toContain("jewelry-shop:sizes.postgress: is not one of the names allowed in sizes; did you mean sizes.postgres?");
    expect(sizes).toContain("rename sizes.postgress to sizes.postgres in the stack file");
    expect(sizes).not.toMatch(/config set \S* ?jewelry-shop:sizes\.postgress/);
    const app = problemsOf((raw) => (raw["jewelry-shop:app"] = JSON.stringify({ clientMaxBodyMB: 20 })));
    expect(app).toContain("jewelry-shop:app.clientMaxBodyMB: is not a setting of this program; did you mean app.clientMaxBodyMb?");
    expect(problemsOf((raw) => (raw["jewelry-shop:domian"] = "shop.example.org"))).toContain("did you mean domain?");
  });

  it("refuses the Cloudflare provider's API token in plain text", () => {
    const message = problemsOf((raw, secretKeys) => {
      raw["cloudflare:apiToken"] = "plain-token-from-the-dashboard";
      secretKeys.delete("cloudflare:apiToken");
    });
    expect(message).toContain("cloudflare:apiToken: is a credential stored in plain text in the stack file");
    expect(message).toContain("pulumi config set --secret cloudflare:apiToken <value>");
  });

  it("refuses a tenant table listed twice", () => {
    const message = problemsOf((raw) => {
      const postgres = JSON.parse(raw["jewelry-shop:postgres"]);
      postgres.tenantTables.push({ table: "sales_sale", schema: "public" });
      raw["jewelry-shop:postgres"] = JSON.stringify(postgres);
    });
    expect(message).toContain("jewelry-shop:postgres.tenantTables[4]: repeats public.sales_sale, already listed as postgres.tenantTables[1]");
  });

  it("refuses a B2 bucket name with the b2- prefix Backblaze reserves", () => {
    const message = problemsOf((raw) => (raw["jewelry-shop:b2"] = JSON.stringify({ ...JSON.parse(raw["jewelry-shop:b2"]), bucket: "B2-shop-backups" })));
    expect(message).toContain('jewelry-shop:b2.bucket: "B2-shop-backups" starts with "b2-", a prefix Backblaze reserves for itself');
    // The fix keeps the user's own name rather than proposing production's.
    expect(message).toContain("jewelry-shop:b2.bucket shop-backups");
  });

  it("accepts a B2 bucket name of 63 characters, the B2 maximum", () => {
    const { raw, secretKeys } = productionConfig();
    raw["jewelry-shop:b2"] = JSON.stringify({ ...JSON.parse(raw["jewelry-shop:b2"]), bucket: "b".repeat(63) });
    expect(validateStackConfig(raw, secretKeys).b2.bucket).toBe("b".repeat(63));
  });

  it("refuses container sizes no host has: memory beyond the declared host, CPUs beyond its count", () => {
    const message = problemsOf((raw) => (raw["jewelry-shop:sizes"] = JSON.stringify({ postgres: { memoryMb: 10000000, cpus: 16 } })));
    expect(message).toContain("jewelry-shop:sizes: the containers' memory limits add up to 10014592 MiB, more than the 31744 MiB the host has for them");
    expect(message).toContain("largest: sizes.postgres.memoryMb 10000000");
    expect(message).toContain("jewelry-shop:sizes.postgres.cpus: is 16, more than the host's 8 CPUs (hostSize.cpus): Docker refuses the container");
  });

  it("requires the host's size", () => {
    const message = problemsOf((raw) => delete raw["jewelry-shop:hostSize"]);
    expect(message).toContain("jewelry-shop:hostSize: is required but not set");
    expect(message).toContain("set each of its settings (memoryMb, cpus): pulumi config set --path jewelry-shop:hostSize.memoryMb 32768");
  });
});
