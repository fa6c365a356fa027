// The site answers: HTTPS on every declared name (P.3), HTTP redirects to HTTPS with path and query
// kept (9.4), /health/ answers 200 with its database and cache checks passing (P.2, P.6, P.7), and
// /admin/ leads to the admin's login page (P.4).
import { redirectOf } from "../../intent/nginx";
import { publicEndpoint, result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";

export const https: Check = {
  name: "https",
  where: "outside",
  ids: ["P.3"],
  summary: "every declared name answers over HTTPS",
  async run(ctx) {
    const { httpsPort } = publicEndpoint(ctx);
    const results: CheckResult[] = [];
    for (const host of ctx.intent.edge.names) {
      try {
        const started = Date.now();
        const answer = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/" });
        const evidence = `GET https://${host}:${httpsPort}/ answered ${answer.status} in ${Date.now() - started} ms`;
        results.push(result("https", ["P.3"], `${host}:${httpsPort}`, answer.status < 500 ? "pass" : "fail", evidence, "an answer below 500"));
      } catch (err) {
        results.push(unreachable("https", ["P.3"], `${host}:${httpsPort}`, err));
      }
    }
    return results;
  },
};

export const httpRedirect: Check = {
  name: "http-redirect",
  where: "outside",
  ids: ["9.4"],
  summary: "plain HTTP answers 301 to the same URL over HTTPS",
  async run(ctx) {
    const { httpPort } = publicEndpoint(ctx);
    const { edge } = ctx.intent;
    if (!edge.http || httpPort === undefined) return [result("http-redirect", ["9.4"], "port 80", "fail", "the program declares no plain-HTTP server for the served names")];
    const results: CheckResult[] = [];
    for (const host of edge.names) {
      const path = "/verify/redirect-probe?kept=1";
      // The item asks for a 301 to the same URL over HTTPS; the URL is the declared one as nginx
      // interpolates it ($host$request_uri: no port, as production serves HTTPS on 443).
      const redirect = redirectOf(edge, host, path);
      const sameUrl = `https://${host}${path}`;
      const expected = `301 ${redirect?.url ?? sameUrl}`;
      if (redirect?.status !== 301 || !redirect.url?.startsWith(`https://${host}`) || !redirect.url.endsWith(path)) {
        results.push(result("http-redirect", ["9.4"], `${host}:${httpPort}`, "fail", `the declared nginx answers http://${host}${path} ${redirect ? `${redirect.status} ${redirect.url ?? "(computed at run time)"}` : "without a redirect"}`, `301 ${sameUrl}`));
        continue;
      }
      try {
        const answer = await ctx.request({ scheme: "http", host, port: httpPort, path });
        const seen = `${answer.status} ${answer.headers.get("location")?.[0] ?? "(no Location)"}`;
        results.push(result("http-redirect", ["9.4"], `${host}:${httpPort}`, seen === expected ? "pass" : "fail", `GET http://${host}:${httpPort}${path} answered ${seen}`, expected));
      } catch (err) {
        results.push(unreachable("http-redirect", ["9.4"], `${host}:${httpPort}`, err));
      }
    }
    return results;
  },
};

export const health: Check = {
  name: "health",
  where: "outside",
  ids: ["P.2", "P.6", "P.7"],
  summary: "/health/ answers 200 and its database and cache checks pass",
  async run(ctx) {
    const { host, httpsPort } = publicEndpoint(ctx);
    const subject = `https://${host}/health/`;
    let answer;
    try {
      answer = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/health/" });
    } catch (err) {
      return [unreachable("health", ["P.2", "P.6", "P.7"], subject, err)];
    }
    const results = [result("health", ["P.2"], subject, answer.status === 200 ? "pass" : "fail", `answered ${answer.status}: ${answer.body.slice(0, 200)}`, "200")];
    // The app contract (reference-app/README.md): {"database": "ok", "redis": "ok"}.
    let checks: Record<string, unknown> = {};
    try {
      checks = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      // Not JSON: the database and cache items stay undecided below.
    }
    for (const [key, id, what] of [["database", "P.6", "database"], ["redis", "P.7", "cache (Redis)"]] as const) {
      if (!(key in checks)) results.push({ ...result("health", [id], `${subject} ${key}`, "skipped", `the answer has no "${key}" field`), reason: `the app's /health/ does not report its ${what} check (reference-app/README.md: the contract)` });
      else results.push(result("health", [id], `${subject} ${key}`, checks[key] === "ok" ? "pass" : "fail", `"${key}": ${JSON.stringify(checks[key])}`, '"ok"'));
    }
    return results;
  },
};

/** GET /admin/login/ once per run: the admin check, the CSRF check and the login share it. */
export const loginPage = (ctx: VerifyContext) => {
  const { host, httpsPort } = publicEndpoint(ctx);
  return ctx.memo("admin-login-page", () => ctx.request({ scheme: "https", host, port: httpsPort, path: "/admin/login/" }));
};

export const admin: Check = {
  name: "admin",
  where: "outside",
  ids: ["P.4"],
  summary: "/admin/ leads to the admin's login form",
  async run(ctx) {
    const { host, httpsPort } = publicEndpoint(ctx);
    try {
      const index = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/admin/" });
      const location = index.headers.get("location")?.[0] ?? "";
      const page = await loginPage(ctx);
      const form = /<form[^>]*login/i.test(page.body) && /csrfmiddlewaretoken/.test(page.body);
      const ok = index.status === 302 && location.includes("/admin/login/") && page.status === 200 && form;
      return [result("admin", ["P.4"], `https://${host}/admin/`, ok ? "pass" : "fail",
        `/admin/ answered ${index.status}${location ? ` to ${location}` : ""}; /admin/login/ answered ${page.status}${form ? " with the login form" : " without a login form"}`,
        "302 to /admin/login/, which answers 200 with a login form")];
    } catch (err) {
      return [unreachable("admin", ["P.4"], `https://${host}/admin/`, err)];
    }
  },
};
