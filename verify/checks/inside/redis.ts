// Redis refuses strangers (4.2): without credentials it answers NOAUTH; every declared user refuses a
// wrong password (a `nopass` user would accept it); the app's user is refused admin commands (only
// harmless ones are tried: CONFIG GET, ACL LIST, CLIENT LIST, SLOWLOG GET).
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import { missingCredentials } from "../../credentials";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { withForward } from "./reach";

const ADMIN_PROBES: readonly string[][] = [["CONFIG", "GET", "maxmemory"], ["ACL", "LIST"], ["CLIENT", "LIST"], ["SLOWLOG", "GET", "1"]];

async function reply(client: Redis, argv: readonly string[]): Promise<string> {
  try {
    const answer = await client.call(argv[0]!, ...argv.slice(1));
    return `OK ${typeof answer === "string" ? answer.slice(0, 40) : "(data)"}`;
  } catch (err) {
    return (err as Error).message.split("\n")[0]!;
  }
}

async function session<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, connectTimeout: 5000, commandTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
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
      return await withForward(ctx, app.redis.server, app.redis.port, async (port) => {
        const results: CheckResult[] = [];
        const anonymous = await session(port, (c) => reply(c, ["PING"]));
        results.push(result("redis-auth", ["4.2"], `${subject} without credentials`, anonymous.startsWith("NOAUTH") ? "pass" : "fail", `PING answered ${anonymous}`, "NOAUTH"));
        const creds = ctx.credentials.redis;
        if (!creds) {
          results.push({ ...result("redis-auth", ["4.2"], `${subject} users`, "skipped", "no user tried"), reason: missingCredentials("redis") });
          return results;
        }
        const wrong = `verify-${randomBytes(12).toString("hex")}`;
        for (const user of ["default", ...Object.keys(creds.users)]) {
          const answer = await session(port, (c) => reply(c, ["AUTH", user, wrong]));
          results.push(result("redis-auth", ["4.2"], `${subject} user ${user}`, answer.startsWith("OK") ? "fail" : "pass", `AUTH with a wrong password answered ${answer}`, "refused (WRONGPASS): a password is required"));
        }
        const appPassword = creds.users[creds.appUser];
        if (!appPassword) {
          results.push(result("redis-auth", ["4.2"], `${subject} user ${creds.appUser}`, "fail", `the credentials name app user ${creds.appUser} but give no password for it`));
          return results;
        }
        const answers = await session(port, async (c) => {
          const auth = await reply(c, ["AUTH", creds.appUser, appPassword]);
          if (!auth.startsWith("OK")) return [`AUTH: ${auth}`];
          return Promise.all(ADMIN_PROBES.map(async (argv) => `${argv.join(" ")}: ${await reply(c, argv)}`));
        });
        const allowed = answers.filter((a) => !/NOPERM/.test(a));
        results.push(result("redis-auth", ["4.2"], `${subject} user ${creds.appUser} admin commands`, allowed.length === 0 ? "pass" : "fail", answers.join("; "), "NOPERM for every admin command"));
        return results;
      });
    } catch (err) {
      return [unreachable("redis-auth", ["4.2"], subject, err)];
    }
  },
};
