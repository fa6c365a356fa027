// The app on the running stack: HTTPS through nginx reaches gunicorn; the app reads and writes
// through PgBouncer to PostgreSQL for one tenant and never sees another tenant's rows; a Celery task
// runs through Redis.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { countedByOwnTask, declaredContainer, docker, psql, shopRequest, standUp, standUpSkipped } from "./fixture";

interface Item { readonly tenant: number; readonly sku: string; readonly quantity: number }
const items = async (info: StandUpInfo, tenant: string): Promise<Item[]> => {
  const response = await shopRequest(info, "GET", `/api/tenants/${tenant}/items/`);
  expect(response.status, response.body).toBe(200);
  return (JSON.parse(response.body) as { items: Item[] }).items;
};

describe.skipIf(standUpSkipped())("the app through nginx", () => {
  let info: StandUpInfo;
  beforeAll(async () => {
    info = await standUp();
  });

  it("answers /health/ over HTTPS with the domain's certificate, from gunicorn behind nginx", async () => {
    const response = await shopRequest(info, "GET", "/health/");
    expect(response.status, response.body).toBe(200);
    expect(response.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
  });

  it("renders the admin login page with collectstatic's hashed static URLs, and nginx serves them from the static volume", async () => {
    const page = await shopRequest(info, "GET", "/admin/login/");
    expect(page.status, page.body).toBe(200);
    const stylesheet = /href="(\/static\/admin\/css\/base\.[0-9a-f]{12}\.css)"/.exec(page.body)?.[1];
    expect(stylesheet, "a ManifestStaticFilesStorage URL for admin/css/base.css").toBeDefined();
    const served = await shopRequest(info, "GET", stylesheet as string);
    expect(served.status).toBe(200);
    expect(served.headers["content-type"]).toMatch(/text\/css/);
  });

  it("writes and reads one tenant's rows through PgBouncer, and another tenant never sees them", async () => {
    const sku = `STANDUP-${randomBytes(4).toString("hex")}`;
    const created = await shopRequest(info, "POST", "/api/tenants/goldleaf/items/", { sku, name: "Stand-up probe", quantity: 3 });
    expect(created.status, created.body).toBe(201);
    const goldleaf = await items(info, "goldleaf");
    const silverline = await items(info, "silverline");
    expect(goldleaf.map((i) => i.sku)).toContain(sku);
    // The view does not filter by tenant: row-level security does.
    expect(new Set(goldleaf.map((i) => i.tenant)).size).toBe(1);
    expect(new Set(silverline.map((i) => i.tenant)).size).toBe(1);
    expect(silverline[0].tenant).not.toBe(goldleaf[0].tenant);
    expect(silverline.map((i) => i.sku)).not.toContain(sku);
    // The app's connections reach PostgreSQL from PgBouncer's address, as the least-privilege app role.
    const pgbouncer = declaredContainer(info, "jewelry-pgbouncer");
    const inspect = await docker.getContainer(pgbouncer.id).inspect();
    const addresses = Object.values(inspect.NetworkSettings.Networks).map((n) => n.IPAddress);
    const clients = await psql(info, "SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE usename = 'jewelry_app'");
    expect(clients.split("\n").filter(Boolean).length).toBeGreaterThan(0);
    for (const client of clients.split("\n").filter(Boolean)) expect(addresses).toContain(client);
  });

  it("runs a Celery task through Redis that counts one tenant's stock only", async () => {
    const expected = (await items(info, "goldleaf")).reduce((sum, i) => sum + i.quantity, 0);
    const counted = await countedByOwnTask(info, "goldleaf", 60_000);
    expect(counted.pieces).toBe(expected);
  });
});
