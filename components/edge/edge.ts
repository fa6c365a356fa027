import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { IMAGES, pullImage } from "../docker/images";
import { NETWORKS } from "../docker/topology";
import { FAIL2BAN_FILTER_NAMES, renderFail2banJailLocal, renderNginxAuthFailureFilter, renderNginxLimitReqFilter } from "../fail2ban/fail2ban-config";
import type { BrowserProvider } from "../nginx/browser-policies";
import { renderNginxConf } from "../nginx/nginx-conf";
import { CLOUDFLARE_IPV4_RANGES, CLOUDFLARE_IPV6_RANGES, FFDHE2048_PEM, certbotLoop, nginxCertLinkScript, nginxReloadWatcherScript } from "./edge-files";

export const NGINX_CONTAINER = "jewelry-nginx";
/** stub_status for the exporter, on the edge network only (never published). */
export const NGINX_STATUS_PORT = 8080;
/** Where the host's fail2ban reads nginx's logs (bind mount). */
export const NGINX_HOST_LOG_DIR = "/var/log/jewelry-shop/nginx";

const PATHS = {
  conf: "/etc/nginx/nginx.conf",
  dhparam: "/etc/nginx/tls/ffdhe2048.pem",
  bootstrap: "/etc/nginx/tls/bootstrap",
  current: "/etc/nginx/tls/current",
  letsencrypt: "/etc/letsencrypt",
  acme: "/var/www/acme",
  static: "/srv/static",
  media: "/srv/media",
  logs: "/var/log/nginx",
} as const;

export interface EdgeArgs {
  readonly domain: string;
  readonly aliases: readonly string[];
  readonly acmeEmail: string;
  readonly sizes: { readonly nginx: ServiceSize; readonly certbot: ServiceSize };
  readonly edgeNetwork: docker.Network;
  /** Prometheus and the nginx exporter reach the status port here. */
  readonly monitoringNetwork: docker.Network;
  readonly volumes: { readonly static: docker.Volume; readonly media: docker.Volume; readonly letsencrypt: docker.Volume; readonly acmeWebroot: docker.Volume };
  readonly upstream: { readonly host: string; readonly port: number };
  readonly clientMaxBodyMb: number;
  /** Providers whose scripts and frames the pages load (configuredBrowserProviders): the CSP allows exactly theirs. */
  readonly browserProviders: readonly BrowserProvider[];
  /** Records are orange-clouded: trust Cloudflare's ranges for the client address. */
  readonly behindCloudflare: boolean;
  readonly cloudflareZoneId: string;
  readonly dependsOn: pulumi.Resource[];
}

/**
 * The public edge (checklist 9.x, 10.1, 10.3–10.6, 14.4, 14.7): nginx, the only container publishing
 * ports (80, 443), with TLS from Let's Encrypt (certbot, webroot) and a self-signed bootstrap so nginx
 * starts before the first certificate; plus the fail2ban jail for the host.
 */
export class Edge extends pulumi.ComponentResource {
  readonly nginx: docker.Container;
  readonly certbot: docker.Container;
  readonly nginxConf: string;
  /** For the host's fail2ban (README: "Fail2ban on the host"). */
  readonly fail2ban: { readonly jailLocal: string; readonly filters: Readonly<Record<string, string>> };

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Edge", name, {}, opts);
    const names = [args.domain, ...args.aliases];

    this.nginxConf = renderNginxConf({
      primaryDomain: args.domain,
      domainAliases: args.aliases,
      upstream: args.upstream,
      httpPort: 80,
      httpsPort: 443,
      acmeWebroot: PATHS.acme,
      tls: {
        certificates: [{ certificatePath: `${PATHS.current}/fullchain.pem`, keyPath: `${PATHS.current}/privkey.pem` }],
        dhparamPath: PATHS.dhparam,
      },
      staticRoot: PATHS.static,
      mediaRoot: PATHS.media,
      clientMaxBodyMb: args.clientMaxBodyMb,
      browserProviders: args.browserProviders,
      healthPath: "/health/",
      paths: { pidFile: "/var/run/nginx.pid", errorLog: `${PATHS.logs}/error.log`, accessLog: `${PATHS.logs}/access.log`, tempDir: "/var/cache/nginx" },
      workerUser: "nginx",
      realIp: args.behindCloudflare
        ? { trustedProxyCidrs: [...CLOUDFLARE_IPV4_RANGES, ...CLOUDFLARE_IPV6_RANGES], header: "CF-Connecting-IP" }
        : undefined,
      status: { port: NGINX_STATUS_PORT, allowCidrs: [NETWORKS.edge.subnet, NETWORKS.monitoring.subnet] },
    });

    // Self-signed bootstrap: nginx must start (and serve the ACME challenge) before Let's Encrypt answers.
    const bootstrapKey = new tls.PrivateKey(`${name}-bootstrap-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const bootstrapCert = new tls.SelfSignedCert(`${name}-bootstrap-cert`, {
      privateKeyPem: bootstrapKey.privateKeyPem,
      subject: { commonName: args.domain },
      dnsNames: names,
      validityPeriodHours: 24 * 90,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    }, { parent: this });

    const nginxImage = pullImage(`${name}-nginx`, IMAGES.nginx, this);
    this.nginx = new docker.Container(`${name}-nginx`, {
      ...hardenedContainerArgs({
        containerName: NGINX_CONTAINER,
        image: nginxImage.name,
        size: args.sizes.nginx,
        // The master binds 80/443 and switches workers to the `nginx` user.
        capAdd: ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"],
        healthcheck: { test: ["CMD-SHELL", `curl -fsS -o /dev/null http://127.0.0.1:${NGINX_STATUS_PORT}/stub_status || exit 1`], interval: "15s" },
        maxProcesses: 256,
      }),
      envs: [`PRIMARY_DOMAIN=${args.domain}`],
      ports: [
        { internal: 80, external: 80, protocol: "tcp" },
        { internal: 443, external: 443, protocol: "tcp" },
      ],
      networksAdvanced: [{ name: args.edgeNetwork.name, aliases: ["nginx"] }, { name: args.monitoringNetwork.name }],
      volumes: [
        { volumeName: args.volumes.static.name, containerPath: PATHS.static, readOnly: true },
        { volumeName: args.volumes.media.name, containerPath: PATHS.media, readOnly: true },
        { volumeName: args.volumes.letsencrypt.name, containerPath: PATHS.letsencrypt, readOnly: true },
        { volumeName: args.volumes.acmeWebroot.name, containerPath: PATHS.acme, readOnly: true },
        { hostPath: NGINX_HOST_LOG_DIR, containerPath: PATHS.logs },
      ],
      uploads: [
        { file: PATHS.conf, content: this.nginxConf },
        { file: PATHS.dhparam, content: FFDHE2048_PEM },
        { file: `${PATHS.bootstrap}/fullchain.pem`, content: bootstrapCert.certPem },
        { file: `${PATHS.bootstrap}/privkey.pem`, content: pulumi.secret(bootstrapKey.privateKeyPem), permissions: "0600" },
        { file: "/docker-entrypoint.d/40-jewelry-cert-links.sh", content: nginxCertLinkScript(PATHS), executable: true },
        { file: "/docker-entrypoint.d/50-jewelry-reload-on-renewal.sh", content: nginxReloadWatcherScript(), executable: true },
      ],
    }, { parent: this, dependsOn: [nginxImage, ...args.dependsOn] });

    const certbotImage = pullImage(`${name}-certbot`, IMAGES.certbot, this);
    this.certbot = new docker.Container(`${name}-certbot`, {
      ...hardenedContainerArgs({
        containerName: "jewelry-certbot",
        image: certbotImage.name,
        size: args.sizes.certbot,
        // Healthy while a certificate younger than 85 days exists: renewal (at 60 days) is working.
        // Checked every 5 minutes (a find in one folder), so a lost certificate shows within the pack's 30-minute bound.
        healthcheck: {
          test: ["CMD-SHELL", `find ${PATHS.letsencrypt}/live/${args.domain} -name fullchain.pem -mtime -85 | grep -q .`],
          interval: "5m",
          startPeriod: "10m",
        },
        // Its health depends on Let's Encrypt and on DNS, outside the deployment: a deploy does not wait
        // for it (nginx serves the bootstrap certificate meanwhile); an expiring certificate alerts.
        waitForHealthy: false,
        maxProcesses: 64,
      }),
      entrypoints: ["sh", "-c"],
      command: [certbotLoop({ domains: names, email: args.acmeEmail, webroot: PATHS.acme })],
      networksAdvanced: [{ name: args.edgeNetwork.name }],
      volumes: [
        { volumeName: args.volumes.letsencrypt.name, containerPath: PATHS.letsencrypt },
        { volumeName: args.volumes.acmeWebroot.name, containerPath: PATHS.acme },
      ],
    }, { parent: this, dependsOn: [certbotImage, this.nginx] });

    this.fail2ban = {
      jailLocal: renderFail2banJailLocal({
        nginxErrorLog: `${NGINX_HOST_LOG_DIR}/error.log`,
        nginxAccessLog: `${NGINX_HOST_LOG_DIR}/access.log`,
        dockerPublishedPorts: true,
        cloudflareZoneId: args.behindCloudflare ? args.cloudflareZoneId : undefined,
      }),
      // Keys are the filter names the jails reference (filter.d/<name>.conf).
      filters: {
        [FAIL2BAN_FILTER_NAMES.limitReq]: renderNginxLimitReqFilter(),
        [FAIL2BAN_FILTER_NAMES.authFailure]: renderNginxAuthFailureFilter(),
      },
    };

    this.registerOutputs({ nginxConf: this.nginxConf });
  }
}
