import { describe, expect, it } from "vitest";
import { baseline, mutate, setEnv, stackContext } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const compliant = baseline();
const preview = baseline({ secretsKnown: false });
const onWeb = (key: string, value: string | undefined) => mutate(compliant, "app-web", (p) => setEnv(p, key, value));

describe("required-app-env-vars", () => {
  it("passes when the app sets the whole contract", async () => {
    expect(await findingsOf("required-app-env-vars", compliant, ctx)).toEqual([]);
  });
  it("accepts DB_HOST and DB_PORT in place of DATABASE_URL", async () => {
    expect(await findingsOf("required-app-env-vars", onWeb("DATABASE_URL", undefined), ctx)).toEqual([]);
  });
  it("fails when a variable of the contract is missing", async () => {
    expect(await messagesOf("required-app-env-vars", onWeb("TWILIO_PHONE_NUMBER", undefined), ctx)).toEqual(["missing or empty: TWILIO_PHONE_NUMBER."]);
  });
  it("fails when a variable is empty", async () => {
    expect(await messagesOf("required-app-env-vars", onWeb("SENTRY_ENVIRONMENT", ""), ctx)).toEqual(["missing or empty: SENTRY_ENVIRONMENT."]);
  });
  it("cannot decide at a first preview while secret entries hide their names", async () => {
    const findings = await findingsOf("required-app-env-vars", preview, ctx);
    expect(findings.map((f) => f.level)).toEqual(["advisory", "advisory"]);
    expect(findings[0].message).toMatch(/can't run policy/);
  });
  it("still fails at a first preview when more is missing than unknown entries could hold", async () => {
    const stripped = mutate(preview, "app-web", (p) => {
      p.envs = (p.envs as string[]).filter((e) => e.startsWith("DJANGO_SETTINGS_MODULE=") || e.length === 36);
    });
    expect((await messagesOf("required-app-env-vars", stripped, ctx))[0]).toMatch(/^missing or empty: DEBUG, DJANGO_ALLOWED_HOSTS, SITE_URL/);
  });
});

describe("django-settings-module-production", () => {
  it("passes with config.settings.production", async () => {
    expect(await findingsOf("django-settings-module-production", compliant, ctx)).toEqual([]);
  });
  it("fails with another settings module", async () => {
    expect(await messagesOf("django-settings-module-production", onWeb("DJANGO_SETTINGS_MODULE", "config.settings.staging"), ctx))
      .toEqual(['DJANGO_SETTINGS_MODULE is "config.settings.staging", not "config.settings.production".']);
  });
});

describe("django-debug-off", () => {
  it("passes with DEBUG=False", async () => {
    expect(await findingsOf("django-debug-off", compliant, ctx)).toEqual([]);
  });
  it("fails with DEBUG=True", async () => {
    expect(await messagesOf("django-debug-off", onWeb("DEBUG", "True"), ctx)).toEqual([expect.stringMatching(/^DEBUG is "True"/)]);
  });
  it("fails when DEBUG is not set", async () => {
    expect(await messagesOf("django-debug-off", onWeb("DEBUG", undefined), ctx)).toEqual([expect.stringMatching(/^DEBUG is not set/)]);
  });
  it("reports 'can't run' rather than a false pass when DEBUG may hide in an unknown entry", async () => {
    const findings = await findingsOf("django-debug-off", mutate(preview, "app-web", (p) => setEnv(p, "DEBUG", undefined)), ctx);
    expect(findings).toEqual([expect.objectContaining({ level: "advisory", message: expect.stringMatching(/can't run/) })]);
  });
});

describe("django-allowed-hosts-set", () => {
  it("passes with the shop's domain names", async () => {
    expect(await findingsOf("django-allowed-hosts-set", compliant, ctx)).toEqual([]);
  });
  it("fails with a wildcard", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", "shop.example.org,*"), ctx)).toEqual([expect.stringMatching(/contains "\*"/)]);
  });
  it("fails when empty", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", " , "), ctx)).toEqual(["DJANGO_ALLOWED_HOSTS is empty."]);
  });
  it("fails with an IP address or localhost", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", "203.0.113.10,localhost"), ctx)).toHaveLength(2);
  });
});

describe("site-url-https", () => {
  it("passes with https on the domain", async () => {
    expect(await findingsOf("site-url-https", compliant, ctx)).toEqual([]);
  });
  it("fails with http://", async () => {
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "http://shop.example.org"), ctx)).toEqual([expect.stringMatching(/does not use https/)]);
  });
  it("fails on localhost", async () => {
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "https://localhost:8000"), ctx)).toEqual([expect.stringMatching(/real domain/)]);
  });
});
