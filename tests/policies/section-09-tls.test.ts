import { describe, expect, it } from "vitest";
import { baselineLater, editUpload, findings, mutate } from "./baseline-later";

const NGINX_CONF = "/etc/nginx/nginx.conf";
const editNginx = (edit: (text: string) => string) => mutate("edge-nginx", (p) => editUpload(p, NGINX_CONF, edit));

describe("tls-nginx", () => {
  it("accepts Mozilla intermediate TLS", async () => {
    expect(await findings(baselineLater(), "tls-nginx")).toEqual([]);
  });
  it("refuses TLS 1.0", async () => {
    const found = await findings(editNginx((t) => t.replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1 TLSv1.2 TLSv1.3;")), "tls-nginx");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/protocols TLSv1 are enabled/);
  });
  it("reads an nginx.conf uploaded as contentBase64 like one uploaded as content", async () => {
    const asBase64 = (edit: (text: string) => string) => mutate("edge-nginx", (p) => {
      const upload = (p.uploads as { file: string; content?: string; contentBase64?: string }[]).find((u) => u.file === NGINX_CONF)!;
      upload.contentBase64 = Buffer.from(edit(upload.content!)).toString("base64");
      delete upload.content;
    });
    expect(await findings(asBase64((t) => t), "tls-nginx")).toEqual([]);
    const found = await findings(asBase64((t) => t.replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1 TLSv1.2 TLSv1.3;")), "tls-nginx");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/protocols TLSv1 are enabled/)]);
  });
  it("refuses a CBC cipher", async () => {
    const found = await findings(editNginx((t) => t.replace("ssl_ciphers ", "ssl_ciphers ECDHE-RSA-AES128-SHA:")), "tls-nginx");
    expect(found[0].message).toMatch(/ECDHE-RSA-AES128-SHA/);
  });
});

describe("http-redirect-https", () => {
  it("accepts a 301 to https keeping $request_uri, ACME path exempt", async () => {
    expect(await findings(baselineLater(), "http-redirect-https")).toEqual([]);
  });
  it("refuses a redirect that drops the path", async () => {
    const found = await findings(editNginx((t) => t.replace("return 301 https://$host$request_uri;", "return 301 https://$host/;")), "http-redirect-https");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/redirects to \/, dropping the requested path or query, at .* location \/ /);
  });
});

describe("hsts-header", () => {
  it("accepts two years with includeSubDomains, always, in every location", async () => {
    expect(await findings(baselineLater(), "hsts-header")).toEqual([]);
  });
  it("refuses HSTS shorter than a year", async () => {
    const found = await findings(editNginx((t) => t.replace(/max-age=63072000/g, "max-age=86400")), "hsts-header");
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].message).toMatch(/below 31536000/);
  });
  it("refuses a location whose own add_header drops HSTS", async () => {
    const found = await findings(editNginx((t) => t.replace('        add_header Cache-Control "public, max-age=86400";', '        add_header Cache-Control "public, max-age=86400";\n        # media only').replace(/(location \^~ \/media\/ \{[\s\S]*?)add_header Strict-Transport-Security[^\n]*\n/, "$1")), "hsts-header");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/no Strict-Transport-Security header, at server .* location \^~ \/media\/ .* on 200\/404 responses/);
  });
  it("refuses a named location reached by try_files whose own add_header drops HSTS", async () => {
    const found = await findings(editNginx((t) => t.replace(/location \/ \{\n(\s+)proxy_pass http:\/\/django;/,
      "location / {\n$1try_files $uri @django;\n}\nlocation @django {\n$1add_header X-Upstream $upstream_addr always;\n$1proxy_pass http://django;")), "hsts-header");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/no Strict-Transport-Security header, at server .* location @django .* on 200\/502 responses/)]);
  });
});

describe("certbot-renewal", () => {
  it("accepts the certonly + renew loop with restart unless-stopped", async () => {
    expect(await findings(baselineLater(), "certbot-renewal")).toEqual([]);
  });
  it("refuses a certbot that Docker never restarts", async () => {
    const found = await findings(mutate("edge-certbot", (p) => { delete p.restart; }), "certbot-renewal");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/restart "no"/);
  });
  const editCertbot = (edit: (script: string) => string) => mutate("edge-certbot", (p) => { p.command = (p.command as string[]).map(edit); });
  it("refuses a renewal loop that only dry-runs", async () => {
    const found = await findings(editCertbot((s) => s.replace("certbot renew --webroot", "certbot renew --dry-run --webroot")), "certbot-renewal");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/certbot renew --dry-run`, .*no certificate is ever renewed/)]);
  });
  it("refuses a certificate from the staging CA, by --test-cert or by --server", async () => {
    const staging = await findings(editCertbot((s) => s.replace("certbot certonly --webroot", "certbot certonly --test-cert --webroot")), "certbot-renewal");
    expect(staging.map((f) => f.message)).toEqual([expect.stringMatching(/certbot certonly` against https:\/\/acme-staging-v02\.api\.letsencrypt\.org\/directory/)]);
    const server = await findings(editCertbot((s) => s.replace("certbot renew ", "certbot renew --server=https://acme-staging-v02.api.letsencrypt.org/directory ")), "certbot-renewal");
    expect(server.map((f) => f.message)).toEqual([expect.stringMatching(/certbot renew` against https:\/\/acme-staging-v02/)]);
  });
  it("refuses a certificate that leaves out a name nginx serves; one comma-separated -d naming both covers them", async () => {
    const found = await findings(editCertbot((s) => s.replace(/ -d www\.[^ ]+/, "")), "certbot-renewal");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/serves www\.jewelry-shop\.com over HTTPS, but Certbot jewelry-certbot requests its certificate for jewelry-shop\.com /)]);
    expect(await findings(editCertbot((s) => s.replace(/ -d [^ ]+ -d [^ ]+/, " --domains=jewelry-shop.com,WWW.jewelry-shop.com")), "certbot-renewal")).toEqual([]);
  });
  it("refuses a renewal loop that tries less often than daily", async () => {
    const found = await findings(editCertbot((s) => s.replace("sleep 12h", "sleep 30d 12h")), "certbot-renewal");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/renewal loop sleeps 30\.5 days between tries/)]);
    expect(await findings(editCertbot((s) => s.replace("sleep 12h", "sleep 86400")), "certbot-renewal")).toEqual([]);
  });
  it("refuses a one-off renew", async () => {
    const found = await findings(mutate("edge-certbot", (p) => { p.command = ["certbot certonly --webroot -w /var/www/acme -d x && certbot renew"]; }), "certbot-renewal");
    expect(found[0].message).toMatch(/once instead of in a loop/);
  });
});

describe("dns-records", () => {
  it("accepts A records for the domain and its alias", async () => {
    expect(await findings(baselineLater(), "dns-records")).toEqual([]);
  });
  it("refuses a served name without a record", async () => {
    const found = await findings(baselineLater().filter((r) => r.name !== "dns-www"), "dns-records");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/www\.jewelry-shop\.com/);
  });
});
