// The Redis model's reading of a container (no server): how the container starts redis-server and
// which lines have the last word. tests/servers/redis-model.test.ts proves the rest against redis-server.
import { unknownCheckingProxy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { OFFICIAL_REDIS_IMAGE, redisLaunch, redisServerArguments } from "../../policies/lib/redis/command-line";
import { redisModelOf } from "../../policies/lib/redis";
import { UNKNOWN } from "./harness";

const CONF = "/usr/local/etc/redis/redis.conf";
const USERS = "/usr/local/etc/redis/users.acl";
const container = (props: Record<string, unknown>) => ({ props: unknownCheckingProxy({ image: "redis:7.4.1-bookworm", ...props }) });

describe("how a container starts redis-server", () => {
  it("follows the official entrypoint: a first argument ending in .conf or starting with - gets redis-server prepended", () => {
    expect(redisLaunch(undefined, [CONF, "--port", "6380"], OFFICIAL_REDIS_IMAGE)).toEqual({ kind: "server", args: [CONF, "--port", "6380"], unresolved: [] });
    expect(redisLaunch(undefined, ["--appendonly", "no"], OFFICIAL_REDIS_IMAGE)).toEqual({ kind: "server", args: ["--appendonly", "no"], unresolved: [] });
    expect(redisLaunch(undefined, undefined, OFFICIAL_REDIS_IMAGE)).toEqual({ kind: "server", args: [], unresolved: [] });
    expect(redisLaunch(undefined, ["redis-sentinel", "/s.conf"], OFFICIAL_REDIS_IMAGE).kind).toBe("other");
  });
  it("follows sh -c scripts to their exec redis-server, with the container's env and \"$@\"", () => {
    const launch = redisLaunch(["sh", "-c", 'exec redis-server "$@" --maxmemory "$MAXMEM" --requirepass "$PASS"', "--"], [CONF], OFFICIAL_REDIS_IMAGE, new Map([["MAXMEM", "2gb"]]));
    expect(launch).toEqual({ kind: "server", args: [CONF, "--maxmemory", "2gb", "--requirepass", "$PASS"], unresolved: ["$PASS"] });
  });
  it("turns --name value… into config lines, a trailing --save into save \"\"", () => {
    expect(redisServerArguments([CONF, "--save", "900", "1", "--appendonly", "no", "--save"]).options).toBe('save "900" "1" \nappendonly "no" \nsave ""');
  });
});

describe("what has the last word", () => {
  it("a setting after an include of unknown content is final; one before it is undecided", () => {
    const model = redisModelOf(container({
      command: [CONF],
      uploads: [{ file: CONF, content: `maxmemory 1mb\ninclude ${USERS}\nappendonly yes\n` }, { file: USERS, content: UNKNOWN }],
    }));
    expect(model.setting("appendonly")).toMatchObject({ value: "yes" });
    expect(model.setting("appendonly").undecided).toBeUndefined();
    expect(model.setting("maxmemory").undecided).toBe(USERS);
    expect(model.unknownUserFiles).toEqual([USERS]);
  });
  it("reads the official image's defaults: protected-mode off, /data as the working directory", () => {
    const model = redisModelOf(container({}));
    expect(model.setting("protected-mode").value).toBe("no");
    expect(model.dataDir).toBe("/data");
    expect(model.users.map((u) => [u.acl.name, u.acl.enabled, u.acl.nopass])).toEqual([["default", true, true]]);
  });
  it("is undecidable while the command line is unknown", () => {
    expect(() => redisModelOf(container({ command: [CONF, UNKNOWN] }))).toThrow(/can't be known during preview/);
  });
});
