import { describe, expect, it } from "vitest";
import { baselineLater, editUpload, findings, mutate } from "./baseline-later";

const editNginx = (edit: (text: string) => string) => mutate("edge-nginx", (p) => editUpload(p, "/etc/nginx/nginx.conf", edit));

describe("only-web-ports-published", () => {
  it("accepts nginx on 80/443 and postgres on loopback only", async () => {
    expect(await findings(baselineLater(), "only-web-ports-published")).toEqual([]);
  });
  it("refuses a port without ip, which Docker publishes on 0.0.0.0", async () => {
    const found = await findings(mutate("postgres", (p) => { p.ports = [{ internal: 5432, external: 5432 }]; }), "only-web-ports-published");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/0\.0\.0\.0:5432; only nginx may publish/);
  });
  it("refuses nginx publishing a third port", async () => {
    const found = await findings(mutate("edge-nginx", (p) => { (p.ports as object[]).push({ internal: 8080, external: 8080 }); }), "only-web-ports-published");
    expect(found[0].message).toMatch(/only 80 and 443/);
  });
});

describe("fail2ban-config", () => {
  it("accepts an enabled nginx jail banning in the forward hook", async () => {
    expect(await findings(baselineLater(), "fail2ban-config")).toEqual([]);
  });
  it("refuses a jail whose bans Docker-published ports bypass", async () => {
    const found = await findings(mutate("jewelry-shop-production", (p) => { p.fail2banJailLocal = "[nginx-limit-req]\nenabled = true\n"; }), "fail2ban-config");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/INPUT chain/);
  });
  it("refuses a stack without the jail output", async () => {
    const found = await findings(mutate("jewelry-shop-production", (p) => { delete p.fail2banJailLocal; }), "fail2ban-config");
    expect(found[0].message).toMatch(/no fail2banJailLocal output/);
  });
});

describe("security-headers", () => {
  it("accepts the rendered headers in every location", async () => {
    expect(await findings(baselineLater(), "security-headers")).toEqual([]);
  });
  it("refuses a header sent without always", async () => {
    const found = await findings(editNginx((t) => t.replace(/add_header X-Content-Type-Options "nosniff" always;/g, 'add_header X-Content-Type-Options "nosniff";')), "security-headers");
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].message).toMatch(/X-Content-Type-Options is not nosniff, at .* on 502 responses/);
  });
  it("refuses server_tokens on", async () => {
    const found = await findings(editNginx((t) => t.replace("server_tokens off;", "server_tokens on;")), "security-headers");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/server_tokens/);
  });
});

describe("rate-limiting", () => {
  it("accepts limit_req on login, admin and API with status 429", async () => {
    expect(await findings(baselineLater(), "rate-limiting")).toEqual([]);
  });
  it("refuses nginx's default 503 for limited requests", async () => {
    const found = await findings(editNginx((t) => t.replace("limit_req_status 429;", "")), "rate-limiting");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/not 429/);
  });
  it("refuses limits on an address any client can set through set_real_ip_from", async () => {
    const found = await findings(editNginx((t) => t.replace("real_ip_header CF-Connecting-IP;", "set_real_ip_from 0.0.0.0/0;\n    real_ip_header CF-Connecting-IP;")), "rate-limiting");
    expect(found.map((f) => f.message.split("\n").pop()!.split(", at ")[0])).toEqual(["login", "admin", "API"].map((what) =>
      `nginx jewelry-nginx: ${what} requests are not rate limited per client (set_real_ip_from 0.0.0.0/0 trusts any client, which then picks its address, and so its bucket, in the CF-Connecting-IP header)`));
  });
  it("judges try_files by the location whose limits the request met: the one it left, if that has any", async () => {
    const named = (t: string) => t.replace(/\n(\s*)location \/ \{\n(\s*)proxy_pass http:\/\/django;/, "\n$1location @django {\n$2proxy_pass http://django;\n$1}\n$1location / {\n$2proxy_pass http://django;");
    const kept = await findings(editNginx((t) => named(t).replace(/(limit_req zone=api[^;]*;\n\s*)proxy_pass http:\/\/django;/, "$1try_files $uri @django;")), "rate-limiting");
    expect(kept).toEqual([]);
    const dropped = await findings(editNginx((t) => named(t).replace(/location \^~ \/api\/ \{\n\s*limit_req zone=api[^;]*;\n\s*proxy_pass http:\/\/django;/, "location ^~ /api/ {\n        try_files $uri @django;")), "rate-limiting");
    expect(dropped.map((f) => f.message)).toEqual([expect.stringMatching(/API requests are not rate limited per client, at server .* location @django .*\(e\.g\. https:\/\/jewelry-shop\.com\/api\/\)/)]);
  });
  it("refuses an unlimited API", async () => {
    const found = await findings(editNginx((t) => t.replace(/limit_req zone=api[^;]*;/, "")), "rate-limiting");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/API requests are not rate limited per client, at server .* location \^~ \/api\//);
  });
});
