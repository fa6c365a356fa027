// From outside (10.1): on the host's public address only the declared published ports answer; the
// ports the stack's own services listen on inside (PostgreSQL, PgBouncer, Redis, the monitoring
// stack, gunicorn) refuse or stay silent. And DNS (9.1, 5.6): each declared record resolves to its
// declared value at the resolver the user names; a proxied (orange-cloud) address resolves into
// Cloudflare's published ranges instead of the origin's address.
import { isIPv4 } from "node:net";
import { BlockList } from "node:net";
import { CLOUDFLARE_IPV4_RANGES, CLOUDFLARE_IPV6_RANGES } from "../../../components/edge/edge-files";
import type { DeclaredRecord } from "../../intent/dns";
import { probePort } from "../../probes/tcp";
import { publicEndpoint, result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";

/** Ports the stack's services listen on that must not be reachable from outside, with what listens there. */
export function internalPorts(ctx: VerifyContext): Map<number, string> {
  const ports = new Map<number, string>();
  const add = (port: number | undefined, what: string) => {
    if (port && Number.isInteger(port) && !ports.has(port)) ports.set(port, what);
  };
  const { app, prometheus, alertmanager } = ctx.intent;
  if (app) {
    add(app.database.port, `PostgreSQL (${app.database.server})`);
    add(app.redis.port, `Redis (${app.redis.server})`);
    for (const c of [...app.web, ...app.workers.map((w) => w.container)]) {
      const db = Number(c.env.get("DB_PORT"));
      if (c.env.get("USE_PGBOUNCER") === "True") add(db, `PgBouncer (${c.env.get("DB_HOST")})`);
    }
  }
  if (prometheus) {
    add(prometheus.port, "Prometheus");
    for (const t of prometheus.targets) add(Number(/:(\d+)$/.exec(t.target)?.[1]), `${t.job} (${t.target})`);
  }
  if (alertmanager) add(alertmanager.port, "Alertmanager");
  for (const upstream of ctx.intent.edge.upstreams) add(Number(/:(\d+)$/.exec(upstream)?.[1]), `nginx's upstream ${upstream}`);
  for (const published of ctx.intent.edge.publishedPorts) ports.delete(published);
  return ports;
}

export const ports: Check = {
  name: "ports",
  where: "outside",
  ids: ["10.1"],
  summary: "only the declared published ports answer on the host's address; database, Redis and monitoring ports refuse",
  async run(ctx) {
    const { host, httpsPort } = publicEndpoint(ctx);
    let address: string;
    try {
      address = await ctx.addresses.address(host, httpsPort);
    } catch (err) {
      return [unreachable("ports", ["10.1"], host, err)];
    }
    const published = ctx.intent.containers.flatMap((c) => c.ports.map((p) => ({ port: p.external, what: `${c.name} ${p.internal}/${p.protocol}` })));
    const internal = internalPorts(ctx);
    const states = await Promise.all([
      ...published.map(async (p) => ({ ...p, expectOpen: true, state: await probePort(address, p.port) })),
      ...[...internal].map(async ([port, what]) => ({ port, what, expectOpen: false, state: await probePort(address, port) })),
    ]);
    const wrong = states.filter((s) => (s.state === "open") !== s.expectOpen);
    const describe = (s: (typeof states)[number]) => `${s.port} (${s.what}): ${s.state}`;
    return [result("ports", ["10.1"], address, wrong.length === 0 ? "pass" : "fail",
      wrong.length === 0
        ? `answer: ${states.filter((s) => s.expectOpen).map(describe).join(", ")}; closed: ${states.filter((s) => !s.expectOpen).map((s) => s.port).join(", ")}`
        : `wrong: ${wrong.map(describe).join(", ")}`,
      `open: ${published.map((p) => p.port).join(", ")}; refused or silent: ${[...internal.keys()].join(", ")}`)];
  },
};

const cloudflare = new BlockList();
for (const cidr of CLOUDFLARE_IPV4_RANGES) cloudflare.addSubnet(cidr.split("/")[0]!, Number(cidr.split("/")[1]), "ipv4");
for (const cidr of CLOUDFLARE_IPV6_RANGES) cloudflare.addSubnet(cidr.split("/")[0]!, Number(cidr.split("/")[1]), "ipv6");

/** The checklist item a record belongs to: mail authentication (5.6) or the site's DNS (9.1). */
export function recordIds(record: DeclaredRecord): string[] {
  const mail = record.name.includes("._domainkey.") || record.name.startsWith("_dmarc.") || (record.type === "TXT" && record.content.startsWith("v=spf1"));
  return mail ? ["5.6"] : ["9.1"];
}

const caaText = (r: Extract<DeclaredRecord, { type: "CAA" }>) => `${r.flags} ${r.tag} "${r.value}"`;

export const dns: Check = {
  name: "dns",
  where: "outside",
  ids: ["9.1", "5.6"],
  summary: "each declared DNS record resolves to its declared value at the named resolver",
  async run(ctx) {
    const groups = new Map<string, DeclaredRecord[]>();
    for (const r of ctx.intent.records) groups.set(`${r.type} ${r.name}`, [...(groups.get(`${r.type} ${r.name}`) ?? []), r]);
    const results: CheckResult[] = [];
    for (const [key, records] of groups) {
      const first = records[0]!;
      const answer = await ctx.dns.query(first.name, first.type);
      const ids = recordIds(first);
      if ("error" in answer) {
        const timeout = answer.error === "ETIMEOUT" || answer.error === "ECONNREFUSED";
        results.push(timeout ? unreachable("dns", ids, key, new Error(`${ctx.dns.description}: ${answer.error}`)) : result("dns", ids, key, "fail", `${ctx.dns.description} answered ${answer.error}`, describe(records)));
        continue;
      }
      results.push(judge(key, records, answer.values, ids, ctx.dns.description));
    }
    return results;
  },
};

function describe(records: readonly DeclaredRecord[]): string {
  return records.map((r) => (r.type === "CAA" ? caaText(r) : r.proxied ? `${r.content} behind Cloudflare (answers in Cloudflare's ranges)` : r.content)).join(", ");
}

function judge(key: string, records: readonly DeclaredRecord[], values: readonly string[], ids: string[], resolver: string): CheckResult {
  const first = records[0]!;
  const seen = `${resolver} answered ${values.join(", ") || "nothing"}`;
  let ok: boolean;
  if (first.type === "CAA") {
    ok = records.every((r) => values.includes(caaText(r as Extract<DeclaredRecord, { type: "CAA" }>))) && values.length === records.length;
  } else if ((first.type === "A" || first.type === "AAAA") && first.proxied) {
    ok = values.length > 0 && values.every((v) => cloudflare.check(v, isIPv4(v) ? "ipv4" : "ipv6"));
  } else if (first.type === "TXT") {
    // Other TXT records may share the name (site verifications); SPF must be the only v=spf1 one.
    const spf = records.some((r) => r.type === "TXT" && r.content.startsWith("v=spf1"));
    ok = records.every((r) => r.type !== "CAA" && values.includes(r.content)) && (!spf || values.filter((v) => v.startsWith("v=spf1")).length === 1);
  } else {
    const wanted = records.map((r) => (r.type === "CAA" ? "" : r.content.toLowerCase().replace(/\.$/, ""))).sort();
    ok = [...values].map((v) => v.toLowerCase()).sort().join(" ") === wanted.join(" ");
  }
  return result("dns", ids, key, ok ? "pass" : "fail", seen, describe(records));
}
