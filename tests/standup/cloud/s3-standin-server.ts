// The S3 stand-in's server, run inside the stand-in container (bundled with esbuild into one file,
// tests/standup/images/dockerfiles/s3-standin): s3rver 3.7.1 (a maintained S3-compatible server on
// the file system) behind HTTPS, serving ONE object store as the cloud does: its endpoint name (and,
// for a host-style store, <bucket>.<endpoint>), its bucket, and one access key.
//
// s3rver accepts any request without an Authorization header, always knows the access key
// "S3RVER", and does not check Signature V4 at all (authentication.js: "V4 signatures have
// incomplete support"). So this front checks SigV4 itself with the store's key (credential scope:
// date, region, service s3; the canonical request over the signed headers) before s3rver sees the
// request, and s3rver knows only that key. The payload's hash is checked as a signed header value,
// not against the body (see DIFFERENCES.md).
//
// s3rver's own virtual-host handling (vhostBuckets) turns any host name that is not an IP into a
// bucket name, which would make R2's path-style endpoint a bucket: it is off, and a host-style request
// to <bucket>.<endpoint> is rewritten here to /<bucket>/… after its signature is checked.
//
// Usage: node s3-standin.js <config.json>; prints "s3-standin: ready …" once the bucket exists and it listens.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { standInHosts, type S3StandInConfig } from "./s3-standin-config";
import { signatureProblem } from "./sigv4";

function s3Error(response: ServerResponse, status: number, problem: string): void {
  const [code, ...message] = problem.split(": ");
  const escape = (text: string) => text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c);
  response.writeHead(status, { "Content-Type": "application/xml" });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escape(code)}</Code><Message>${escape(message.join(": "))}</Message></Error>`);
}

async function main(configFile: string): Promise<void> {
  const config = JSON.parse(readFileSync(configFile, "utf8")) as S3StandInConfig;
  // Required here, not imported: s3rver has no types, and its account registry must be the bundle's own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require("s3rver") as new (options: Record<string, unknown>) => { configureBuckets(): Promise<void>; callback(): (req: IncomingMessage, res: ServerResponse) => void };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: { revokeAccessKey(id: string): void; createKeyPair(id: string, secret: string): void } };
  DUMMY_ACCOUNT.revokeAccessKey("S3RVER");
  DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);
  const s3 = new S3rver({
    directory: config.directory, silent: false, vhostBuckets: false, serviceEndpoint: "s3-standin.invalid",
    configureBuckets: [{ name: config.bucket }],
  });
  await s3.configureBuckets();
  const handle = s3.callback();
  const hosts = standInHosts(config);
  const bucketHost = config.uriStyle === "host" ? `${config.bucket}.${config.endpoint}` : undefined;

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const host = String(request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    if (!hosts.includes(host)) return s3Error(response, 400, `InvalidRequest: this store answers to ${hosts.join(" and ")}, not ${host || "no host"}`);
    const problem = signatureProblem({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers }, config);
    if (problem) {
      process.stdout.write(`s3-standin: refused ${request.method} ${request.url}: ${problem}\n`);
      return s3Error(response, 403, problem);
    }
    if (host === bucketHost) {
      request.url = `/${config.bucket}${request.url}`;
      request.headers.host = config.endpoint;
    }
    handle(request, response);
  };
  const server = createServer({ cert: readFileSync(config.certFile), key: readFileSync(config.keyFile) }, onRequest);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(config.port, "0.0.0.0", () => resolve()));
  process.stdout.write(`s3-standin: ready on ${config.port} for ${hosts.join(", ")} (bucket ${config.bucket}, ${config.uriStyle}-style)\n`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => server.close(() => process.exit(0)));
}

main(process.argv[2] ?? "/etc/s3-standin/config.json").catch((error: Error) => {
  process.stderr.write(`s3-standin: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
