// The nginx model's pure parts: syntax, what a container's nginx reads (image files, entrypoint,
// command line, mounts), version differences, browser semantics of the security headers, regex
// witnesses and the shared cache. What nginx itself does is proven in tests/servers/nginx-model.test.ts.
import { unknownCheckingProxy, type PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { frameOptionsProtect, judgeCsp, nosniff, parseCsp, parseHsts, referrerPolicy, type HeaderField } from "../../policies/lib/http-headers";
import { nginxModel, type NginxInput } from "../../policies/lib/nginx";
import { nginxCommandLine, nginxInputOf, shellWords } from "../../policies/lib/nginx/container-input";
import { IMAGE_FILES } from "../../policies/lib/nginx/image-files";
import { inForce } from "../../policies/lib/nginx/model";
import { respond } from "../../policies/lib/nginx/request";
import { NginxSyntaxError, parseNginxText } from "../../policies/lib/nginx/syntax";
import { handshake } from "../../policies/lib/nginx/tls";
import { regexWitness } from "../../policies/lib/nginx/witness";

const CONTAINER = "docker:index/container:Container";
const container = (props: Record<string, unknown>, name = "nginx"): PolicyResource =>
  ({ type: CONTAINER, name, urn: `urn:${name}`, props: unknownCheckingProxy(props), propertyDependencies: {} }) as unknown as PolicyResource;

const input = (files: Record<string, string>, extra: Partial<NginxInput> = {}): NginxInput => ({
  prefix: "/etc/nginx/", confFile: "/etc/nginx/nginx.conf", opaqueDirs: [], version: "1.27.3",
  files: new Map(Object.entries(files).map(([path, content]) => [path, { content, origin: "test" }])), ...extra,
});

describe("nginx syntax", () => {
  it("keeps quoted arguments whole, resolves escapes, skips comments and reads ${var} as a word", () => {
    const [http] = parseNginxText('http { # comment\n add_header X-A "a; b \\"c\\"" always; set $x ${host}x; }', "t.conf");
    expect(http!.block![0]).toMatchObject({ name: "add_header", args: ["X-A", 'a; b "c"', "always"], line: 2 });
    expect(http!.block![1]!.args).toEqual(["$x", "${host}x"]);
  });
  it("refuses what nginx -t refuses, with the line", () => {
    expect(() => parseNginxText("http {\n server {\n }", "t.conf")).toThrow(NginxSyntaxError);
    expect(() => parseNginxText('add_header X "open;', "t.conf")).toThrow(/closing quote/);
    expect(() => parseNginxText("gzip on", "t.conf")).toThrow(/not terminated/);
  });
});

describe("what an nginx container reads", () => {
  it("uses the official image's nginx.conf, conf.d/default.conf (with the entrypoint's IPv6 listen) and mime.types when nothing replaces them", () => {
    const nginx = container({ image: "nginx:1.27.3-bookworm" });
    const i = nginxInputOf(nginx, [nginx])!;
    expect(i.confFile).toBe("/etc/nginx/nginx.conf");
    const model = nginxModel(i);
    expect(model.loaded.files).toEqual(["/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/conf.d/default.conf"]);
    expect(model.sockets.map((s) => `${s.address}:${s.port}`).sort()).toEqual(["*:80", "[::]:80"]);
  });
  it("renders /etc/nginx/templates with the container's env into conf.d, only when the entrypoint runs", () => {
    const template = { file: "/etc/nginx/templates/site.conf.template", content: "server { listen 80; server_name ${SITE}; add_header X-Host $host; }" };
    const nginx = container({ image: "nginx:1.27.3", envs: ["SITE=shop.test"], uploads: [template] });
    const rendered = nginxInputOf(nginx, [nginx])!.files.get("/etc/nginx/conf.d/site.conf");
    expect(rendered?.content).toBe("server { listen 80; server_name shop.test; add_header X-Host $host; }");
    const wrapped = container({ image: "nginx:1.27.3", envs: ["SITE=shop.test"], uploads: [template], command: ["sh", "-c", "nginx -g 'daemon off;'"] });
    expect(nginxInputOf(wrapped, [wrapped])!.files.has("/etc/nginx/conf.d/site.conf")).toBe(false);
  });
  it("reads -c, -p and -g from the command line, also inside sh -c, skipping nginx -t runs", () => {
    expect(nginxCommandLine(["/docker-entrypoint.sh", "nginx", "-c", "/etc/nginx/other.conf", "-g", "daemon off;"])).toEqual({ confFile: "/etc/nginx/other.conf", prefix: undefined, globalDirectives: "daemon off;" });
    expect(nginxCommandLine(["sh", "-c", "nginx -t -c /a.conf && exec nginx -p/srv/ -c /b.conf -g 'worker_processes 2;'"])).toEqual({ confFile: "/b.conf", prefix: "/srv/", globalDirectives: "worker_processes 2;" });
    expect(shellWords(`a 'b c' "d\\"e";f&&g`)).toEqual(["a", "b c", 'd"e', ";", "f", "&&", "g"]);
  });
  it("sees files another container uploads into a shared volume, and calls a host folder opaque", () => {
    const conf = "events {}\nhttp { include /etc/nginx/shared/*.conf; include /etc/nginx/host/extra.conf; }\n";
    const nginx = container({
      image: "nginx:1.27.3", uploads: [{ file: "/etc/nginx/nginx.conf", content: conf }],
      volumes: [{ volumeName: "jewelry-shared", containerPath: "/etc/nginx/shared" }, { hostPath: "/srv/nginx", containerPath: "/etc/nginx/host" }],
    });
    const writer = container({ image: "alpine:3.20", volumes: [{ volumeName: "jewelry-shared", containerPath: "/out" }], uploads: [{ file: "/out/tls.conf", content: "ssl_protocols TLSv1;\n" }] }, "writer");
    const model = nginxModel(nginxInputOf(nginx, [nginx, writer])!);
    expect(model.loaded.files).toContain("/etc/nginx/shared/tls.conf");
    expect(inForce([model.http], "ssl_protocols").map((d) => d.args)).toEqual([["TLSv1"]]);
    expect(model.loaded.opaque).toEqual(expect.arrayContaining(["/etc/nginx/host/extra.conf"]));
  });
});

describe("version differences between the tested nginx 1.22 and the image's 1.27", () => {
  const conf = "events {}\nhttp { ssl_certificate c; ssl_certificate_key k; server { listen 443; ssl on; } }\n";
  it("`ssl on` works in 1.22 and is an unknown directive from 1.25.1", () => {
    expect(nginxModel(input({ "/etc/nginx/nginx.conf": conf }, { version: "1.22.1" })).errors).toEqual([]);
    expect(nginxModel(input({ "/etc/nginx/nginx.conf": conf })).errors[0]?.message).toMatch(/unknown directive "ssl"/);
  });
  it("the default ssl_protocols is TLSv1-TLSv1.2 before 1.23.4 and TLSv1.2-TLSv1.3 after", () => {
    const plain = "events {}\nhttp { server { listen 443 ssl; ssl_certificate c; ssl_certificate_key k; } }\n";
    const protocols = (version: string) => {
      const model = nginxModel(input({ "/etc/nginx/nginx.conf": plain }, { version }));
      return handshake(model, model.sockets[0]!, undefined).protocols;
    };
    expect(protocols("1.22.1")).toEqual(["TLSv1", "TLSv1.1", "TLSv1.2"]);
    expect(protocols("1.27.3")).toEqual(["TLSv1.2", "TLSv1.3"]);
  });
});

describe("if blocks the request does not decide", () => {
  it("yield every outcome, each with the configuration in force", () => {
    const model = nginxModel(input({ "/etc/nginx/nginx.conf": 'events {}\nhttp { server { listen 80; location / { if ($cookie_beta) { add_header X-Beta 1; } proxy_pass http://app; } } }\n' }));
    const outcomes = respond({ socket: model.sockets[0]!, host: "x", uri: "/" });
    expect(outcomes.map((o) => [o.action.kind, inForce(o.chain, "add_header").length])).toEqual([["proxy", 1], ["proxy", 0]]);
  });
});

describe("security headers as browsers read them", () => {
  const h = (...pairs: [string, string][]): HeaderField[] => pairs.map(([name, value]) => ({ name, value }));
  it("HSTS: only the first header counts; a repeated directive or a bad max-age voids it", () => {
    expect(parseHsts(h(["Strict-Transport-Security", 'max-age="63072000"; includeSubDomains']))).toEqual({ maxAge: 63072000, includeSubDomains: true, preload: false });
    expect(parseHsts(h(["Strict-Transport-Security", "max-age=300"], ["Strict-Transport-Security", "max-age=63072000"]))).toMatchObject({ maxAge: 300 });
    expect(parseHsts(h(["Strict-Transport-Security", "max-age=63072000; max-age=1"]))).toMatch(/repeats max-age/);
    expect(parseHsts(h(["Strict-Transport-Security", "max-age=63072000, includeSubDomains"]))).toMatch(/not a number/);
  });
  it("X-Content-Type-Options: the first value decides", () => {
    expect(nosniff(h(["X-Content-Type-Options", "nosniff, sniff"]))).toBe(true);
    expect(nosniff(h(["X-Content-Type-Options", "sniff"], ["X-Content-Type-Options", "nosniff"]))).toBe(false);
  });
  it("X-Frame-Options: conflicting values still block, ALLOW-FROM alone does not", () => {
    expect(frameOptionsProtect(h(["X-Frame-Options", "DENY"], ["X-Frame-Options", "SAMEORIGIN"]))).toBe(true);
    expect(frameOptionsProtect(h(["X-Frame-Options", "ALLOW-FROM https://partner.example"]))).toBe(false);
  });
  it("Referrer-Policy: the last valid token wins", () => {
    expect(referrerPolicy(h(["Referrer-Policy", "no-referrer, unsafe-url"]))).toBe("unsafe-url");
    expect(referrerPolicy(h(["Referrer-Policy", "strict-origin, bogus"]))).toBe("strict-origin");
  });
  it("CSP: accepts third-party origins such as Stripe's; a duplicate directive is ignored after the first; policies combine restrictively", () => {
    const stripe = "default-src 'self'; script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; " +
      "connect-src 'self' https://api.stripe.com; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
    expect(judgeCsp(h(["Content-Security-Policy", stripe])).problems).toEqual([]);
    expect(parseCsp(h(["Content-Security-Policy", "script-src 'self'; script-src *"]))[0]!.get("script-src")).toEqual(["'self'"]);
    const weakThenStrong = h(["Content-Security-Policy", "script-src * 'unsafe-inline'"], ["Content-Security-Policy", stripe]);
    expect(judgeCsp(weakThenStrong).problems).toEqual([]);
    expect(judgeCsp(h(["Content-Security-Policy", "default-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'"])).problems).toEqual([expect.stringMatching(/inline/)]);
    expect(judgeCsp(h(["Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' 'nonce-abc123'; object-src 'none'; base-uri 'none'"])).problems).toEqual([]);
  });
  it("CSP: a missing semicolon or 'none' beside other sources does not restrict", () => {
    expect(judgeCsp(h(["Content-Security-Policy", "default-src 'self' object-src 'none'; base-uri 'self'"])).problems).toEqual([expect.stringMatching(/object-src/)]);
    expect(judgeCsp(h(["Content-Security-Policy", "default-src 'self'; object-src 'none' 'self'; base-uri 'self'"])).problems).toEqual([expect.stringMatching(/object-src/)]);
  });
});

describe("regex witnesses", () => {
  it.each([["\\.(png|css)$", "/.png"], ["^/api/v\\d+/", "/api/v1/"], ["^/(?<lang>[a-z]{2})/shop", "/aa/shop"], ["/\\.", "/."]])("%s is answered by %s", (source, witness) => {
    expect(regexWitness(new RegExp(source))).toBe(witness);
  });
});

describe("the model cache", () => {
  it("builds one model per distinct configuration and shares it", () => {
    const files = Object.fromEntries([...IMAGE_FILES]);
    expect(nginxModel(input(files))).toBe(nginxModel(input({ ...files })));
    expect(nginxModel(input(files))).not.toBe(nginxModel(input({ ...files, "/etc/nginx/nginx.conf": `${files["/etc/nginx/nginx.conf"]}\n# changed\n` })));
  });
});
