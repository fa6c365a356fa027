// Globally named things per stack: production keeps its shipped names, every other stack gets its own
// by default, and a non-production stack cannot be pointed at names that are not its own.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ConfigError, defaultStorageNames, OFFLINE_SECRET_PLACEHOLDER, PRODUCTION_STORAGE_NAMES, validateStackConfig,
} from "../../components/config";

type Raw = Record<string, string>;

/** The shipped production stack file as the engine hands it over (secure values undecryptable). */
function productionFile(): { raw: Raw; secretKeys: Set<string> } {
  const file = parse(readFileSync(resolve(__dirname, "../../Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
  const raw: Raw = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(file.config)) {
    const secure = typeof value === "object" && value !== null && "secure" in value;
    if (secure) secretKeys.add(key);
    raw[key] = secure ? OFFLINE_SECRET_PLACEHOLDER : typeof value === "string" ? value : JSON.stringify(value);
  }
  return { raw, secretKeys };
}

const key = (name: string) => `jewelry-shop:${name}`;
const objectAt = (raw: Raw, name: string) => JSON.parse(raw[key(name)]) as Record<string, unknown>;
const setIn = (raw: Raw, name: string, values: Record<string, unknown>) => {
  raw[key(name)] = JSON.stringify({ ...objectAt(raw, name), ...values });
};

/** Production's file copied and edited as README.md's "A staging stack" says. */
function stagingAsDocumented(): { raw: Raw; secretKeys: Set<string> } {
  const { raw, secretKeys } = productionFile();
  raw[key("environment")] = "staging";
  raw[key("domain")] = "staging.goldleaf-jewelry.com";
  raw[key("domainAliases")] = JSON.stringify(["www.staging.goldleaf-jewelry.com"]);
  raw[key("siteUrl")] = "https://staging.goldleaf-jewelry.com";
  raw[key("stripePublishableKey")] = "pk_test_51ExampleOnlyReplaceMe0000";
  setIn(raw, "email", { fromAddress: "shop@staging.goldleaf-jewelry.com" });
  const b2 = objectAt(raw, "b2");
  delete b2.bucket;
  raw[key("b2")] = JSON.stringify(b2);
  return { raw, secretKeys };
}

function refusal(raw: Raw, secretKeys: Set<string>, stack: string): string {
  try {
    validateStackConfig(raw, secretKeys, stack);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the config to be refused");
}

describe("names shared beyond one stack", () => {
  it("keeps the shipped production stack's bucket names, so its next up replaces no bucket", () => {
    const { raw, secretKeys } = productionFile();
    const config = validateStackConfig(raw, secretKeys, "production");
    expect(config.cloudflare.mediaBucket).toBe(PRODUCTION_STORAGE_NAMES.mediaBucket);
    expect(config.cloudflare.backupBucket).toBe(PRODUCTION_STORAGE_NAMES.backupBucket);
    expect(config.b2.bucket).toBe(PRODUCTION_STORAGE_NAMES.b2Bucket);
    expect(PRODUCTION_STORAGE_NAMES).toEqual({
      mediaBucket: "jewelry-shop-media", backupBucket: "jewelry-shop-backups", b2Bucket: "jewelry-shop-backups-b2",
    });
  });

  it("gives every other stack bucket names of its own by default", () => {
    const { raw, secretKeys } = stagingAsDocumented();
    const config = validateStackConfig(raw, secretKeys, "staging");
    expect([config.cloudflare.mediaBucket, config.cloudflare.backupBucket, config.b2.bucket])
      .toEqual(["jewelry-shop-staging-media", "jewelry-shop-staging-backups", "jewelry-shop-staging-backups-b2"]);
    // A second production-environment stack is not the shipped one: its names are its own too.
    expect(defaultStorageNames("production-eu", "production").mediaBucket).toBe("jewelry-shop-production-eu-media");
    expect(defaultStorageNames("Staging_EU", "staging").b2Bucket).toBe("jewelry-shop-staging-eu-backups-b2");
  });

  it("refuses a copy of production with only its environment changed, naming every key that would reach production", () => {
    const { raw, secretKeys } = productionFile();
    raw[key("environment")] = "staging";
    raw[key("stripePublishableKey")] = "pk_test_51ExampleOnlyReplaceMe0000";
    const message = refusal(raw, secretKeys, "staging");
    expect(message).toContain('jewelry-shop:b2.bucket: "jewelry-shop-backups-b2" is the production stack\'s bucket');
    expect(message).toContain('pulumi config rm --path jewelry-shop:b2.bucket  (this stack\'s default is "jewelry-shop-staging-backups-b2")');
    expect(message).toContain('jewelry-shop:domain: "goldleaf-jewelry.com" has no label carrying the stack name "staging"');
    expect(message).toContain("pulumi config set jewelry-shop:domain staging.goldleaf-jewelry.com");
    expect(message).toContain('jewelry-shop:domainAliases[0]: "www.goldleaf-jewelry.com" has no label');
    expect(message).toContain('jewelry-shop:email.fromAddress: "goldleaf-jewelry.com" has no label');
    expect(message).toContain("pulumi config set --path jewelry-shop:email.fromAddress shop@staging.goldleaf-jewelry.com");
    expect(message).not.toMatch(/\n\s+at /);
  });

  it("takes explicit names in a staging stack only when they carry its name", () => {
    const { raw, secretKeys } = stagingAsDocumented();
    setIn(raw, "cloudflare", { mediaBucket: "goldleaf-media", backupBucket: "jewelry-shop-backups" });
    const message = refusal(raw, secretKeys, "staging");
    expect(message).toContain('jewelry-shop:cloudflare.mediaBucket: "goldleaf-media" does not carry the stack name "staging"');
    expect(message).toContain('jewelry-shop:cloudflare.backupBucket: "jewelry-shop-backups" is the production stack\'s bucket');

    setIn(raw, "cloudflare", { mediaBucket: "goldleaf-staging-media", backupBucket: "staging-goldleaf-backups" });
    setIn(raw, "b2", { bucket: "goldleaf-staging-pgbackrest" });
    const config = validateStackConfig(raw, secretKeys, "staging");
    expect([config.cloudflare.mediaBucket, config.cloudflare.backupBucket, config.b2.bucket])
      .toEqual(["goldleaf-staging-media", "staging-goldleaf-backups", "goldleaf-staging-pgbackrest"]);
  });

  it("leaves a production stack free to name its own buckets", () => {
    const { raw, secretKeys } = productionFile();
    setIn(raw, "cloudflare", { mediaBucket: "goldleaf-media" });
    expect(validateStackConfig(raw, secretKeys, "production").cloudflare.mediaBucket).toBe("goldleaf-media");
  });

  it("asks for an explicit name when the stack name is too long for a default one", () => {
    const { raw, secretKeys } = stagingAsDocumented();
    const stack = "staging-for-the-autumn-collection-launch";
    raw[key("domain")] = `${stack}.goldleaf-jewelry.com`;
    raw[key("domainAliases")] = "[]";
    raw[key("siteUrl")] = `https://${stack}.goldleaf-jewelry.com`;
    setIn(raw, "email", { fromAddress: `shop@${stack}.goldleaf-jewelry.com` });
    const message = refusal(raw, secretKeys, stack);
    expect(message).toContain(`jewelry-shop:b2.bucket: has no usable default for stack "${stack}"`);
    expect(message).toContain("pulumi config set --path jewelry-shop:b2.bucket <name of your own>");
  });
});
