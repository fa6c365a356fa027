import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CloudflareEdge, R2Storage } from "../../components/cloudflare/cloudflare";
import { OFFLINE_SECRET_PLACEHOLDER, toStackConfig, validateStackConfig, type StackConfig } from "../../components/config";

const TYPES = {
  record: "cloudflare:index/dnsRecord:DnsRecord",
  bucket: "cloudflare:index/r2Bucket:R2Bucket",
  token: "cloudflare:index/apiToken:ApiToken",
} as const;

/** The shipped production stack, with `secure:` values as the offline check sees them. */
function productionConfig(): StackConfig {
  const file = parse(readFileSync(join(__dirname, "..", "..", "Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
  const raw: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(file.config)) {
    const secure = typeof value === "object" && value !== null && "secure" in value;
    if (secure) secretKeys.add(key);
    raw[key] = secure ? OFFLINE_SECRET_PLACEHOLDER : typeof value === "string" ? value : JSON.stringify(value);
  }
  return toStackConfig(validateStackConfig(raw, secretKeys));
}

const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));
const tokenValue = (name: string) => `mock-token-value-${name}`;

interface Created { type: string; name: string; inputs: Record<string, unknown> }
const created: Created[] = [];
const ofType = (type: string) => created.filter((r) => r.type === type);
let config: StackConfig;
let edge: CloudflareEdge;
let storage: R2Storage;

beforeAll(async () => {
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      const state = args.type === TYPES.token ? { ...args.inputs, value: tokenValue(args.name) } : args.inputs;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}: the Cloudflare components must not look anything up`);
    },
  }, "jewelry-shop", "production", false);
  config = productionConfig();
  edge = new CloudflareEdge("cloudflare-edge", { zoneId: config.cloudflare.zoneId, dns: config });
  storage = new R2Storage("r2", {
    accountId: config.cloudflare.accountId,
    location: config.cloudflare.r2Location,
    buckets: { media: config.cloudflare.mediaBucket, backups: config.cloudflare.backupBucket },
    stack: "production",
  });
  await Promise.all([...Object.values(edge.records), ...Object.values(storage.tokens)].map((r) => valueOf(r.id)));
});

describe("CloudflareEdge on the production stack", () => {
  const record = (type: string, name: string) => ofType(TYPES.record).filter((r) => r.inputs.type === type && r.inputs.name === name);

  it("creates proxied A records for the domain and its alias in the configured zone, TTL auto", () => {
    for (const host of ["goldleaf-jewelry.com", "www.goldleaf-jewelry.com"]) {
      const [a] = record("A", host);
      expect(a?.inputs).toMatchObject({ zoneId: config.cloudflare.zoneId, content: "203.0.113.10", proxied: true, ttl: 1 });
    }
  });

  it("creates CAA records that admit only Let's Encrypt", () => {
    const caa = record("CAA", "goldleaf-jewelry.com").map((r) => r.inputs.data as { tag: string; value: string });
    expect(caa.filter((d) => d.tag === "issue").map((d) => d.value)).toEqual(["letsencrypt.org"]);
    expect(caa.find((d) => d.tag === "issuewild")?.value).toBe(";");
  });

  it("creates SPF, the SendGrid DKIM CNAMEs unproxied, and DMARC", () => {
    expect(record("TXT", "goldleaf-jewelry.com").map((r) => r.inputs.content)).toEqual(["v=spf1 include:sendgrid.net -all"]);
    const dkim = record("CNAME", "s1._domainkey.goldleaf-jewelry.com");
    expect(dkim).toHaveLength(1);
    expect(dkim[0]?.inputs).toMatchObject({ content: "s1.domainkey.u0000000.wl000.sendgrid.net", proxied: false });
    expect(record("TXT", "_dmarc.goldleaf-jewelry.com")[0]?.inputs.content).toMatch(/^v=DMARC1; p=quarantine; rua=mailto:dmarc@goldleaf-jewelry\.com;/);
  });

  it("names every record after the component, one resource per spec", () => {
    const records = ofType(TYPES.record).filter((r) => r.name.startsWith("cloudflare-edge-"));
    expect(records).toHaveLength(edge.specs.length);
    expect(records.map((r) => r.name)).toContain("cloudflare-edge-a-goldleaf-jewelry-com");
  });

  it("points a config error at the component instead of creating half the records", () => {
    const smtp = { ...config, email: { ...config.email, provider: "smtp" as const, spfInclude: undefined } };
    expect(() => new CloudflareEdge("broken-edge", { zoneId: config.cloudflare.zoneId, dns: smtp })).toThrow(/email\.spfInclude is required/);
    expect(created.some((r) => r.name.startsWith("broken-edge-"))).toBe(false);
  });
});

describe("R2Storage on the production stack", () => {
  const resourcesOf = (tokenName: string) => {
    const token = ofType(TYPES.token).find((r) => r.name === tokenName);
    const policies = token?.inputs.policies as { resources: string }[];
    return policies.flatMap((p) => Object.keys(JSON.parse(p.resources) as Record<string, string>));
  };

  it("creates the media and backup buckets, Standard class, in the configured location, and no public domain", () => {
    const buckets = ofType(TYPES.bucket).map((r) => r.inputs);
    expect(buckets).toHaveLength(2);
    for (const name of ["jewelry-shop-media", "jewelry-shop-backups"]) {
      expect(buckets).toContainEqual(expect.objectContaining({ name, accountId: config.cloudflare.accountId, location: "weur", storageClass: "Standard" }));
    }
    expect(created.filter((r) => /R2(Managed|Custom)Domain/i.test(r.type))).toEqual([]);
  });

  it("scopes each of the two tokens to its own bucket only", () => {
    expect(ofType(TYPES.token)).toHaveLength(2);
    const prefix = `com.cloudflare.edge.r2.bucket.${config.cloudflare.accountId}_default_`;
    expect(resourcesOf("r2-media-token")).toEqual([`${prefix}jewelry-shop-media`]);
    expect(resourcesOf("r2-backups-token")).toEqual([`${prefix}jewelry-shop-backups`]);
    expect(JSON.stringify(ofType(TYPES.token).find((r) => r.name === "r2-media-token")?.inputs)).not.toContain("jewelry-shop-backups");
  });

  it("derives S3 credentials from each token and keeps the secret key a Pulumi secret", async () => {
    for (const [purpose, access] of [["media", storage.media], ["backups", storage.backups]] as const) {
      expect(access.endpoint).toBe(`https://${config.cloudflare.accountId}.r2.cloudflarestorage.com`);
      expect(await valueOf(access.accessKeyId)).toBe(`r2-${purpose}-token-id`);
      expect(await valueOf(access.secretAccessKey)).toBe(createHash("sha256").update(tokenValue(`r2-${purpose}-token`)).digest("hex"));
      expect(await pulumi.isSecret(access.secretAccessKey)).toBe(true);
      expect(await valueOf(access.bucket)).toBe(purpose === "media" ? "jewelry-shop-media" : "jewelry-shop-backups");
    }
  });

  it("refuses one bucket for both purposes", () => {
    expect(() => new R2Storage("same", {
      accountId: config.cloudflare.accountId, location: "weur", stack: "production",
      buckets: { media: "jewelry-shop-data", backups: "jewelry-shop-data" },
    })).toThrow(/must differ/);
  });
});
