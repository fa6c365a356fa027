// The cloud object stores a container's pgBackRest configuration names (repoN-type=s3: R2, B2) are
// out of reach here, so the stand-up runs a real S3 server for each, in a container of the run
// (image s3-standin: s3rver behind a Signature V4 check, s3-standin-server.ts):
//  - what it serves is read from the container's own uploads: pgbackrest.conf's repoN-s3-* lines
//    (endpoint, bucket, region, uri style) and the secret include with the repository's access key;
//  - it serves HTTPS with a certificate for exactly the endpoint's names (a host-style store's
//    <bucket>.<endpoint> too), issued by a CA made for the run with the stand-up's own certificate
//    code (program/tls-outputs.ts, openssl); the container that talks to it trusts that CA through
//    OpenSSL's default store (trustUpload), so storage-verify-tls=y stays on;
//  - it joins the container's non-internal networks (those it reaches the internet through) with
//    the endpoint's names as network aliases, so Docker's embedded DNS answers them there;
//  - its bucket exists before it reports ready, and it carries the run's labels (the tear-down and
//    the sweep remove it like every other object of the run).
import { execFileSync } from "node:child_process";
import type Dockerode from "dockerode";
import type { ContainerPlan, Upload } from "../docker/container-spec";
import { tailLogs } from "../docker/run-container";
import { applyUploads } from "../docker/uploads";
import { certRequestState, locallySignedCertState, privateKeyState, selfSignedCertState } from "../program/tls-outputs";
import { standInHosts, type S3StandInConfig } from "./s3-standin-config";

/** One object-storage repository of a pgBackRest configuration, with its access key. */
export interface S3Repository {
  readonly repo: number;
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly uriStyle: "path" | "host";
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A running stand-in, as the tests see it. */
export interface CloudStandIn {
  readonly repo: number;
  readonly endpoint: string;
  readonly bucket: string;
  readonly hosts: readonly string[];
  readonly networks: readonly string[];
  readonly container: string;
  readonly id: string;
  /** Where the stand-in keeps its bucket's objects (s3rver's file layout: <key>._S3rver_object). */
  readonly bucketDirectory: string;
}

const PGBACKREST_CONF = "/etc/pgbackrest/pgbackrest.conf";
const STANDIN_UID = 10002;
const CONFIG_FILE = "/etc/s3-standin/config.json";
const DATA_DIR = "/var/lib/s3-standin";
const READY_TIMEOUT_MS = 60_000;
const CERT_HOURS = 48;

const iniValues = (text: string, prefix: string): Map<string, string> =>
  new Map([...text.matchAll(new RegExp(`^${prefix}([a-z0-9-]+)=(.*)$`, "gm"))].map((m) => [m[1], m[2].trim()]));

/** The object-storage repositories a container's uploaded pgBackRest configuration names, with their keys. */
export function s3RepositoriesOf(uploads: readonly Upload[]): S3Repository[] {
  const conf = uploads.find((u) => u.file === PGBACKREST_CONF)?.content.toString("utf8");
  if (!conf) return [];
  const includes = uploads.filter((u) => u.file.startsWith("/etc/pgbackrest/conf.d/")).map((u) => u.content.toString("utf8")).join("\n");
  const repos = [...new Set([...conf.matchAll(/^repo(\d+)-type=s3$/gm)].map((m) => Number(m[1])))];
  return repos.map((repo) => {
    const options = iniValues(conf, `repo${repo}-`);
    const secrets = iniValues(includes, `repo${repo}-`);
    const need = (map: Map<string, string>, key: string, where: string) => {
      const value = map.get(key);
      if (!value) throw new Error(`repo${repo} is an S3 repository without repo${repo}-${key} in ${where}: the stand-up cannot stand in for it`);
      return value;
    };
    const uriStyle = options.get("s3-uri-style") ?? "host";
    if (uriStyle !== "path" && uriStyle !== "host") throw new Error(`repo${repo}-s3-uri-style=${uriStyle} is not path or host`);
    return {
      repo, uriStyle,
      endpoint: need(options, "s3-endpoint", PGBACKREST_CONF), bucket: need(options, "s3-bucket", PGBACKREST_CONF), region: need(options, "s3-region", PGBACKREST_CONF),
      accessKeyId: need(secrets, "s3-key", "/etc/pgbackrest/conf.d"), secretAccessKey: need(secrets, "s3-key-secret", "/etc/pgbackrest/conf.d"),
    };
  });
}

interface RunCa {
  readonly certPem: string;
  readonly keyPem: string;
}

function runCa(runId: string): RunCa {
  const key = privateKeyState("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const cert = selfSignedCertState("tls:index/selfSignedCert:SelfSignedCert", {
    privateKeyPem: key.privateKeyPem, subject: { commonName: `jewelry-shop stand-up cloud CA ${runId}` },
    isCaCertificate: true, validityPeriodHours: CERT_HOURS, allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
  });
  return { certPem: String(cert.certPem), keyPem: String(key.privateKeyPem) };
}

function serverCert(ca: RunCa, hosts: readonly string[]): { certPem: string; keyPem: string } {
  const key = privateKeyState("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const request = certRequestState("tls:index/certRequest:CertRequest", { privateKeyPem: key.privateKeyPem, subject: { commonName: hosts[0] }, dnsNames: [...hosts] });
  const cert = locallySignedCertState("tls:index/locallySignedCert:LocallySignedCert", {
    certRequestPem: request.certRequestPem, caPrivateKeyPem: ca.keyPem, caCertPem: ca.certPem,
    validityPeriodHours: CERT_HOURS, allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
  });
  return { certPem: String(cert.certPem), keyPem: String(key.privateKeyPem) };
}

/**
 * The CA as one more trusted certificate in OpenSSL's default store (/etc/ssl/certs, looked up by
 * subject hash): added beside the image's public roots, none replaced.
 */
export function trustUpload(caPem: string): Upload {
  const hash = execFileSync("openssl", ["x509", "-noout", "-subject_hash"], { input: caPem, encoding: "utf8" }).trim();
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new Error(`openssl gave no subject hash for the run's cloud CA: ${hash}`);
  return { file: `/etc/ssl/certs/${hash}.0`, content: Buffer.from(caPem), mode: 0o644, uid: 0, gid: 0 };
}

/** The networks of a plan that lead out (not internal): where the container reaches the cloud. */
async function outboundNetworks(docker: Dockerode, plan: Pick<ContainerPlan, "name" | "networks">): Promise<string[]> {
  const names: string[] = [];
  for (const network of plan.networks) {
    const inspected = (await docker.getNetwork(network.name).inspect()) as { Internal?: boolean };
    if (!inspected.Internal) names.push(network.name);
  }
  if (names.length === 0) throw new Error(`${plan.name} names S3 repositories but joins only internal networks: it could not reach them in production either`);
  return names;
}

async function waitReady(container: Dockerode.Container, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const state = (await container.inspect()).State;
    if (!state.Running) throw new Error(`${name} stopped (exit ${state.ExitCode}): ${await tailLogs(container)}`);
    if ((await tailLogs(container, 50)).includes("s3-standin: ready")) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready within ${READY_TIMEOUT_MS / 1000} s: ${await tailLogs(container)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface StandInOptions {
  readonly image: string;
  /** Resolves once `image` exists (the stand-up's images build alongside it). */
  readonly imageReady?: () => Promise<void>;
  readonly runId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Starts one stand-in per S3 repository `plan` names (none: returns undefined) and returns them with
 * the upload that makes the container trust their CA and the substitution lines to report.
 */
export async function startS3StandIns(docker: Dockerode, plan: Pick<ContainerPlan, "name" | "networks" | "uploads">, options: StandInOptions): Promise<
  { standIns: CloudStandIn[]; trust: Upload; substitutions: string[] } | undefined
> {
  const repositories = s3RepositoriesOf(plan.uploads);
  if (repositories.length === 0) return undefined;
  await options.imageReady?.();
  const networks = await outboundNetworks(docker, plan);
  const ca = runCa(options.runId);
  const standIns: CloudStandIn[] = [];
  for (const repository of repositories) {
    const hosts = standInHosts(repository);
    const name = `standup-s3-repo${repository.repo}-${options.runId}`;
    const cert = serverCert(ca, hosts);
    const config: S3StandInConfig = {
      port: 443, certFile: "/etc/s3-standin/tls.crt", keyFile: "/etc/s3-standin/tls.key", directory: DATA_DIR,
      endpoint: repository.endpoint, uriStyle: repository.uriStyle, bucket: repository.bucket, region: repository.region,
      accessKeyId: repository.accessKeyId, secretAccessKey: repository.secretAccessKey,
    };
    const container = await docker.createContainer({
      name, Image: options.image, Labels: { ...options.labels },
      HostConfig: {
        NetworkMode: networks[0], CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges:true"], Memory: 256 * 1024 * 1024,
        LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "2" } },
      },
      NetworkingConfig: { EndpointsConfig: { [networks[0]]: { Aliases: hosts } } },
    });
    for (const network of networks.slice(1)) await docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: { Aliases: hosts } });
    const owned = { mode: 0o600, uid: STANDIN_UID, gid: STANDIN_UID };
    await applyUploads(container, name, [
      { file: CONFIG_FILE, content: Buffer.from(JSON.stringify(config)), ...owned },
      { file: config.certFile, content: Buffer.from(cert.certPem), ...owned },
      { file: config.keyFile, content: Buffer.from(cert.keyPem), ...owned },
    ]);
    await container.start();
    await waitReady(container, name);
    standIns.push({
      repo: repository.repo, endpoint: repository.endpoint, bucket: repository.bucket, hosts, networks, container: name, id: container.id,
      bucketDirectory: `${DATA_DIR}/${repository.bucket}`,
    });
  }
  const trust = trustUpload(ca.certPem);
  return {
    standIns, trust,
    substitutions: [
      ...standIns.map((s) =>
        `${plan.name}: repo${s.repo}'s object store ${s.hosts.join(", ")} is an S3 stand-in of the run (${s.container}: s3rver 3.7.1 behind a Signature V4 check ` +
        `with the repository's own key, HTTPS from the run's CA, bucket ${s.bucket}; on ${s.networks.join(", ")} under those names); no cloud is reachable`),
      `${plan.name}: trusts the run's cloud stand-in CA, added to OpenSSL's default store as ${trust.file} (storage-verify-tls stays y)`,
    ],
  };
}
