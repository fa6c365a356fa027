import { describe, expect, it } from "vitest";
import { baselineLater, findings, mutate, setEnv, setSecretFile } from "./baseline-later";
import { UNKNOWN } from "./harness";

describe("email-provider-configured", () => {
  it("accepts sendgrid with its API key", async () => {
    expect(await findings(baselineLater(), "email-provider-configured")).toEqual([]);
  });
  it("refuses an unsupported EMAIL_PROVIDER", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "EMAIL_PROVIDER", "console")), "email-provider-configured");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/EMAIL_PROVIDER "console"/);
  });
  it("refuses a provider without its credential", async () => {
    const found = await findings(mutate("app-web", (p) => setSecretFile(p, "SENDGRID_API_KEY", undefined)), "email-provider-configured");
    expect(found.map((f) => f.level)).toEqual(["mandatory"]);
    expect(found[0].message).toMatch(/lacks SENDGRID_API_KEY/);
  });
  it("decides at preview from the secret file's path while its content is unknown", async () => {
    const unknown = mutate("app-web", (p) => setSecretFile(p, "SENDGRID_API_KEY", UNKNOWN));
    expect(await findings(unknown, "email-provider-configured")).toEqual([]);
  });
  it("accepts the credential as an env entry too", async () => {
    const asEnv = mutate("app-web", (p) => { setSecretFile(p, "SENDGRID_API_KEY", undefined); setEnv(p, "SENDGRID_API_KEY", "SG.abcdefghijklmnop"); });
    expect(await findings(asEnv, "email-provider-configured")).toEqual([]);
  });
  it("cannot decide at preview when the credential may hide in an env entry unknown as a whole", async () => {
    const found = await findings(mutate("app-web", (p) => { setSecretFile(p, "SENDGRID_API_KEY", undefined); (p.envs as string[]).push(UNKNOWN); }), "email-provider-configured");
    expect(found[0].level).toBe("advisory");
    expect(found[0].message).toMatch(/can't run/);
  });
});

describe("default-from-email-valid", () => {
  it("accepts a display name with an address on a real domain", async () => {
    expect(await findings(baselineLater(), "default-from-email-valid")).toEqual([]);
  });
  it("refuses a placeholder domain", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "DEFAULT_FROM_EMAIL", "webmaster@localhost")), "default-from-email-valid");
    expect(found).toHaveLength(1);
  });
});

describe("mail-dns-records", () => {
  it("accepts SPF, DKIM and a quarantining DMARC", async () => {
    expect(await findings(baselineLater(), "mail-dns-records")).toEqual([]);
  });
  it("refuses DMARC with p=none", async () => {
    const found = await findings(mutate("dns-dmarc", (p) => { p.content = "v=DMARC1; p=none"; }), "mail-dns-records");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/p=none/);
  });
  it("refuses a missing DKIM record", async () => {
    const found = await findings(baselineLater().filter((r) => r.name !== "dns-dkim"), "mail-dns-records");
    expect(found[0].message).toMatch(/No DKIM record/);
  });
});
