import { describe, expect, it } from "vitest";
import { baselineLater, editUpload, findings, mutate, setEnv, setSecretFile } from "./baseline-later";
import { UNKNOWN } from "./harness";

const editNginx = (edit: (text: string) => string) => mutate("edge-nginx", (p) => editUpload(p, "/etc/nginx/nginx.conf", edit));

describe("redis-cache", () => {
  it("accepts REDIS_HOST naming the Redis container's alias", async () => {
    expect(await findings(baselineLater(), "redis-cache")).toEqual([]);
  });
  it("refuses a REDIS_HOST that is no Redis of the stack", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "REDIS_HOST", "memcached")), "redis-cache");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/"memcached"/);
  });
  it("refuses a Redis whose command line moves it off REDIS_PORT", async () => {
    const moved = mutate("redis", (p) => { p.command = ["redis-server", "--port", "6380"]; });
    expect((await findings(moved, "redis-cache")).map((f) => f.message.split("\n").pop())).toEqual([
      "Container jewelry-web caches in jewelry-redis, but Redis listens on port 6380 (command line:1), not REDIS_PORT 6379.",
    ]);
  });
  it("accepts a REDIS_URL secret file the preview cannot read in place of REDIS_HOST", async () => {
    const viaUrl = mutate("app-web", (p) => { setEnv(p, "REDIS_HOST", undefined); setSecretFile(p, "REDIS_URL", UNKNOWN); });
    expect(await findings(viaUrl, "redis-cache")).toEqual([]);
  });
  it("refuses a known cache URL that is not redis://", async () => {
    const memcached = mutate("app-web", (p) => { setEnv(p, "REDIS_HOST", undefined); setSecretFile(p, "CACHE_URL", "memcache://cache:11211"); });
    expect((await findings(memcached, "redis-cache")).map((f) => f.level)).toEqual(["mandatory"]);
  });
});

describe("static-compression", () => {
  it("accepts gzip on with text types", async () => {
    expect(await findings(baselineLater(), "static-compression")).toEqual([]);
  });
  it("refuses gzip off", async () => {
    const found = await findings(editNginx((t) => t.replace("gzip on;", "gzip off;")), "static-compression");
    expect(found).toHaveLength(1);
  });
  it("refuses gzip_types without CSS", async () => {
    const found = await findings(editNginx((t) => t.replace(" text/css", "")), "static-compression");
    expect(found[0].message).toMatch(/lacks text\/css/);
  });
});

describe("cdn", () => {
  it("accepts proxied records with nginx restoring client addresses", async () => {
    expect(await findings(baselineLater(), "cdn")).toEqual([]);
  });
  it("accepts a stack without a CDN (optional item)", async () => {
    const resources = baselineLater().map((r) => (r.name.startsWith("dns-") ? { ...r, props: { ...r.props, proxied: false } } : r));
    expect(await findings(resources, "cdn")).toEqual([]);
  });
  it("refuses a CDN that hides client addresses from nginx", async () => {
    const found = await findings(editNginx((t) => t.replace("real_ip_header CF-Connecting-IP;", "")), "cdn");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/does not restore client addresses/);
  });
  it("refuses a half-proxied site", async () => {
    const found = await findings(mutate("dns-www", (p) => { p.proxied = false; }), "cdn");
    expect(found[0].message).toMatch(/www\.jewelry-shop\.com is not proxied/);
  });
});
