// The nginx rules on what only the effective-configuration model sees: CSPs as browsers combine them,
// a configuration nginx refuses, files the stack does not declare or does not know yet, IPv6 sockets.
import { describe, expect, it } from "vitest";
import { baselineLater, editUpload, findings, mutate } from "./baseline-later";
import { UNKNOWN } from "./harness";

const NGINX_CONF = "/etc/nginx/nginx.conf";
const editNginx = (edit: (text: string) => string) => mutate("edge-nginx", (p) => editUpload(p, NGINX_CONF, edit));
const STRIPE_CSP = "default-src 'self'; script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; " +
  "connect-src 'self' https://api.stripe.com; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

describe("security-headers judges the CSP browsers enforce", () => {
  it("accepts a CSP that allows Stripe's documented origins", async () => {
    const resources = editNginx((t) => t.replace(/add_header Content-Security-Policy "default-src 'self'; script-src 'self';[^"]*"/g, `add_header Content-Security-Policy "${STRIPE_CSP}"`));
    expect(await findings(resources, "security-headers")).toEqual([]);
  });
  it("accepts a second, looser CSP header: browsers enforce both", async () => {
    const resources = editNginx((t) => t.replace(/(\n {8}add_header X-Content-Type-Options "nosniff" always;)/, `$1\n        add_header Content-Security-Policy "script-src * 'unsafe-inline'" always;`));
    expect(await findings(resources, "security-headers")).toEqual([]);
  });
  it("refuses a CSP whose missing semicolon turns object-src into a source of default-src", async () => {
    const found = await findings(editNginx((t) => t.replace(/connect-src 'self'; object-src 'none';/g, "connect-src 'self' object-src 'none';")), "security-headers");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/does not set object-src 'none', at .* location \/ .* on 200\/502 responses/)]);
  });
});

describe("a configuration nginx refuses", () => {
  const broken = () => editNginx((t) => t.replace("gzip on;", "gzip on;\n    gzip off;"));
  it("is reported once, by tls-nginx, with the file and line", async () => {
    const found = await findings(broken(), "tls-nginx");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/would refuse to start: "gzip" directive is duplicate \(nginx\.conf:\d+\)/)]);
  });
  it("is not judged by the other rules: nothing is served", async () => {
    expect(await findings(broken(), "static-compression")).toEqual([]);
  });
});

describe("files nginx reads that the stack does not hold", () => {
  it("are reported as not judgeable when they come from a host folder", async () => {
    const resources = mutate("edge-nginx", (p) => {
      editUpload(p, NGINX_CONF, (t) => t.replace("gzip on;", "gzip on;\n    include /etc/nginx/host.d/*.conf;"));
      p.volumes = [{ hostPath: "/srv/nginx-extra", containerPath: "/etc/nginx/host.d" }];
    });
    const found = await findings(resources, "hsts-header");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/reads \/etc\/nginx\/host\.d\/\*\.conf, which comes from a host folder or volume/)]);
  });
  it("make the rules undecidable at preview while an included upload is unknown", async () => {
    const resources = mutate("edge-nginx", (p) => {
      editUpload(p, NGINX_CONF, (t) => t.replace("gzip on;", "gzip on;\n    include /etc/nginx/generated.conf;"));
      (p.uploads as object[]).push({ file: "/etc/nginx/generated.conf", content: UNKNOWN });
    });
    const found = await findings(resources, "tls-nginx");
    expect(found.map((f) => f.level)).toEqual(["advisory"]);
    expect(found[0]!.message).toMatch(/can't run policy/);
  });
});

describe("IPv6 sockets", () => {
  const ipv6OnCatchAllOnly = (t: string) => t.replace("listen 80 default_server;", "listen 80 default_server;\n        listen [::]:80 default_server;");
  it("are not judged when no IPv6 reaches the container (Docker forwards IPv6 clients to its IPv4 address)", async () => {
    expect(await findings(editNginx(ipv6OnCatchAllOnly), "http-redirect-https")).toEqual([]);
  });
  it("are judged when the container's network has IPv6: every name must be redirected there too", async () => {
    const resources = [
      ...mutate("edge-nginx", (p) => {
        editUpload(p, NGINX_CONF, ipv6OnCatchAllOnly);
        p.networksAdvanced = [{ name: "jewelry-edge" }];
      }),
      { type: "docker:index/network:Network", name: "edge-network", props: { name: "jewelry-edge", ipv6: true } },
    ];
    const found = await findings(resources, "http-redirect-https");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/closes the connection instead of redirecting, at server _ /)]);
  });
});

it("the baseline passes every nginx rule", async () => {
  for (const policy of ["tls-nginx", "http-redirect-https", "hsts-header", "certbot-renewal", "dns-records", "security-headers", "rate-limiting", "static-compression", "cdn"]) {
    expect(await findings(baselineLater(), policy), policy).toEqual([]);
  }
});
