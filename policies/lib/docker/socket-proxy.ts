// What a Docker socket proxy lets through. tecnativa/docker-socket-proxy (and linuxserver's fork) is
// HAProxy in front of the socket; its haproxy.cfg (v0.3.0) starts with
//   http-request deny unless METH_GET || { env(POST) -m bool }
// then allows each API section (/containers, /exec, …) when its variable is true, and denies the rest.
// Its image sets every variable (POST=0, CONTAINERS=0, EVENTS=1, PING=1, VERSION=1, …); the
// container's env replaces them by name. HAProxy reads `env(X) -m bool` by casting the text to an
// integer (sample.c c_str2int: an optional sign and the leading digits): "1", "2", "01", "1x" are true;
// "true", "yes", " 1", "" and an unset variable are false. Proved against Debian's haproxy 2.6 with that
// line: POST=1/2/01/1x/-1/+1 passed a POST, POST=0/true/false/yes/""/" 1"/0x1/unset got 403.

/** The image's defaults for the variables that open API sections (Dockerfile of v0.3.0). */
const IMAGE_DEFAULTS: Readonly<Record<string, string>> = {
  POST: "0", ALLOW_RESTARTS: "0", ALLOW_START: "0", ALLOW_STOP: "0", AUTH: "0", BUILD: "0", COMMIT: "0", CONFIGS: "0", CONTAINERS: "0",
  DISTRIBUTION: "0", EVENTS: "1", EXEC: "0", GRPC: "0", IMAGES: "0", INFO: "0", NETWORKS: "0", NODES: "0", PING: "1", PLUGINS: "0",
  SECRETS: "0", SERVICES: "0", SESSION: "0", SWARM: "0", SYSTEM: "0", TASKS: "0", VERSION: "1", VOLUMES: "0",
};

/** HAProxy's `-m bool` of an env() sample: the text as an integer, true when not 0; an unset variable is false. */
export function haproxyEnvBool(text: string | undefined): boolean {
  const digits = text === undefined ? undefined : /^[+-]?(\d+)/.exec(text)?.[1];
  return digits !== undefined && /[1-9]/.test(digits);
}

export interface ProxyAccess {
  /** Whether requests other than GET/HEAD reach the daemon (POST true). */
  readonly writes: boolean;
  /** API sections the proxy passes (their variable true), by variable name. */
  readonly sections: readonly string[];
}

/** What the proxy passes with the container's effective env (Docker's merge: the container's entries over the image's). */
export function socketProxyAccess(env: ReadonlyMap<string, string>): ProxyAccess {
  const value = (name: string) => (env.has(name) ? env.get(name) : IMAGE_DEFAULTS[name]);
  const sections = Object.keys(IMAGE_DEFAULTS).filter((name) => name !== "POST" && haproxyEnvBool(value(name)));
  return { writes: haproxyEnvBool(value("POST")), sections };
}
