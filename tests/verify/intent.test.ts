// verify reads the stack's intent from the program itself: these are the values the shipped
// production stack declares, as the readers of verify/intent/ find them in the program's inputs.
import { beforeAll, describe, expect, it } from "vitest";
import { MOZILLA_INTERMEDIATE_TLS12_CIPHERS } from "../../components/nginx/nginx-conf";
import type { StackIntent } from "../../verify/intent";
import { caaIssuers } from "../../verify/intent/dns";
import { declaredHeaders, rateLimitAt, redirectOf, suitesFor } from "../../verify/intent/nginx";
import { internalPorts } from "../../verify/checks/outside/network";
import type { VerifyContext } from "../../verify/checks/context";
import { productionIntent } from "./fixture";

describe("the production stack's declared intent", () => {
  let intent: StackIntent;
  beforeAll(async () => {
    intent = await productionIntent();
  }, 120_000);

  it("reads the edge's TLS through the pack's model: Mozilla intermediate protocols and suites on the names the stack serves, published on 80 and 443", () => {
    const { edge } = intent;
    expect(edge.protocols).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect([...edge.tls12Ciphers].sort()).toEqual([...MOZILLA_INTERMEDIATE_TLS12_CIPHERS].sort());
    expect(edge.tls13Suites).toEqual(["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]);
    // An ECDSA certificate authenticates only the ECDSA suites of the list.
    expect(suitesFor(edge, "TLSv1.2", "ec")).toEqual(MOZILLA_INTERMEDIATE_TLS12_CIPHERS.filter((c) => c.startsWith("ECDHE-ECDSA-")));
    expect(edge.names).toEqual(["goldleaf-jewelry.com", "www.goldleaf-jewelry.com"]);
    expect([edge.https.socket.port, edge.https.hostPort, edge.http?.socket.port, edge.http?.hostPort]).toEqual([443, 443, 80, 80]);
  });

  it("reads the headers per URI and per status: HSTS always on the app, Cache-Control on /static/ only on success, none of HSTS over plain HTTP", () => {
    const names = (scheme: "http" | "https", uri: string | undefined, status: number) =>
      declaredHeaders(intent.edge, scheme, "goldleaf-jewelry.com", uri, status).map((h) => h.name);
    expect(names("https", "/", 404)).toContain("Strict-Transport-Security");
    expect(names("https", undefined, 505)).toContain("Strict-Transport-Security");
    expect(names("https", "/static/admin/css/base.css", 200)).toContain("Cache-Control");
    expect(names("https", "/static/admin/css/base.css", 404)).not.toContain("Cache-Control");
    expect(names("http", "/", 301)).not.toContain("Strict-Transport-Security");
    expect(redirectOf(intent.edge, "goldleaf-jewelry.com", "/a?b=1")).toEqual({ status: 301, url: "https://goldleaf-jewelry.com/a?b=1" });
  });

  it("reads each limit_req zone's rate and burst where a request meets it", () => {
    const login = rateLimitAt(intent.edge, "goldleaf-jewelry.com", "/admin/login/")!;
    expect(login).toMatchObject({ zone: "login", rateText: "10r/m", burst: 5, nodelay: true });
    expect(login.ratePerSecond).toBeCloseTo(1 / 6);
    expect(rateLimitAt(intent.edge, "goldleaf-jewelry.com", "/api/x")).toMatchObject({ zone: "api", rateText: "600r/m", burst: 100 });
    expect(rateLimitAt(intent.edge, "goldleaf-jewelry.com", "/health/")).toBeUndefined();
  });

  it("reads the DNS records, CAA included, and the Docker host the provider targets", () => {
    expect(intent.records.find((r) => r.type === "A" && r.name === "goldleaf-jewelry.com")).toMatchObject({ content: "203.0.113.10", proxied: true });
    expect(intent.records.find((r) => r.type === "TXT" && r.name === "_dmarc.goldleaf-jewelry.com")).toMatchObject({ content: expect.stringContaining("p=quarantine") });
    expect(caaIssuers(intent.records, "www.goldleaf-jewelry.com")).toEqual(["letsencrypt.org"]);
    expect(intent.dockerHost).toBe("ssh://deploy@203.0.113.10");
    expect(intent.renewalWindowDays).toBe(30);
  });

  it("reads the app's database, role, tenant tables, Redis and Celery queues", () => {
    expect(intent.app!.database).toMatchObject({ name: "jewelry_shop", server: "jewelry-postgres", port: 5432, appRole: "jewelry_app", tenantSetting: "app.current_tenant" });
    expect(intent.app!.database.tenantTables.map((t) => t.table)).toEqual(["inventory_item", "sales_sale", "customers_customer", "repairs_repairorder"]);
    expect(intent.app!.redis).toEqual({ server: "jewelry-redis", port: 6379 });
    expect(intent.app!.workers.map((w) => [w.container.name, w.queues])).toEqual([["jewelry-worker", ["celery"]]]);
    expect(intent.app!.cookies).toEqual({ csrfHttpOnly: false, sessionHttpOnly: true });
  });

  it("reads the backup schedule as the longest wait between runs, and the restore drill's", () => {
    const day = 86_400;
    expect(intent.backups!.stanza).toBe("main");
    expect(intent.backups!.intervals.get(1)!.get("full")).toBe(7 * day);
    expect(intent.backups!.intervals.get(1)!.get("diff")).toBe(day);
    expect([...intent.backups!.intervals.keys()]).toEqual([1, 2, 3]);
    expect(intent.backups!.drillInterval).toBe(7 * day);
  });

  it("reads Prometheus's targets and alert rules, Alertmanager's config, and the ports that must stay closed from outside", () => {
    expect(intent.prometheus!.targets).toContainEqual({ job: "postgres", target: "postgres-exporter:9187" });
    expect(intent.prometheus!.alertRules.length).toBeGreaterThan(5);
    expect(intent.prometheus!.alertRules.every((r) => r.labels.severity !== undefined)).toBe(true);
    expect(intent.alertmanager!.configText).toMatch(/receivers:/);
    const closed = internalPorts({ intent } as VerifyContext);
    for (const port of [5432, 6432, 6379, 9090, 9093, 9100, 9187, 8000]) expect({ port, closed: closed.has(port) }).toEqual({ port, closed: true });
    expect(closed.has(443)).toBe(false);
  });
});
