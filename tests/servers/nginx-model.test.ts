// Differential proof of the policy pack's nginx model (policies/lib/nginx) against the real nginx
// (Debian's 1.22): for the stack's own nginx.conf and mutated variants, what the model says equals what
// nginx does: the files `nginx -T` loads, whether `nginx -t` refuses, and per request the server and
// location that answer, the status, the redirect, the headers, the Server header, gzip, the TLS
// handshake per SNI name and version and cipher, 429 after a burst per client.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNginxConf } from "../../components/nginx/nginx-conf";
import { inForce, valueOf } from "../../policies/lib/nginx/model";
import {
  addedHeaders, clientAddressSource, errorPageChain, gzipCompresses, limitReqChain, outcomeStatus, respond, staticFilePath, type Outcome,
} from "../../policies/lib/nginx/request";
import { handshake } from "../../policies/lib/nginx/tls";
import { NGINX_VERSION, runVariant, stopUpstream, type Probe, type RunningVariant, type Variant } from "./nginx-differential";

const UPSTREAM_BODY_LENGTH = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ id: i })) }).length;
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/** Header names any add_header of the loaded configuration sets: the ones whose presence is compared. */
function addHeaderNames(v: RunningVariant): string[] {
  const names = new Set<string>();
  const walk = (ds: readonly { name: string; args: readonly string[]; block?: readonly unknown[] }[]) => {
    for (const d of ds) {
      if (d.name === "add_header") names.add((d.args[0] ?? "").toLowerCase());
      if (d.block) walk(d.block as typeof ds);
    }
  };
  walk(v.model.loaded.main);
  return [...names];
}

/** "tag:line" of the block whose access_log records the outcome (the fixture's naming). */
function blockOf(v: RunningVariant, outcome: Outcome): string {
  const d = outcome.location?.directive ?? outcome.server.directive;
  return `${d.file.slice(v.dir.length + 1).replace(/\W+/g, "_")}:${d.line}`;
}

interface Seen {
  readonly status: number | "closed";
  readonly location?: string;
  readonly server?: string;
  readonly answeredBy?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly gzip?: boolean;
}

/** What the model says nginx answers to `probe` (the request must decide every condition). */
function predict(v: RunningVariant, probe: Probe): Seen {
  const [uri = "/", args] = probe.path.split("?");
  const all = respond({ socket: v.socket(probe.port, probe.address), host: probe.host, uri, args, client: probe.from ?? "127.0.0.1" });
  // try_files tests files on disk, which the request does not decide but this fixture does.
  const found = all.find((o) => !o.filesAbsent);
  const outcomes = all.length === 2 && all.some((o) => o.filesAbsent) && found
    ? all.filter((o) => (found.action.kind === "static" && existsSync(staticFilePath(found, uri)!)) === !o.filesAbsent)
    : all;
  expect(outcomes, `${probe.path} decides every condition`).toHaveLength(1);
  const outcome = outcomes[0]!;
  if (outcome.action.kind === "close") return { status: "closed" };
  let status = outcomeStatus(outcome)!;
  if (outcome.action.kind === "static") status = existsSync(staticFilePath(outcome, uri)!) ? 200 : 404;
  const { chain, status: sent } = status >= 400 ? errorPageChain(outcome, status) : { chain: outcome.chain, status };
  const added = addedHeaders(chain, sent);
  const headers = Object.fromEntries(addHeaderNames(v).map((name) => {
    const values = added.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
    return [name, values.length > 0 ? values.join(", ") : undefined];
  }));
  const gzip = probe.headers?.["accept-encoding"] === "gzip" && outcome.action.kind === "proxy"
    ? gzipCompresses(chain, { contentType: "application/json", length: UPSTREAM_BODY_LENGTH, userAgent: probe.headers?.["user-agent"] ?? "" })
    : undefined;
  return {
    status: sent,
    location: outcome.action.kind === "return" ? outcome.action.url : undefined,
    server: valueOf(chain, "server_tokens", "on") === "off" ? "nginx" : `nginx/${NGINX_VERSION}`,
    answeredBy: blockOf(v, outcome),
    headers,
    gzip,
  };
}

async function observe(v: RunningVariant, probe: Probe, expected: Seen): Promise<Seen> {
  const reply = await v.request(probe);
  if (reply === "closed") return { status: "closed" };
  return {
    status: reply.status,
    location: reply.headers.location,
    server: String(reply.headers.server),
    answeredBy: reply.answeredBy,
    headers: Object.fromEntries(Object.keys(expected.headers ?? {}).map((name) => [name, reply.headers[name] as string | undefined])),
    gzip: expected.gzip === undefined ? undefined : reply.headers["content-encoding"] === "gzip",
  };
}

/** The model's answer equals nginx's for every probe. */
async function expectSameAnswers(v: RunningVariant, probes: readonly Probe[]): Promise<void> {
  for (const probe of probes) {
    const expected = predict(v, probe);
    const seen = await observe(v, probe, expected);
    expect(seen, `${probe.tls ? "https" : "http"}://${probe.host ?? "(no host)"}:${probe.port}${probe.path}`).toEqual(expected);
  }
}

/** The model's handshake verdict equals nginx's for every (port, SNI, version, cipher). */
async function expectSameHandshakes(v: RunningVariant, probes: readonly Parameters<RunningVariant["handshake"]>[0][]): Promise<void> {
  for (const probe of probes) {
    const h = handshake(v.model, v.socket(probe.port), probe.sni);
    const offered = probe.version === "TLSv1.3" ? h.tls13Suites : probe.cipher ? h.tls12Ciphers.filter((c) => c === probe.cipher) : h.tls12Ciphers;
    const accepts = !h.rejected && h.negotiable.includes(probe.version) && offered.length > 0;
    const real = await v.handshake(probe);
    const label = `${probe.port} sni=${probe.sni ?? "-"} ${probe.version} ${probe.cipher ?? ""}`;
    expect(real === "refused" ? "refused" : "accepted", label).toBe(accepts ? "accepted" : "refused");
    if (real !== "refused") {
      expect(real.protocol, label).toBe(probe.version);
      expect(probe.version === "TLSv1.3" ? h.tls13Suites : h.tls12Ciphers, label).toContain(real.cipher);
    }
  }
}

const hosts = (port: number, names: readonly (string | undefined)[], paths: readonly string[], extra: Partial<Probe> = {}): Probe[] =>
  names.flatMap((host) => paths.map((path) => ({ port, host, path, ...extra })));

async function withVariant(variant: Variant, check: (v: RunningVariant) => Promise<void>): Promise<void> {
  const v = await runVariant(variant);
  try {
    expect(v.refused, "nginx -t accepts the variant").toBeUndefined();
    expect(v.model.errors, "the model finds no start-up error").toEqual([]);
    expect(v.model.loaded.files, "the files nginx -T loads").toEqual(v.dumpedFiles);
    await check(v);
  } finally {
    await v.stop();
  }
}

afterAll(stopUpstream);

describe("the model and nginx 1.22 agree on the stack's own nginx.conf", () => {
  let v: RunningVariant;
  const DOMAIN = "shop.example.test";
  beforeAll(async () => {
    v = await runVariant({
      name: "stack",
      files: {
        "nginx.conf": renderNginxConf({
          primaryDomain: DOMAIN,
          domainAliases: [`www.${DOMAIN}`],
          upstream: { host: "127.0.0.1", port: 4 },
          listenAddress: "127.0.0.1",
          httpPort: 1, httpsPort: 2, publicHttpsPort: 2,
          acmeWebroot: "{{DIR}}/acme",
          tls: { certificates: [{ certificatePath: "{{CERT}}", keyPath: "{{KEY}}" }, { certificatePath: "{{RSACERT}}", keyPath: "{{RSAKEY}}" }], dhparamPath: "{{DH}}" },
          staticRoot: "{{DIR}}/static",
          mediaRoot: "{{DIR}}/media",
          clientMaxBodyMb: 20,
          paths: { pidFile: "{{DIR}}/nginx.pid", errorLog: "{{DIR}}/error.log", accessLog: "{{DIR}}/access.log", tempDir: "{{DIR}}" },
          status: { port: 3, allowCidrs: [] },
        })
          // The renderer takes numbers; the fixture fills in the free ports and the stand-in app.
          .replace(/127\.0\.0\.1:1\b/g, "127.0.0.1:{{P1}}").replace(/127\.0\.0\.1:2\b/g, "127.0.0.1:{{P2}}").replace(/127\.0\.0\.1:3\b/g, "127.0.0.1:{{P3}}")
          .replace(/:2\$request_uri/g, ":{{P2}}$request_uri").replace("server 127.0.0.1:4;", "server 127.0.0.1:{{UP}};"),
      },
      content: {
        "static/app.css": "body { color: #333; }\n".repeat(100),
        "media/upload.html": "<p>upload</p>",
        "acme/.well-known/acme-challenge/token-1": "token-1.thumbprint",
      },
      systemFiles: ["/etc/nginx/mime.types"],
      commandLine: undefined,
    });
  });
  afterAll(async () => v?.stop());

  it("loads the same files and is accepted", () => {
    expect(v.refused).toBeUndefined();
    expect(v.model.errors).toEqual([]);
    expect(v.model.loaded.files).toEqual(v.dumpedFiles);
  });

  it("answers every name on plain HTTP the same way: redirect, ACME file, dropped unknown names", async () => {
    await expectSameAnswers(v, hosts(v.ports[0]!, [DOMAIN, `www.${DOMAIN}`, "unknown.example"], ["/", "/rings/gold/?size=7", "/.well-known/acme-challenge/token-1", "/api/x"]));
  });

  it("answers every name and location on HTTPS the same way, headers included", async () => {
    const paths = ["/", "/api/products/", "/static/app.css", "/static/missing.css", "/media/upload.html", "/accounts/login/", "/admin/login/", "/admin/orders/", "/health/", "/metrics"];
    await expectSameAnswers(v, hosts(v.ports[1]!, [DOMAIN, `www.${DOMAIN}`], paths, { tls: true }));
    await expectSameAnswers(v, hosts(v.ports[2]!, [undefined], ["/stub_status", "/metrics", "/other"]));
  });

  it("negotiates exactly the protocols and ciphers the model derives, per SNI name", async () => {
    const probes = [DOMAIN, `www.${DOMAIN}`, "unknown.example", undefined].flatMap((sni) => [
      ...(["TLSv1.1", "TLSv1.2", "TLSv1.3"] as const).map((version) => ({ port: v.ports[1]!, sni, version })),
      ...["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256"]
        .map((cipher) => ({ port: v.ports[1]!, sni, version: "TLSv1.2" as const, cipher })),
    ]);
    await expectSameHandshakes(v, probes);
  });
});

describe("the model and nginx 1.22 agree on mutated configurations", () => {
  it("includes: globs sorted, relative to the main file's folder, hidden and non-matching files skipped, unreferenced files never read", async () => {
    await withVariant({
      name: "includes",
      files: {
        "nginx.conf": `events {}
http {
    include conf.d/*.conf;
    include snippets/headers.conf;
    server {
        listen 127.0.0.1:{{P1}} default_server;
        server_name main.test;
        include snippets/locations.conf;
        location / {
            return 200 "main";
        }
    }
}
`,
        "conf.d/20-b.conf": `server {
    listen 127.0.0.1:{{P1}};
    server_name b.test;
    add_header X-From b always;
    location / {
        return 200 "b";
    }
}
`,
        "conf.d/10-a.conf": `server {
    listen 127.0.0.1:{{P1}};
    server_name a.test b.test;
    location / {
        return 200 "a";
    }
}
`,
        "conf.d/.hidden.conf": "server { listen 127.0.0.1:{{P2}}; }\n",
        "conf.d/readme.txt": "not nginx syntax {\n",
        "snippets/headers.conf": "add_header X-Global yes always;\n",
        "snippets/locations.conf": `location /inc/ {
    return 200 "inc";
}
`,
        "unused/never.conf": "this file is never read {\n",
      },
    }, async (v) => {
      expect(v.dumpedFiles.map((f) => f.slice(v.dir.length + 1))).toEqual(["nginx.conf", "conf.d/10-a.conf", "conf.d/20-b.conf", "snippets/headers.conf", "snippets/locations.conf"]);
      await expectSameAnswers(v, hosts(v.ports[0]!, ["main.test", "a.test", "b.test", "other.test"], ["/", "/inc/x"]));
    });
  });

  it("add_header: an inner level with its own lines replaces all inherited ones; `always` decides error responses; if blocks and nested locations", async () => {
    await withVariant({
      name: "headers",
      files: {
        "nginx.conf": `events {}
http {
    add_header X-Http http always;
    add_header X-Frame-Options DENY;
    server {
        listen 127.0.0.1:{{P1}};
        server_name h.test;
        location / {
            return 200 "root";
        }
        location /missing {
            return 404;
        }
        location /own {
            add_header X-Own own;
            return 200 "own";
            location /own/nested {
                return 200 "nested";
            }
        }
        location /cond {
            if ($arg_x) {
                add_header X-If yes always;
            }
            return 200 "cond";
        }
        location /err {
            error_page 418 = /errpage;
            return 418;
        }
        location = /errpage {
            add_header X-Err-Page yes always;
            return 200 "error page";
        }
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name s.test;
        add_header X-Server srv always;
        add_header X-Server second;
        location / {
            return 200 "s";
        }
        location /loc {
            add_header X-Loc loc always;
            return 500;
        }
    }
}
`,
      },
    }, async (v) => {
      await expectSameAnswers(v, [
        ...hosts(v.ports[0]!, ["h.test"], ["/", "/missing", "/own", "/own/nested", "/cond", "/cond?x=1", "/cond?x=0"]),
        ...hosts(v.ports[0]!, ["s.test"], ["/", "/loc"]),
      ]);
    });
  });

  it("repeated directives: ssl_protocols lines add up, gzip_types lines add up; a second gzip, ssl_ciphers, limit_req zone, location or default_server is refused", async () => {
    await withVariant({
      name: "repeats",
      files: {
        "nginx.conf": `events {}
http {
    ssl_certificate {{CERT}};
    ssl_certificate_key {{KEY}};
    ssl_protocols TLSv1.3;
    ssl_protocols TLSv1.2;
    gzip on;
    gzip_min_length 1;
    gzip_types text/css;
    gzip_types application/json;
    server {
        listen 127.0.0.1:{{P1}} ssl;
        server_name d.test;
        location / {
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
}
`,
      },
    }, async (v) => {
      await expectSameHandshakes(v, (["TLSv1.1", "TLSv1.2", "TLSv1.3"] as const).map((version) => ({ port: v.ports[0]!, sni: "d.test", version })));
      await expectSameAnswers(v, [{ port: v.ports[0]!, tls: true, host: "d.test", path: "/x", headers: { "accept-encoding": "gzip" } }]);
    });
    const refusedByBoth = [
      "gzip on;\n    gzip off;",
      "ssl_ciphers HIGH;\n    ssl_ciphers ALL;",
      "limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n    limit_req_zone $remote_addr zone=z:1m rate=2r/s;",
      "server {\n        listen 127.0.0.1:{{P1}} default_server;\n    }\n    server {\n        listen 127.0.0.1:{{P1}} default_server;\n    }",
      "server {\n        listen 127.0.0.1:{{P1}};\n        location /a {\n        }\n        location ^~ /a {\n        }\n    }",
      "server {\n        listen 127.0.0.1:{{P1}};\n        location /a {\n            location /b {\n            }\n        }\n    }",
      "include missing/file.conf;",
      "server {\n        listen 127.0.0.1:{{P1}};\n        ssl_protocols TLSv1.2;\n        location / {\n            ssl_ciphers HIGH;\n        }\n    }",
      "limit_req_status 429;\n    limit_req_status 503;",
      // ngx_atoi takes digits only, and a rate must be positive, per second or per minute.
      "limit_req_zone $binary_remote_addr zone=z:1m rate=0.2r/s;",
      "limit_req_zone $binary_remote_addr zone=z:1m rate=0r/m;",
      "limit_req_zone $binary_remote_addr zone=z:1m rate=10r/h;",
    ];
    for (const body of refusedByBoth) {
      const v = await runVariant({ name: "refused", files: { "nginx.conf": `events {}\nhttp {\n    ${body}\n}\n` } }, { start: false });
      try {
        expect(v.refused, body).toBeDefined();
        const nginxLine = Number(/\[emerg\].*:(\d+)$/m.exec(v.refused ?? "")?.[1]);
        expect(v.model.errors[0]?.line, `${body}\n${v.refused}`).toBe(nginxLine);
      } finally {
        await v.stop();
      }
    }
  });

  it("server selection: exact, longest leading wildcard, longest trailing wildcard, first regex, then default_server; per listen address", async () => {
    await withVariant({
      name: "server-names",
      files: {
        "nginx.conf": `events {}
http {
    server {
        listen 127.0.0.1:{{P1}};
        server_name _;
        return 200 "first";
    }
    server {
        listen 127.0.0.1:{{P1}} default_server;
        server_name default.test;
        return 200 "default";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name exact.example.test;
        return 200 "exact";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name *.example.test;
        return 200 "head";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name *.sub.example.test;
        return 200 "longer head";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name www.example.*;
        return 200 "tail";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name ~^api\\d+\\.;
        return 200 "regex 1";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name ~^api;
        return 200 "regex 2";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name .dot.test;
        return 200 "dot";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name exact.example.test;
        return 200 "conflicting name, ignored";
    }
    server {
        listen 127.0.0.2:{{P1}};
        server_name exact.example.test;
        return 200 "second address";
    }
    server {
        listen 127.0.0.1:{{P2}};
        return 200 "no name, first on its port";
    }
}
`,
      },
    }, async (v) => {
      const names = ["unknown.test", "exact.example.test", "EXACT.Example.Test.", "exact.example.test:8080", "x.example.test", "a.sub.example.test", "sub.example.test",
        "www.example.org", "api1.example.test", "api1.other", "api-x.other", "dot.test", "x.dot.test", "default.test"];
      await expectSameAnswers(v, [
        ...hosts(v.ports[0]!, names, ["/"]),
        ...hosts(v.ports[0]!, ["exact.example.test", "other.test"], ["/"], { address: "127.0.0.2" }),
        ...hosts(v.ports[1]!, ["anything.test"], ["/"]),
      ]);
    });
  });

  it("location choice: exact, ^~, regexes in order, longest prefix, nested prefixes and regexes", async () => {
    await withVariant({
      name: "locations",
      files: {
        "nginx.conf": `events {}
http {
    server {
        listen 127.0.0.1:{{P1}};
        location = /exact {
            return 200 "exact";
        }
        location /exact {
            return 200 "prefix exact";
        }
        location ^~ /static/ {
            return 200 "static";
        }
        location ~ \\.(png|css)$ {
            return 200 "extension";
        }
        location ~* ^/case {
            return 200 "caseless";
        }
        location /docs/ {
            return 200 "docs";
            location ~ \\.pdf$ {
                return 200 "nested regex";
            }
            location /docs/deep/ {
                return 200 "nested prefix";
            }
            location ^~ /docs/stop/ {
                return 200 "nested stop";
            }
        }
        location ~ ^/docs/ {
            return 200 "outer regex";
        }
        location /api {
            return 200 "api no slash";
        }
        location /api/ {
            return 200 "api";
        }
        location ~ /api/v2 {
            return 200 "api v2 regex";
        }
        location ~ /api/v\\d {
            return 200 "api v-digit regex";
        }
        location / {
            return 200 "root";
        }
        location @named {
            return 200 "named";
        }
    }
}
`,
      },
    }, async (v) => {
      const paths = ["/exact", "/exact/", "/exactly", "/static/a.png", "/img/a.png", "/CASE/x", "/case/x", "/docs/a.pdf", "/docs/deep/x", "/docs/deep/x.pdf",
        "/docs/stop/x.pdf", "/docs/x", "/api", "/api/", "/api/v2/x", "/api/v3/x", "/apix", "/@named", "/"];
      await expectSameAnswers(v, hosts(v.ports[0]!, ["l.test"], paths));
    });
  });

  it("TLS: versions from the socket's default server, ciphers and certificate from the SNI server, ssl on a socket any listen enables, rejected handshakes, ssl_conf_command", async () => {
    await withVariant({
      name: "tls",
      files: {
        "nginx.conf": `events {}
http {
    ssl_certificate {{CERT}};
    ssl_certificate_key {{KEY}};
    ssl_certificate {{RSACERT}};
    ssl_certificate_key {{RSAKEY}};
    ssl_dhparam {{DH}};
    server {
        listen 127.0.0.1:{{P1}} ssl default_server;
        server_name d.test;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
        return 200 "d";
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name n.test;
        ssl_protocols TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256;
        return 200 "n";
    }
    server {
        listen 127.0.0.1:{{P2}} ssl;
        server_name reject.test;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:{{P2}} ssl;
        server_name ok.test;
        ssl_protocols TLSv1.2 TLSv1.3;
        return 200 "ok";
    }
    server {
        listen 127.0.0.1:{{P3}} ssl;
        server_name legacy.test;
        ssl_protocols TLSv1 TLSv1.2;
        ssl_ciphers "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0";
        return 200 "legacy";
    }
    server {
        listen 127.0.0.1:{{P4}} ssl;
        server_name conf.test;
        ssl_protocols TLSv1.2;
        ssl_ciphers "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0";
        ssl_conf_command Protocol TLSv1.1;
        return 200 "conf";
    }
}
`,
      },
    }, async (v) => {
      const [p1, p2, p3, p4] = v.ports as [number, number, number, number];
      const versions = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
      await expectSameHandshakes(v, [
        ...["d.test", "n.test", "x.test", undefined].flatMap((sni) => [
          ...versions.map((version) => ({ port: p1, sni, version })),
          ...["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256"].map((cipher) => ({ port: p1, sni, version: "TLSv1.2" as const, cipher })),
        ]),
        ...["reject.test", "ok.test", undefined].flatMap((sni) => versions.map((version) => ({ port: p2, sni, version }))),
        ...versions.map((version) => ({ port: p3, sni: "legacy.test", version, cipher: version === "TLSv1.3" ? undefined : "ECDHE-ECDSA-AES128-SHA" })),
        ...versions.map((version) => ({ port: p4, sni: "conf.test", version, cipher: version === "TLSv1.3" ? undefined : "ECDHE-ECDSA-AES128-SHA" })),
      ]);
      await expectSameAnswers(v, [...hosts(p1, ["d.test", "n.test"], ["/"], { tls: true }), ...hosts(p2, ["ok.test"], ["/"], { tls: true })]);
    });
  });

  it("nginx 1.22's `ssl on`: the socket's default server decides whether a listen without ssl speaks TLS", async () => {
    await withVariant({
      name: "ssl-on",
      files: {
        "nginx.conf": `events {}
http {
    ssl_certificate {{CERT}};
    ssl_certificate_key {{KEY}};
    server {
        listen 127.0.0.1:{{P1}};
        server_name a.test;
        ssl on;
        return 200 "a";
    }
    server {
        listen 127.0.0.1:{{P2}};
        server_name b.test;
        return 200 "b";
    }
    server {
        listen 127.0.0.1:{{P2}};
        server_name c.test;
        ssl on;
        return 200 "c";
    }
}
`,
      },
    }, async (v) => {
      expect([v.socket(v.ports[0]!).ssl, v.socket(v.ports[1]!).ssl]).toEqual([true, false]);
      await expectSameAnswers(v, [...hosts(v.ports[0]!, ["a.test"], ["/"], { tls: true }), ...hosts(v.ports[1]!, ["b.test", "c.test"], ["/"])]);
    });
  });

  it("rewrite phase: server-level if and return run before locations, 301/302, rewrite … last/break/permanent, $server_name", async () => {
    await withVariant({
      name: "rewrites",
      files: {
        "nginx.conf": `events {}
http {
    server {
        listen 127.0.0.1:{{P1}};
        server_name r.test www.r.test;
        if ($host = www.r.test) {
            return 301 https://r.test$request_uri;
        }
        location / {
            return 301 https://$host$request_uri;
        }
        location /temp {
            return 302 https://$host$request_uri;
        }
        location /lost {
            return 301 https://$host/;
        }
        location /rw/ {
            rewrite ^/rw/(.*)$ /target/$1 last;
        }
        location /target/ {
            return 200 "target";
        }
        location /perm {
            rewrite ^ https://$host$request_uri? permanent;
        }
        location /brk/ {
            rewrite ^/brk/(.*)$ /target/$1 break;
            return 200 "after break";
        }
        location /ifq {
            if ($args ~ "debug=1") {
                return 403;
            }
            return 200 "ifq";
        }
    }
    server {
        listen 127.0.0.1:{{P1}};
        server_name alias.test primary.test;
        return 301 https://$server_name$request_uri;
    }
}
`,
      },
    }, async (v) => {
      await expectSameAnswers(v, [
        ...hosts(v.ports[0]!, ["r.test", "www.r.test"], ["/", "/a/b?c=1", "/temp/x", "/lost/x?y=1", "/rw/x", "/perm/x?y=1", "/brk/x", "/ifq?debug=1", "/ifq?debug=0"]),
        ...hosts(v.ports[0]!, ["alias.test", "primary.test"], ["/x?y=1"]),
      ]);
    });
  });

  it("rate limits: inherited unless a location has its own, burst and nodelay, limit_req_status, dry run, per-client versus constant keys", async () => {
    await withVariant({
      name: "limits",
      files: {
        "nginx.conf": `events {}
http {
    limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/m;
    limit_req_zone "everyone" zone=shared:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=dry:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=other:1m rate=1r/m;
    limit_req_status 429;
    server {
        listen 127.0.0.1:{{P1}};
        limit_req zone=perip burst=2 nodelay;
        location /inherit/ {
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /own/ {
            limit_req zone=shared burst=1 nodelay;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /dry/ {
            limit_req zone=dry;
            limit_req_dry_run on;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /status/ {
            limit_req zone=other burst=1 nodelay;
            limit_req_status 503;
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
}
`,
      },
    }, async (v) => {
      const port = v.ports[0]!;
      for (const path of ["/inherit/", "/own/", "/dry/", "/status/"]) {
        const [outcome] = respond({ socket: v.socket(port), host: "l.test", uri: path, client: "127.0.0.1" });
        const limits = inForce(outcome!.chain, "limit_req").map((d) => ({
          zone: v.model.zones.get(d.args.find((a) => a.startsWith("zone="))!.slice(5))!,
          burst: Number(d.args.find((a) => a.startsWith("burst="))?.slice(6) ?? 0),
        }));
        const dryRun = valueOf(outcome!.chain, "limit_req_dry_run", "off") === "on";
        const limitedStatus = Number(valueOf(outcome!.chain, "limit_req_status", "503"));
        const allowed = dryRun ? Infinity : Math.min(...limits.map((l) => l.burst + 1));
        const shared = limits.some((l) => !/\$/.test(l.zone.key));
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const reply = await v.request({ port, host: "l.test", path });
          statuses.push(reply === "closed" ? 0 : reply.status);
        }
        expect(statuses, path).toEqual(Array.from({ length: 5 }, (_, i) => (i < allowed ? 200 : limitedStatus)));
        const other = await v.request({ port, host: "l.test", path, from: "127.0.0.2" });
        expect(other === "closed" ? 0 : other.status, `${path} from a second client`).toBe(dryRun || !shared ? 200 : limitedStatus);
      }
    });
  });

  it("real client address: a client set_real_ip_from trusts (server level, or a location's when the server's does not) picks its rate-limit bucket with real_ip_header", async () => {
    await withVariant({
      name: "realip",
      files: {
        "nginx.conf": `events {}
http {
    limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/m;
    limit_req_status 429;
    limit_req zone=perip nodelay;
    server {
        listen 127.0.0.1:{{P1}};
        set_real_ip_from 127.0.0.0/8;
        real_ip_header X-Forwarded-For;
        location / {
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
    server {
        listen 127.0.0.1:{{P2}};
        set_real_ip_from 10.0.0.0/8;
        real_ip_header CF-Connecting-IP;
        location / {
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /loc/ {
            set_real_ip_from ::/0;
            set_real_ip_from 0.0.0.0/0;
            real_ip_header X-Real-IP;
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
}
`,
      },
    }, async (v) => {
      const cases = [
        { port: v.ports[0]!, path: "/", header: "X-Forwarded-For" },
        { port: v.ports[1]!, path: "/", header: undefined },
        { port: v.ports[1]!, path: "/loc/", header: "X-Real-IP" },
      ];
      for (const [i, c] of cases.entries()) {
        const [outcome] = respond({ socket: v.socket(c.port), host: "r.test", uri: c.path, client: "127.0.0.1" });
        expect(clientAddressSource(outcome!, "127.0.0.1")?.header, c.path).toBe(c.header);
        // Every header the client could use: a trusted one gives each request a fresh address, hence a fresh bucket.
        const forged = { "x-forwarded-for": `198.51.100.${i}`, "x-real-ip": `198.51.100.${i}`, "cf-connecting-ip": `198.51.100.${i}` };
        const statuses: number[] = [];
        for (let n = 0; n < 3; n++) {
          const value = `198.51.100.${10 * i + n + 1}`;
          const reply = await v.request({ port: c.port, host: "r.test", path: c.path, from: "127.0.0.1", headers: Object.fromEntries(Object.keys(forged).map((k) => [k, value])) });
          statuses.push(reply === "closed" ? 0 : reply.status);
        }
        expect(statuses, `${c.port}${c.path}`).toEqual(c.header ? [200, 200, 200] : [200, 429, 429]);
      }
    });
  });

  it("try_files: with no file, a named location or another URI answers with its own headers; the limits met are the first location's that has any", async () => {
    await withVariant({
      name: "try-files",
      files: {
        "nginx.conf": `events {}
http {
    limit_req_zone $binary_remote_addr zone=first:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=second:1m rate=1r/m;
    limit_req_status 429;
    add_header X-Server-Level "s" always;
    server {
        listen 127.0.0.1:{{P1}};
        root {{DIR}}/no-such-root;
        location /a/ {
            limit_req zone=first burst=2 nodelay;
            try_files $uri $uri/ @app;
        }
        location /b/ {
            try_files $uri @app;
        }
        location /c/ {
            try_files $uri /d/landing?from=c;
        }
        location /d/ {
            internal;
            add_header X-D "d" always;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /e/ {
            try_files $uri =418;
        }
        location @app {
            limit_req zone=second nodelay;
            add_header X-Named "n" always;
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
}
`,
      },
    }, async (v) => {
      const port = v.ports[0]!;
      for (const [i, path] of ["/a/x", "/b/x", "/c/x", "/e/x", "/d/landing"].entries()) {
        const from = `127.0.0.${20 + i}`;
        const outcomes = respond({ socket: v.socket(port), host: "t.test", uri: path, client: from });
        // No file exists under the root: the outcome that assumed none does.
        const outcome = outcomes.find((o) => o.assumptions.some((a) => a.startsWith("none of"))) ?? outcomes[0]!;
        expect(outcomes.length, path).toBe(path.startsWith("/d/") ? 1 : 2);
        const status = outcomeStatus(outcome)!;
        const names = ["x-server-level", "x-named", "x-d"];
        const added = addedHeaders(outcome.chain, status).map((h) => h.name.toLowerCase());
        const limits = inForce(limitReqChain(outcome), "limit_req").map((d) => Number(d.args.find((a) => a.startsWith("burst="))?.slice(6) ?? 0));
        const allowed = limits.length === 0 ? 4 : Math.min(...limits) + 1;
        const statuses: number[] = [];
        for (let n = 0; n < 4; n++) {
          const reply = await v.request({ port, host: "t.test", path, from });
          if (reply === "closed") throw new Error(`${path}: closed`);
          statuses.push(reply.status);
          if (n === 0) expect(Object.fromEntries(names.map((h) => [h, reply.headers[h] !== undefined])), path).toEqual(Object.fromEntries(names.map((h) => [h, added.includes(h)])));
        }
        expect(statuses, path).toEqual(Array.from({ length: 4 }, (_, n) => (n < allowed ? status : 429)));
      }
    });
  });

  it("gzip: inherited, switched off or given other types per location, minimum length, gzip_disable", async () => {
    await withVariant({
      name: "gzip",
      files: {
        "nginx.conf": `events {}
http {
    gzip on;
    gzip_min_length 100;
    gzip_types application/json;
    server {
        listen 127.0.0.1:{{P1}};
        location /on/ {
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /off/ {
            gzip off;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /types/ {
            gzip_types text/css;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /min/ {
            gzip_min_length 100000;
            proxy_pass http://127.0.0.1:{{UP}};
        }
        location /disable/ {
            gzip_disable "Firefox";
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
    server {
        listen 127.0.0.1:{{P2}};
        gzip off;
        location / {
            proxy_pass http://127.0.0.1:{{UP}};
        }
    }
}
`,
      },
    }, async (v) => {
      const headers = { "accept-encoding": "gzip", "user-agent": BROWSER };
      await expectSameAnswers(v, [
        ...hosts(v.ports[0]!, ["g.test"], ["/on/", "/off/", "/types/", "/min/", "/disable/"], { headers }),
        ...hosts(v.ports[1]!, ["g.test"], ["/"], { headers }),
      ]);
    });
  });

  it("-p, -c in a subfolder (relative includes follow the main file), -g directives and files they include, allow/deny per level", async () => {
    await withVariant({
      name: "command-line",
      main: "conf/main.conf",
      prefix: "prefix",
      commandLine: "include {{DIR}}/conf/global.conf;",
      files: {
        "conf/main.conf": `events {}
http {
    include site/site.conf;
}
`,
        "conf/global.conf": "worker_processes 1;\n",
        "conf/site/site.conf": `server {
    listen 127.0.0.1:{{P1}};
    allow 127.0.0.1;
    deny all;
    location /p/ {
        proxy_pass http://127.0.0.1:{{UP}};
    }
    location /open/ {
        allow all;
        proxy_pass http://127.0.0.1:{{UP}};
    }
    location /closed/ {
        deny 127.0.0.1;
        proxy_pass http://127.0.0.1:{{UP}};
    }
}
`,
        "prefix/conf/site/site.conf": "this file must not be read {\n",
      },
    }, async (v) => {
      expect(v.dumpedFiles.map((f) => f.slice(v.dir.length + 1))).toEqual(["conf/global.conf", "conf/main.conf", "conf/site/site.conf"]);
      await expectSameAnswers(v, ["127.0.0.1", "127.0.0.2"].flatMap((from) => hosts(v.ports[0]!, ["c.test"], ["/p/", "/open/", "/closed/"], { from })));
    });
  });
});

describe("the official image's files as the model ships them", () => {
  it("are what nginx accepts: its nginx.conf and default.conf load with the same files as nginx -T reports", async () => {
    const { IMAGE_FILES } = await import("../../policies/lib/nginx/image-files");
    const v = await runVariant({
      name: "image-files",
      files: Object.fromEntries([...IMAGE_FILES].map(([path, text]) => [path.replace("/etc/nginx/", ""), text
        .replace(/^user\s+nginx;$/m, "")
        .replace(/\/var\/log\/nginx\//g, "{{DIR}}/").replace(/\/var\/run\/nginx\.pid/, "{{DIR}}/nginx.pid")
        .replace(/\/etc\/nginx\//g, "{{DIR}}/").replace(/listen {7}80;/, "listen       127.0.0.1:{{P1}};")])),
    }, { start: false });
    try {
      expect(v.refused).toBeUndefined();
      expect(v.model.errors).toEqual([]);
      expect(v.model.loaded.files).toEqual(v.dumpedFiles);
      expect(v.dumpedFiles.map((f) => f.slice(v.dir.length + 1))).toEqual(["nginx.conf", "mime.types", "conf.d/default.conf"]);
    } finally {
      await v.stop();
    }
  });
});
