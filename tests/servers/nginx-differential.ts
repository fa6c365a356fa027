// The shared fixture that proves the policy pack's nginx model against the real nginx (Debian's 1.22):
// one configuration variant is written to a fresh folder, checked with `nginx -t`/`nginx -T`, started
// on 127.0.0.1 with random ports, probed (HTTP, TLS handshakes, bursts), and stopped. Every server and
// location block logs to its own file (an access_log added on its opening line, so line numbers stay
// those of the text the model reads): the file a probe lands in says which block answered.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { dirname, join } from "node:path";
import type { NginxFile, NginxInput } from "../../policies/lib/nginx/input";
import { nginxModel } from "../../policies/lib/nginx";
import type { ListenSocket, NginxModel } from "../../policies/lib/nginx/model";
import { freePort, removeDir, selfSignedCert, startServer, waitFor, workDir, type ServerProcess } from "./fixtures";

export const NGINX_VERSION = /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr)?.[1] ?? "1.22.1";

export interface Variant {
  readonly name: string;
  /**
   * Files relative to the variant folder; the main file is nginx.conf unless `main` says otherwise.
   * Placeholders: {{DIR}} (the folder), {{P1}}…{{P4}} (free ports), {{UP}} (the stand-in app's port),
   * {{CERT}}/{{KEY}} (ECDSA), {{RSACERT}}/{{RSAKEY}}, {{DH}} (ffdhe2048).
   */
  readonly files: Readonly<Record<string, string>>;
  readonly main?: string;
  /** `-p`, relative to the folder (default: the folder). */
  readonly prefix?: string;
  /** Directives passed with -g besides `daemon off;`. */
  readonly commandLine?: string;
  /** Other files (static content), relative to the folder. */
  readonly content?: Readonly<Record<string, string>>;
  /** Absolute files of this machine the configuration includes (e.g. /etc/nginx/mime.types). */
  readonly systemFiles?: readonly string[];
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** "file:line" of the server or location block that logged the request. */
  readonly answeredBy?: string;
}

export interface Probe {
  readonly port: number;
  /** The address connected to (default 127.0.0.1). */
  readonly address?: string;
  readonly tls?: boolean;
  readonly host?: string;
  readonly path: string;
  /** Source address (127.0.0.x), for per-client rate limits. */
  readonly from?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HandshakeProbe {
  readonly port: number;
  readonly sni?: string;
  readonly version: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** A TLS 1.2-and-older cipher the client offers alone. */
  readonly cipher?: string;
}

export interface RunningVariant {
  readonly dir: string;
  readonly ports: readonly number[];
  readonly input: NginxInput;
  readonly model: NginxModel;
  /** The files `nginx -T` dumped, in order. */
  readonly dumpedFiles: readonly string[];
  /** nginx -t's complaint when it refuses the configuration. */
  readonly refused?: string;
  socket(port: number, address?: string): ListenSocket;
  request(probe: Probe): Promise<Reply | "closed">;
  handshake(probe: HandshakeProbe): Promise<{ protocol: string; cipher: string } | "refused">;
  stop(): Promise<void>;
}

let upstream: Server | undefined;
let upstreamPort = 0;
/** The stand-in app every `proxy_pass http://127.0.0.1:{{UP}}` reaches: 200 with a JSON body, the Host it saw. */
export async function startUpstream(): Promise<number> {
  if (upstream) return upstreamPort;
  upstreamPort = await freePort();
  const body = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ id: i })) });
  upstream = createServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.setHeader("X-Upstream-Host", req.headers.host ?? "");
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.end(body);
  });
  await new Promise<void>((resolve) => upstream!.listen(upstreamPort, "127.0.0.1", resolve));
  return upstreamPort;
}
/** Stops the stand-in app and removes the shared key material (the end of a test file). */
export async function stopUpstream(): Promise<void> {
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  if (keyDir) removeDir(keyDir);
  keyDir = undefined;
}

/** Adds a per-block access_log on each block's opening line and blanks `access_log off` (same length, same lines). */
function instrument(text: string, tag: string, hitsDir: string): string {
  return text.split("\n").map((line, i) => {
    const cleared = line.replace(/access_log\s+off;/g, (m) => " ".repeat(m.length));
    if (/^\s*http\s*\{\s*$/.test(cleared)) return `${cleared} log_format probe '$http_x_probe';`;
    if (/^\s*(server\s*|location\b[^{;]*)\{\s*$/.test(cleared)) return `${cleared} access_log ${hitsDir}/${tag}-L${i + 1}.log probe;`;
    return cleared;
  }).join("\n");
}

const KEY_FILES = ["server.crt", "server.key", "rsa.crt", "rsa.key", "ffdhe2048.pem"] as const;
let keyDir: string | undefined;

/** A folder holding an ECDSA and an RSA self-signed certificate with keys and ffdhe2048 parameters, made on first use. */
function sharedKeyMaterial(): string {
  if (keyDir) return keyDir;
  const dir = workDir("nginx-keys");
  selfSignedCert(dir);
  spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "rsa.key"), "-out", join(dir, "rsa.crt"), "-days", "2", "-subj", "/CN=localhost"]);
  spawnSync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", join(dir, "ffdhe2048.pem")]);
  keyDir = dir;
  return dir;
}

let probeCounter = 0;
const probeId = () => `p${process.pid}-${++probeCounter}`;

/** Writes, checks (nginx -t/-T) and starts one variant; `started: false` when nginx refuses it. */
export async function runVariant(variant: Variant, opts: { start?: boolean } = {}): Promise<RunningVariant> {
  const dir = workDir(`nginx-${variant.name.replace(/\W+/g, "-")}`);
  const hitsDir = join(dir, "hits");
  mkdirSync(hitsDir);
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Each variant's own copies of the key material made once per file (an RSA key costs a process and
  // up to a second of CPU).
  const shared = sharedKeyMaterial();
  for (const file of KEY_FILES) copyFileSync(join(shared, file), join(dir, file));
  const ecdsa = { cert: join(dir, "server.crt"), key: join(dir, "server.key") };
  const rsaKey = join(dir, "rsa.key");
  const rsaCert = join(dir, "rsa.crt");
  const dh = join(dir, "ffdhe2048.pem");
  const up = await startUpstream();
  const fill = (text: string) => text
    .replace(/\{\{DIR\}\}/g, dir).replace(/\{\{P(\d)\}\}/g, (_, n: string) => String(ports[Number(n) - 1]))
    .replace(/\{\{UP\}\}/g, String(up)).replace(/\{\{CERT\}\}/g, ecdsa.cert).replace(/\{\{KEY\}\}/g, ecdsa.key)
    .replace(/\{\{RSACERT\}\}/g, rsaCert).replace(/\{\{RSAKEY\}\}/g, rsaKey).replace(/\{\{DH\}\}/g, dh);

  const files = new Map<string, NginxFile>();
  for (const [rel, raw] of Object.entries(variant.files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    const text = fill(raw);
    files.set(path, { content: text, origin: "variant" });
    writeFileSync(path, instrument(text, rel.replace(/\W+/g, "_"), hitsDir));
  }
  for (const [rel, text] of Object.entries(variant.content ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), fill(text));
  }
  for (const path of variant.systemFiles ?? []) files.set(path, { content: readFileSync(path, "utf8"), origin: "this machine" });
  for (const pem of [dh]) files.set(pem, { content: readFileSync(pem, "utf8"), origin: "variant" });

  const prefix = `${join(dir, variant.prefix ?? "")}/`;
  const confFile = join(dir, variant.main ?? "nginx.conf");
  const commandLine = variant.commandLine ? fill(variant.commandLine) : undefined;
  const input: NginxInput = { prefix, confFile, commandLine: commandLine ? `daemon off; ${commandLine}` : "daemon off;", files, opaqueDirs: [], version: NGINX_VERSION };
  const model = nginxModel(input);

  const globals = ["daemon off;", ...(commandLine ? [commandLine] : [])].join(" ");
  const base = ["-p", prefix, "-c", confFile, "-e", join(dir, "startup.log")];
  const dump = spawnSync("nginx", ["-T", ...base, "-g", globals], { encoding: "utf8" });
  const dumpedFiles = [...dump.stdout.matchAll(/^# configuration file (.+):$/gm)].map((m) => m[1]!);
  const refused = dump.status === 0 ? undefined : dump.stderr;

  let server: ServerProcess | undefined;
  const listenPorts = [...new Set(model.sockets.map((s) => ({ port: s.port, address: s.address })))];
  if (!refused && opts.start !== false) {
    server = await startServer({
      name: `nginx (${variant.name})`,
      argv: ["nginx", ...base, "-g", globals],
      ready: async () => (await Promise.all(listenPorts.map((l) => accepts(l.address === "*" ? "127.0.0.1" : l.address, l.port)))).every(Boolean),
    });
  }

  const hitOf = async (id: string): Promise<string | undefined> => {
    let found: string | undefined;
    await waitFor(`the access log line of ${id}`, () => {
      for (const file of readdirSync(hitsDir)) {
        if (readFileSync(join(hitsDir, file), "utf8").split("\n").includes(id)) {
          const m = /^(.*)-L(\d+)\.log$/.exec(file)!;
          found = `${m[1]}:${m[2]}`;
          return true;
        }
      }
      return false;
    }, 3_000).catch(() => undefined);
    return found;
  };

  return {
    dir, ports, input, model, dumpedFiles, refused,
    socket(port, address = "127.0.0.1") {
      const s = model.sockets.find((x) => x.port === port && x.address === address);
      if (!s) throw new Error(`the model has no socket ${address}:${port}`);
      return s;
    },
    async request(probe) {
      const id = probeId();
      const reply = await send(probe, id);
      if (reply === "closed") return reply;
      return { ...reply, answeredBy: await hitOf(id) };
    },
    handshake: (probe) => handshakeWith(probe),
    async stop() {
      await server?.stop("SIGQUIT");
      removeDir(dir);
    },
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

function send(probe: Probe, id: string): Promise<Omit<Reply, "answeredBy"> | "closed"> {
  const options = {
    host: probe.address ?? "127.0.0.1", port: probe.port, path: probe.path, method: "GET", agent: false as const,
    localAddress: probe.from,
    headers: { ...(probe.host !== undefined ? { host: probe.host } : {}), "x-probe": id, ...probe.headers },
  };
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    };
    const req = probe.tls
      ? httpsRequest({ ...options, servername: probe.host, rejectUnauthorized: false }, done)
      : httpRequest(options, done);
    req.on("error", (err: NodeJS.ErrnoException) => (/ECONNRESET|socket hang up|alert|handshake|EPROTO/i.test(`${err.code} ${err.message}`) ? resolve("closed") : reject(err)));
    req.end();
  });
}

function handshakeWith(probe: HandshakeProbe): Promise<{ protocol: string; cipher: string } | "refused"> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: "127.0.0.1", port: probe.port, servername: probe.sni, rejectUnauthorized: false,
      minVersion: probe.version, maxVersion: probe.version,
      // Legacy protocols and suites need security level 0 on the client side.
      ciphers: `${probe.cipher ?? "DEFAULT"}:@SECLEVEL=0`,
    }, () => {
      resolve({ protocol: socket.getProtocol() ?? "", cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.on("error", () => resolve("refused"));
  });
}
