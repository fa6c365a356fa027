// One HTTP(S) request to the stack's public address, bounded in time and in the body it reads. TLS is
// not verified here: the certificate is judged by its own check, so that a bad certificate fails that
// check alone and the headers, cookies and limits behind it are still seen.
import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import type { PublicAddresses } from "./public-address";

export interface HttpAnswer {
  readonly status: number;
  /** Header name (lower case) -> every value it was sent with, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

export interface HttpRequest {
  readonly scheme: "http" | "https";
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
}

const MAX_BODY = 256 * 1024;

function headerMap(raw: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    map.set(name, [...(map.get(name) ?? []), raw[i + 1]!]);
  }
  return map;
}

export class HttpProbe {
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 4 }), https: new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false }) };
  constructor(private readonly addresses: PublicAddresses, private readonly defaultTimeoutMs = 15_000) {}

  async request(req: HttpRequest): Promise<HttpAnswer> {
    const address = await this.addresses.address(req.host, req.port);
    const timeoutMs = req.timeoutMs ?? this.defaultTimeoutMs;
    const module = req.scheme === "https" ? https : http;
    return new Promise((resolve, reject) => {
      const request = module.request({
        host: address,
        port: req.port,
        method: req.method ?? "GET",
        path: req.path,
        servername: req.scheme === "https" ? req.host : undefined,
        rejectUnauthorized: false,
        agent: this.agents[req.scheme],
        headers: { Host: req.port === (req.scheme === "https" ? 443 : 80) ? req.host : `${req.host}:${req.port}`, "User-Agent": "jewelry-shop-verify", ...req.headers },
        timeout: timeoutMs,
      }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY) chunks.push(chunk);
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: headerMap(response.rawHeaders), body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      });
      request.on("timeout", () => request.destroy(new Error(`${req.method ?? "GET"} ${req.scheme}://${req.host}:${req.port}${req.path}: no answer in ${timeoutMs} ms`)));
      request.on("error", reject);
      request.end(req.body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/**
 * A request written by hand over TLS, for answers no HTTP client sends: a request line nginx refuses
 * with 505 ("HTTP Version Not Supported") is the one 5xx an outside observer can provoke without
 * touching the stack. Reads the status line and headers only.
 */
export async function rawTlsRequest(addresses: PublicAddresses, host: string, port: number, requestText: string, timeoutMs = 15_000): Promise<HttpAnswer> {
  const address = await addresses.address(host, port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: address, port, servername: host, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    let text = "";
    let settled = false;
    const timer = setTimeout(() => socket.destroy(new Error(`raw request to ${host}:${port}: no answer in ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const head = text.split("\r\n\r\n")[0] ?? "";
      const [statusLine, ...lines] = head.split("\r\n");
      const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0);
      const raw = lines.flatMap((l) => {
        const colon = l.indexOf(":");
        return colon > 0 ? [l.slice(0, colon).trim(), l.slice(colon + 1).trim()] : [];
      });
      resolve({ status, headers: headerMap(raw), body: "" });
    };
    socket.once("secureConnect", () => socket.write(requestText));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\r\n\r\n") || text.length > MAX_BODY) socket.end();
    });
    socket.on("end", done);
    socket.on("close", () => (text ? done() : undefined));
    socket.on("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    });
  });
}
