// Pure pieces of the check engine: no program run, no pack.
import { describe, expect, it } from "vitest";
import type { AnalyzerInfo } from "../../check/analyzer-client";
import { isSecretEnvName, isSecretFilePath, offlineFindings } from "../../check/offline-findings";
import { wrapSecret } from "../../check/property-values";
import { parsePolicyPackConfig, reconcilePolicyConfig } from "../../check/policy-config";
import { durationSeconds, engineUrn, type CapturedResource } from "../../check/run-program";
import { OFFLINE_SECRET_PLACEHOLDER, readStackConfig } from "../../check/stack-config";
import { fixtureRoot } from "./run-cli";

describe("stack config", () => {
  it("JSON-encodes structured values and gives secure: values a marked placeholder", () => {
    const c = readStackConfig(fixtureRoot, "production");
    expect(JSON.parse(c.config["check-demo:extraEnv"])).toEqual({ LOG_LEVEL: "info", SENTRY_DSN_FILE: "/run/secrets/sentry_dsn" });
    expect(c.config["check-demo:attachNetwork"]).toBe("true");
    expect(c.config["check-demo:apiToken"]).toBe(OFFLINE_SECRET_PLACEHOLDER);
    expect(c.secretKeys).toEqual(["check-demo:apiToken"]);
    expect(c.environment).toBe("production");
  });
});

describe("engine URNs", () => {
  it("does not qualify root children by the stack type, but qualifies deeper children by the full parent type", () => {
    const stackUrn = "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod";
    const component = engineUrn("prod", "p", stackUrn, "my:index:Comp", "c");
    expect(component).toBe("urn:pulumi:prod::p::my:index:Comp::c");
    const child = engineUrn("prod", "p", component, "docker:index/volume:Volume", "v");
    expect(engineUrn("prod", "p", child, "x:y:Z", "z")).toBe("urn:pulumi:prod::p::my:index:Comp$docker:index/volume:Volume$x:y:Z::z");
  });

  it("converts custom timeouts to seconds", () => {
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("")).toBe(0);
  });
});

describe("policy pack config", () => {
  const info: AnalyzerInfo = {
    name: "pack",
    version: "1.0.0",
    initialConfig: {},
    policies: [
      { name: "a", description: "", enforcementLevel: "mandatory", policyType: "resource", tags: [] },
      {
        name: "b",
        description: "",
        enforcementLevel: "advisory",
        policyType: "resource",
        tags: [],
        configSchema: { properties: { limit: { type: "number", default: 3 } }, required: [] },
      },
    ],
  };

  it("fills schema defaults, then applies all, then the policy's own entry", () => {
    const config = reconcilePolicyConfig(info, parsePolicyPackConfig('{"all": "advisory", "b": {"enforcementLevel": "disabled"}}', "f"));
    expect(config).toEqual({
      a: { enforcementLevel: "advisory", properties: undefined },
      b: { enforcementLevel: "disabled", properties: { limit: 3 } },
    });
  });

  it("rejects properties that break the policy's schema", () => {
    expect(() => reconcilePolicyConfig(info, { b: { properties: { limit: "many" } } })).toThrow(/b: \/limit must be number/);
  });

  it("rejects a policy name the pack does not have", () => {
    expect(() => reconcilePolicyConfig(info, { c: { enforcementLevel: "advisory" } })).toThrow(/names no policy of pack: c/);
  });

  it("rejects a value that is neither a level nor an object", () => {
    expect(() => parsePolicyPackConfig('{"a": 3}', "f")).toThrow(/must be an enforcement level or an object/);
  });
});

describe("offline secret rule", () => {
  it("treats secret-looking names as secrets but not key ids, file paths or publishable keys", () => {
    for (const name of ["DB_PASSWORD", "REDIS_PASS", "STRIPE_SECRET_KEY", "SENTRY_DSN", "API_TOKEN", "B2_APPLICATION_KEY"]) {
      expect(isSecretEnvName(name), name).toBe(true);
    }
    for (const name of ["AWS_ACCESS_KEY_ID", "SENTRY_DSN_FILE", "STRIPE_PUBLISHABLE_KEY", "LOG_LEVEL"]) {
      expect(isSecretEnvName(name), name).toBe(false);
    }
  });

  it("treats userlists, ACLs, keys and password files as secret files", () => {
    expect(["/etc/pgbouncer/userlist.txt", "/etc/redis/users.acl", "/tls/server.key", "/run/db_password"].every(isSecretFilePath)).toBe(true);
    expect(isSecretFilePath("/etc/nginx/nginx.conf")).toBe(false);
  });

  it("treats every file under /run/secrets as a secret file, whatever its name", () => {
    for (const file of ["/run/secrets/SENTRY_DSN", "/run/secrets/TWILIO_AUTH_TOKEN", "/run/secrets/DATABASE_URL"]) expect(isSecretFilePath(file), file).toBe(true);
    expect(isSecretFilePath("/run/secretsX/DSN")).toBe(false);
  });

  it("flags a plain-text upload under /run/secrets, mandatory in production, and not a secret one", () => {
    const app = {
      type: "docker:index/container:Container", name: "app-web", urn: "urn:pulumi:production::p::docker:index/container:Container::app-web",
      custom: true, version: "", dependencies: [], propertyDependencies: {}, options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [], customTimeouts: { create: 0, update: 0, delete: 0 } },
      object: {
        uploads: [
          { file: "/run/secrets/TWILIO_AUTH_TOKEN", content: "0123456789abcdef0123456789abcdef" },
          { file: "/run/secrets/SENTRY_DSN", content: wrapSecret("https://k@o0.ingest.sentry.io/1") },
        ],
      },
    } satisfies CapturedResource;
    expect(offlineFindings([app], "production").map((f) => [f.kind, f.subject, f.level])).toEqual([
      ["plaintext-secret-file", "/run/secrets/TWILIO_AUTH_TOKEN", "mandatory"],
    ]);
  });
});
