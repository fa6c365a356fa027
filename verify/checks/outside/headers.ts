// The declared security headers, with their declared values, on the answers nginx gives: 200, 301,
// 404, 429 and 5xx, on the app, /admin/, /static/ and /health/ (10.4; HSTS 9.5; CSP and nosniff
// 10.8). What each answer must carry is what nginx adds there: the add_header lines in force in the
// location the URI selects (error_page's target for an error), `always` ones on every status and the
// others on 2xx/3xx only, as the pack's nginx model computes them.
import { randomBytes } from "node:crypto";
import { declaredHeaders, type DeclaredHeader, type Scheme } from "../../intent/nginx";
import { rawTlsRequest, type HttpAnswer } from "../../probes/http";
import { publicEndpoint, result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { burstAnswer } from "./rate-limit";

/** The checklist item a header belongs to. */
export function headerIds(name: string): string[] {
  const header = name.toLowerCase();
  if (header === "strict-transport-security") return ["9.5"];
  if (header === "content-security-policy" || header === "x-content-type-options") return ["10.8"];
  return ["10.4"];
}

/** Headers nginx owns for the edge's answers: the security ones, not caching. */
const isSecurityHeader = (h: DeclaredHeader) => !/^(cache-control|expires|vary|etag)$/i.test(h.name);

interface Probe {
  readonly label: string;
  readonly answer: HttpAnswer;
  readonly scheme: Scheme;
  /** undefined: an answer made before a location is chosen (the server level's headers). */
  readonly uri?: string;
}

async function probes(ctx: VerifyContext): Promise<Probe[]> {
  const { host, httpsPort, httpPort } = publicEndpoint(ctx);
  const { edge } = ctx.intent;
  const missing = `verify-${randomBytes(4).toString("hex")}`;
  const get = async (path: string, scheme: "http" | "https" = "https"): Promise<Probe> => {
    const answer = await ctx.request({ scheme, host, port: scheme === "https" ? httpsPort : httpPort!, path });
    return { label: `${scheme === "http" ? "http://" : ""}${path} ${answer.status}`, answer, scheme, uri: path };
  };
  const list = [
    await get("/"),
    await get("/admin/"),
    await get("/admin"),
    await get(`/${missing}/`),
    await get("/static/admin/css/base.css"),
    await get(`/static/${missing}.css`),
    await get("/health/"),
    ...(edge.http && httpPort !== undefined ? [await get("/", "http")] : []),
  ];
  // A request line nginx refuses before it picks a location: 505, with the server level's headers.
  const refused = await rawTlsRequest(ctx.addresses, host, httpsPort, `GET / HTTP/2.5\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  list.push({ label: `HTTP/2.5 request line ${refused.status}`, answer: refused, scheme: "https" });
  const limited = await burstAnswer(ctx);
  if (limited) list.push({ label: `${limited.path} ${limited.answer.status} (limit_req)`, answer: limited.answer, scheme: "https", uri: limited.path });
  return list;
}

export const securityHeaders: Check = {
  name: "headers",
  where: "outside",
  ids: ["10.4", "9.5", "10.8"],
  summary: "declared security headers with their declared values on 200, 301, 404, 429 and 5xx answers",
  async run(ctx) {
    const { host } = publicEndpoint(ctx);
    let list: Probe[];
    try {
      list = await probes(ctx);
    } catch (err) {
      return [unreachable("headers", this.ids, host, err)];
    }
    // header name -> probe labels where it was right / wrong.
    const seen = new Map<string, { ok: string[]; wrong: string[]; expected: string }>();
    for (const probe of list) {
      for (const header of declaredHeaders(ctx.intent.edge, probe.scheme, host, probe.uri, probe.answer.status).filter(isSecurityHeader)) {
        const key = header.name.toLowerCase();
        const entry = seen.get(key) ?? { ok: [], wrong: [], expected: `${header.name}: ${header.value}` };
        const values = probe.answer.headers.get(key) ?? [];
        if (values.length === 1 && values[0] === header.value) entry.ok.push(probe.label);
        else entry.wrong.push(`${probe.label}: ${values.length === 0 ? "missing" : values.map((v) => JSON.stringify(v)).join(", ")}`);
        seen.set(key, entry);
      }
    }
    const statuses = [...new Set(list.map((p) => p.answer.status))].sort();
    const results: CheckResult[] = [];
    for (const [name, entry] of seen) {
      results.push(result("headers", headerIds(name), name, entry.wrong.length === 0 ? "pass" : "fail",
        entry.wrong.length === 0 ? `right on ${entry.ok.length} answers: ${entry.ok.join(", ")}` : `wrong on ${entry.wrong.join("; ")}`,
        entry.expected));
    }
    const wanted = [200, 301, 404, 429];
    const uncovered = [...wanted.filter((s) => !statuses.includes(s)), ...(statuses.some((s) => s >= 500) ? [] : ["5xx"])];
    if (uncovered.length > 0) {
      results.push({ ...result("headers", ["10.4"], "answers seen", "skipped", `statuses seen: ${statuses.join(", ")}`), reason: `no ${uncovered.join(", ")} answer was provoked, so the headers on it are not verified` });
    }
    return results;
  },
};
