// Redis refuses strangers (4.2): without credentials it answers NOAUTH; every declared user refuses a
// wrong password (a `nopass` user would accept it); the app's user is refused admin commands (only
// harmless ones are tried: CONFIG GET, ACL LIST, CLIENT LIST, SLOWLOG GET). Asked with the server's
// own client (redis-cli) inside its container, on its loopback, as its healthcheck asks: the data
// tier's networks are internal, often unreachable from the Docker host itself. Passwords go through
// REDISCLI_AUTH, never on a command line.
import { randomBytes } from "node:crypto";
import { containerByHost } from "../../intent/app";
import { missingCredentials } from "../../credentials";
import { execIn } from "../../probes/docker-host";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";

const ADMIN_PROBES: readonly string[][] = [["CONFIG", "GET", "maxmemory"], ["ACL", "LIST"], ["CLIENT", "LIST"], ["SLOWLOG", "GET", "1"]];

/** redis-cli's answer to one command, as `user` when given (its AUTH failure line first, if any). */
async function redisCli(ctx: VerifyContext, container: string, port: number, argv: readonly string[], auth?: { user: string; password: string }): Promise<string> {
  const run = await execIn(ctx.dockerHost!.docker, container, ["redis-cli", "--no-auth-warning", "-p", String(port), ...(auth ? ["--user", auth.user] : []), ...argv], {
    // The answer is the evidence, not its latency: an exec waits seconds for a start on a loaded host.
    env: auth ? [`REDISCLI_AUTH=${auth.password}`] : [], timeoutMs: 60_000,
  });
  if (run.exitCode === 127 || /not found/.test(run.stderr)) throw new Error(`redis-cli is not in ${container}: ${run.stderr.trim()}`);
  return `${run.stdout}${run.stderr}`.trim().split("\n").join(" / ").slice(0, 200);
}

export const redisAuth: Check = {
  name: "redis-auth",
  where: "inside",
  ids: ["4.2"],
  summary: "Redis answers NOAUTH without credentials, every user refuses a wrong password, the app user cannot run admin commands",
  async run(ctx: VerifyContext) {
    const app = ctx.intent.app;
    if (!app) return [];
    const subject = `${app.redis.server}:${app.redis.port}`;
    try {
      if (!ctx.dockerHost) throw new Error("no Docker host: the program declares none; give --docker-host");
      const container = containerByHost(ctx.intent.containers, app.redis.server)?.name ?? app.redis.server;
      const ask = (argv: readonly string[], auth?: { user: string; password: string }) => redisCli(ctx, container, app.redis.port, argv, auth);
      const results: CheckResult[] = [];
      const creds = ctx.credentials.redis;
      const wrong = `verify-${randomBytes(12).toString("hex")}`;
      const users = creds ? ["default", ...Object.keys(creds.users)] : [];
      // Independent questions, asked at once (each is a redis-cli run in the container).
      const [anonymous, wrongPassword] = await Promise.all([
        ask(["PING"]),
        Promise.all(users.map(async (user) => ({ user, answer: await ask(["PING"], { user, password: wrong }) }))),
      ]);
      results.push(result("redis-auth", ["4.2"], `${subject} without credentials`, /NOAUTH/.test(anonymous) && !/PONG/.test(anonymous) ? "pass" : "fail", `PING answered ${anonymous}`, "NOAUTH"));
      if (!creds) {
        results.push({ ...result("redis-auth", ["4.2"], `${subject} users`, "skipped", "no user tried"), reason: missingCredentials("redis") });
        return results;
      }
      for (const { user, answer } of wrongPassword) {
        results.push(result("redis-auth", ["4.2"], `${subject} user ${user}`, /PONG/.test(answer) ? "fail" : "pass", `AUTH with a wrong password, then PING: ${answer}`, "refused (WRONGPASS): a password is required"));
      }
      const appPassword = creds.users[creds.appUser];
      if (!appPassword) {
        results.push(result("redis-auth", ["4.2"], `${subject} user ${creds.appUser}`, "fail", `the credentials name app user ${creds.appUser} but give no password for it`));
        return results;
      }
      const auth = { user: creds.appUser, password: appPassword };
      const signedIn = await ask(["PING"], auth);
      const answers = /PONG/.test(signedIn) ? await Promise.all(ADMIN_PROBES.map(async (argv) => `${argv.join(" ")}: ${await ask(argv, auth)}`)) : [`AUTH: ${signedIn}`];
      const allowed = answers.filter((a) => !/NOPERM/.test(a));
      results.push(result("redis-auth", ["4.2"], `${subject} user ${creds.appUser} admin commands`, allowed.length === 0 ? "pass" : "fail", answers.join("; "), "NOPERM for every admin command"));
      return results;
    } catch (err) {
      return [unreachable("redis-auth", ["4.2"], subject, err)];
    }
  },
};
