// CSRF protection (10.7): the CSRF cookie is Secure (and HttpOnly when the app declares
// CSRF_COOKIE_HTTPONLY; Django's default leaves it readable by the page's script), and a form post
// without a token is refused with 403. With --login (P.5): a smoke-test user signs in and out, and
// the session cookie is Secure and HttpOnly (as the app declares; Django's default is HttpOnly).
import { missingCredentials } from "../../credentials";
import { publicEndpoint, result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { loginPage } from "./web";

interface CookieFlags {
  readonly name: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite?: string;
  readonly value: string;
}

export function parseSetCookie(header: string): CookieFlags {
  const [pair, ...attributes] = header.split(";").map((p) => p.trim());
  const eq = pair!.indexOf("=");
  const attr = (name: string) => attributes.find((a) => a.toLowerCase().split("=")[0] === name);
  return {
    name: pair!.slice(0, eq),
    value: pair!.slice(eq + 1),
    secure: attr("secure") !== undefined,
    httpOnly: attr("httponly") !== undefined,
    sameSite: attr("samesite")?.split("=")[1],
  };
}

const cookiesOf = (setCookie: readonly string[] | undefined) => (setCookie ?? []).map(parseSetCookie);

function judgeCookie(check: string, ids: string[], cookie: CookieFlags | undefined, what: string, httpOnly: boolean, subject: string): CheckResult {
  if (!cookie) return result(check, ids, subject, "fail", `no ${what} cookie was set`, `a ${what} cookie`);
  const ok = cookie.secure && (!httpOnly || cookie.httpOnly);
  const flags = `${cookie.name}: ${cookie.secure ? "Secure" : "not Secure"}, ${cookie.httpOnly ? "HttpOnly" : "not HttpOnly"}${cookie.sameSite ? `, SameSite=${cookie.sameSite}` : ""}`;
  return result(check, ids, subject, ok ? "pass" : "fail", flags, `Secure${httpOnly ? " and HttpOnly" : " (HttpOnly not declared: the app's script may read it)"}`);
}

export const csrf: Check = {
  name: "csrf",
  where: "outside",
  ids: ["10.7"],
  summary: "the CSRF cookie has the declared flags and a form post without a token is refused",
  async run(ctx) {
    const { host, httpsPort } = publicEndpoint(ctx);
    const subject = `https://${host}/admin/login/`;
    const app = ctx.intent.app;
    try {
      const page = await loginPage(ctx);
      const csrfCookie = cookiesOf(page.headers.get("set-cookie")).find((c) => /csrf/i.test(c.name));
      const post = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/admin/login/", method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Referer: `https://${host}/admin/login/` }, body: "username=verify&password=verify" });
      return [
        judgeCookie("csrf", ["10.7"], csrfCookie, "CSRF", app?.cookies.csrfHttpOnly ?? false, `${subject} cookie`),
        result("csrf", ["10.7"], `${subject} POST without token`, post.status === 403 ? "pass" : "fail", `answered ${post.status}`, "403 (CSRF verification failed)"),
      ];
    } catch (err) {
      return [unreachable("csrf", this.ids, subject, err)];
    }
  },
};

/** Signs the smoke-test user in (Django's admin login form) and out; returns the session cookie seen. */
async function signInAndOut(ctx: VerifyContext, username: string, password: string): Promise<{ signedIn: boolean; signedOut: boolean; session?: CookieFlags; evidence: string }> {
  const { host, httpsPort } = publicEndpoint(ctx);
  const page = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/admin/login/" });
  const csrfCookie = cookiesOf(page.headers.get("set-cookie")).find((c) => /csrf/i.test(c.name));
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrfCookie || !token) return { signedIn: false, signedOut: false, evidence: "the login page gave no CSRF cookie and token" };
  const body = new URLSearchParams({ csrfmiddlewaretoken: token, username, password, next: "/admin/" }).toString();
  const login = await ctx.request({
    scheme: "https", host, port: httpsPort, path: "/admin/login/", method: "POST", body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", Referer: `https://${host}/admin/login/`, Cookie: `${csrfCookie.name}=${csrfCookie.value}` },
  });
  const session = cookiesOf(login.headers.get("set-cookie")).find((c) => /session/i.test(c.name));
  const signedIn = login.status === 302 && session !== undefined;
  if (!signedIn) return { signedIn, signedOut: false, evidence: `the login answered ${login.status}${session ? "" : " without a session cookie"}` };
  const cookies = `${csrfCookie.name}=${csrfCookie.value}; ${session.name}=${session.value}`;
  const logout = await ctx.request({
    scheme: "https", host, port: httpsPort, path: "/admin/logout/", method: "POST", body: new URLSearchParams({ csrfmiddlewaretoken: token }).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Referer: `https://${host}/admin/`, Cookie: cookies },
  });
  const after = await ctx.request({ scheme: "https", host, port: httpsPort, path: "/admin/", headers: { Cookie: cookies } });
  const signedOut = after.status === 302;
  return { signedIn, signedOut, session, evidence: `signed in (302 to ${login.headers.get("location")?.[0] ?? "?"}); logout answered ${logout.status}; /admin/ then answered ${after.status}` };
}

export const login: Check = {
  name: "login",
  where: "outside",
  ids: ["P.5"],
  summary: "with --login: a smoke-test user signs in and out; the session cookie is Secure and HttpOnly",
  async run(ctx) {
    const { host } = publicEndpoint(ctx);
    const subject = `https://${host}/admin/login/`;
    if (!ctx.writes.login) return [{ ...result("login", ["P.5"], subject, "skipped", "no login tried"), reason: "signing in writes to the stack (the user's last_login, a session): only with --login" }];
    const user = ctx.credentials.smokeUser;
    if (!user) return [{ ...result("login", ["P.5"], subject, "skipped", "no login tried"), reason: missingCredentials("smokeUser") }];
    try {
      const outcome = await signInAndOut(ctx, user.username, user.password);
      return [
        result("login", ["P.5"], subject, outcome.signedIn && outcome.signedOut ? "pass" : "fail", outcome.evidence, "302 on sign-in with a session cookie, and signed out after"),
        ...(outcome.session ? [judgeCookie("login", ["P.5"], outcome.session, "session", ctx.intent.app?.cookies.sessionHttpOnly ?? true, `${subject} session cookie`)] : []),
      ];
    } catch (err) {
      return [unreachable("login", this.ids, subject, err)];
    }
  },
};
