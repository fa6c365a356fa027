// The stand-up's own pieces without Docker: real outputs in the mocks (random values, TLS
// certificates checked by openssl), the declared stack with every value known, and the container
// plan's refusal of inputs it cannot apply.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUnknown } from "../../../check/property-values";
import type { JsonValue } from "../../../check/json";
import { containerPlan } from "../docker/container-spec";
import { declaredStack, inputsOf, ROOT, type DeclaredResource, type DeclaredStack } from "./declared-stack";
import type { ResourceState } from "./mock-outputs";
import { randomPasswordState } from "./random-outputs";
import { certRequestState, locallySignedCertState, privateKeyState, selfSignedCertState } from "./tls-outputs";

describe("random outputs", () => {
  it("honour length, class minimums and overrideSpecial", () => {
    for (let i = 0; i < 20; i++) {
      const { result } = randomPasswordState("p", { length: 16, overrideSpecial: "!#", minLower: 3, minUpper: 3, minNumeric: 3, minSpecial: 3 }) as { result: string };
      expect(result).toHaveLength(16);
      expect(result.match(/[a-z]/g)?.length).toBeGreaterThanOrEqual(3);
      expect(result.match(/[A-Z]/g)?.length).toBeGreaterThanOrEqual(3);
      expect(result.match(/\d/g)?.length).toBeGreaterThanOrEqual(3);
      expect(result.match(/[!#]/g)?.length).toBeGreaterThanOrEqual(3);
      expect(result).toMatch(/^[A-Za-z0-9!#]+$/);
    }
    expect((randomPasswordState("p", { length: 40, special: false }) as { result: string }).result).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it("refuse an input they do not know", () => {
    expect(() => randomPasswordState("random:index/randomPassword:RandomPassword", { length: 8, minLenght: 2 })).toThrow(/minLenght/);
  });
});

describe("TLS outputs", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "standup-tls-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("issue a CA and a server certificate with the requested names and uses, verified by openssl", () => {
    const caKey = privateKeyState("k", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const ca = selfSignedCertState("ca", {
      privateKeyPem: caKey.privateKeyPem, subject: { commonName: "test CA" }, isCaCertificate: true, validityPeriodHours: 48, allowedUses: ["cert_signing"],
    });
    const key = privateKeyState("k", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const csr = certRequestState("csr", { privateKeyPem: key.privateKeyPem, subject: { commonName: "db" }, dnsNames: ["db", "localhost"], ipAddresses: ["127.0.0.1"] });
    const cert = locallySignedCertState("cert", {
      certRequestPem: csr.certRequestPem, caPrivateKeyPem: caKey.privateKeyPem, caCertPem: ca.certPem, validityPeriodHours: 24,
      allowedUses: ["digital_signature", "server_auth"],
    });
    writeFileSync(join(dir, "ca.pem"), String(ca.certPem));
    writeFileSync(join(dir, "cert.pem"), String(cert.certPem));
    expect(execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "cert.pem")], { encoding: "utf8" })).toMatch(/OK/);
    const text = execFileSync("openssl", ["x509", "-in", join(dir, "cert.pem"), "-noout", "-text"], { encoding: "utf8" });
    expect(text).toMatch(/DNS:db, DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    expect(String(key.privateKeyPem)).toMatch(/BEGIN EC PRIVATE KEY/);
  });
});

describe("the container plan", () => {
  const base = { name: "c", image: "i", memory: 64, memorySwap: 64, cpus: "0.5" };

  it("fails naming an input it cannot apply", () => {
    expect(() => containerPlan("r", { ...base, privileged: true }, { image: "i", extraLabels: {} })).toThrow(/privileged/);
    expect(() => containerPlan("r", { ...base, uploads: [{ file: "/x", content: "y", source: "/etc/passwd" }] }, { image: "i", extraLabels: {} })).toThrow(/source/);
  });

  it("turns uploads, limits, ports and lifecycle into what pulumi-docker sends", () => {
    const plan = containerPlan("r", {
      ...base, ports: [{ internal: 443, external: 443 }], restart: "unless-stopped", wait: true, waitTimeout: 180,
      uploads: [{ file: "/etc/k", content: "s", permissions: "0600", owner: "70", group: "70" }, { file: "/bin/x", content: "#!/bin/sh", executable: true }],
    }, { image: "local", extraLabels: { run: "1" } });
    expect(plan.create.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, NanoCpus: 5e8, PortBindings: { "443/tcp": [{ HostIp: "0.0.0.0", HostPort: "443" }] } });
    expect(plan.uploads.map((u) => [u.file, u.mode.toString(8), u.uid, u.gid])).toEqual([["/etc/k", "600", 70, 70], ["/bin/x", "744", 0, 0]]);
    expect(plan.lifecycle).toMatchObject({ wait: true, waitTimeoutSeconds: 180, mustRun: true, attach: false });
    expect(plan.create.Labels).toEqual({ run: "1" });
  });
});

/** A deploy job's state after its run: pulumi-docker records the exit code of an attached container. */
function jobExit(resource: DeclaredResource, state: ResourceState, exitCode: number): ResourceState {
  const inputs = inputsOf(resource);
  return resource.type === "docker:index/container:Container" && inputs.attach === true ? { ...state, exitCode } : state;
}

describe("the declared stack, run as an update", () => {
  let stack: DeclaredStack;
  beforeAll(async () => {
    // Nothing runs here: each deploy job reports exit 0, as a create would after a successful run.
    stack = await declaredStack({ appImage: "jewelry-standup/reference-app:bookworm", create: async (resource, state) => (jobExit(resource, state, 0)) });
  }, 120_000);

  it("fails the update naming the deploy job that exited non-zero, and never registers web, worker or beat", async () => {
    // The program runs afresh: require() would hand back the first run's modules.
    for (const id of Object.keys(require.cache).filter((id) => id === join(ROOT, "index.ts") || id.startsWith(join(ROOT, "components")))) delete require.cache[id];
    const registered: string[] = [];
    const run = declaredStack({
      appImage: "jewelry-standup/reference-app:bookworm",
      create: async (resource, state) => {
        registered.push(String(inputsOf(resource).name ?? resource.name));
        return jobExit(resource, state, inputsOf(resource).name === "jewelry-migrate" ? 1 : 0);
      },
    });
    await expect(run).rejects.toThrow(/deploy job failed: jewelry-migrate exited 1/);
    expect(registered).toContain("jewelry-migrate");
    expect(registered.filter((name) => ["jewelry-web", "jewelry-worker", "jewelry-beat"].includes(name))).toEqual([]);
  }, 120_000);

  const unknownPaths = (value: JsonValue | undefined, path: string): string[] => {
    if (isUnknown(value)) return [path];
    if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${path}[${i}]`));
    if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, `${path}.${k}`));
    return [];
  };

  it("knows every input of every container and database object, the app image swapped in", () => {
    const created = stack.resources.filter((r) => /^(docker|postgresql):/.test(r.type));
    expect(created.flatMap((r) => unknownPaths(r.object, r.name))).toEqual([]);
    const app = stack.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage" && String(inputsOf(r).name).includes("reference-app"));
    expect(app).toBeDefined();
    expect(JSON.stringify(stack.resources.map((r) => r.object))).not.toContain("[secret: not decryptable offline]");
  });
});
