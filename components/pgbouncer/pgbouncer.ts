import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { IMAGES, pullImage } from "../docker/images";
import { DB_ROLES, PGBOUNCER_AUTH_FUNCTION, PGBOUNCER_AUTH_SCHEMA } from "../postgres/app-database";
import { pgbouncerAuthQuery } from "../postgres/pgbouncer-auth-sql";
import type { ServiceCert } from "../tls/internal-ca";
import { AUTH_POOL_SIZE, authRoleConnectionLimit, derivePoolSizes, renderPgbouncerIni, renderPgbouncerUserlist } from "./pgbouncer-ini";

export const PGBOUNCER_PATHS = {
  ini: "/etc/pgbouncer/pgbouncer.ini",
  userlist: "/etc/pgbouncer/userlist.txt",
  cert: "/etc/pgbouncer/tls/server.crt",
  key: "/etc/pgbouncer/tls/server.key",
  ca: "/etc/pgbouncer/tls/ca.crt",
} as const;

export const PGBOUNCER_CONTAINER = "jewelry-pgbouncer";
export const PGBOUNCER_PORT = 6432;
/** uid of `postgres` in the Alpine-based pgbouncer image, which runs as it. */
const PGBOUNCER_UID = "70";

export interface PgBouncerArgs {
  /** Pinned image reference; defaults to IMAGES.pgbouncer. */
  readonly image?: string;
  readonly size: ServiceSize;
  /** Clients (the app) reach PgBouncer here. */
  readonly clientNetwork: docker.Network;
  /** PgBouncer reaches PostgreSQL here. */
  readonly dataNetwork: docker.Network;
  readonly databaseName: string;
  readonly postgresHost: string;
  readonly postgresMaxConnections: number;
  readonly authPassword: pulumi.Input<string>;
  /** postgres-exporter/pgbouncer-exporter read SHOW STATS on the console with this role. */
  readonly monitorPassword: pulumi.Input<string>;
  readonly tls: ServiceCert;
  readonly caCertPem: pulumi.Input<string>;
  readonly dependsOn: pulumi.Resource[];
}

/** PgBouncer in transaction pooling between the app and PostgreSQL (checklist 3.6, 3.7). */
export class PgBouncer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly host = PGBOUNCER_CONTAINER;
  readonly port = PGBOUNCER_PORT;
  readonly ini: string;
  /** CONNECTION LIMIT the auth_user's role needs for what this PgBouncer may open as it. */
  readonly authRoleConnectionLimit = authRoleConnectionLimit(AUTH_POOL_SIZE);

  constructor(name: string, args: PgBouncerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:PgBouncer", name, {}, opts);

    this.ini = renderPgbouncerIni({
      listenPort: PGBOUNCER_PORT,
      database: { dbname: args.databaseName, host: args.postgresHost, port: 5432 },
      authUser: DB_ROLES.pgbouncerAuth,
      authQuery: pgbouncerAuthQuery({ authRole: DB_ROLES.pgbouncerAuth, schema: PGBOUNCER_AUTH_SCHEMA, functionName: PGBOUNCER_AUTH_FUNCTION }),
      authPoolSize: AUTH_POOL_SIZE,
      authFile: PGBOUNCER_PATHS.userlist,
      clientTls: { certFile: PGBOUNCER_PATHS.cert, keyFile: PGBOUNCER_PATHS.key },
      serverTls: { caFile: PGBOUNCER_PATHS.ca },
      pool: derivePoolSizes({ postgresMaxConnections: args.postgresMaxConnections }),
      statsUsers: [DB_ROLES.monitor],
    });
    // The only file with secrets: the auth user's and the stats user's passwords.
    const userlist = pulumi.secret(pulumi.all([args.authPassword, args.monitorPassword]).apply(([auth, monitor]) =>
      renderPgbouncerUserlist([
        { user: DB_ROLES.pgbouncerAuth, password: auth },
        { user: DB_ROLES.monitor, password: monitor },
      ])));

    const image = pullImage(name, args.image ?? IMAGES.pgbouncer, this);
    const base = hardenedContainerArgs({
      containerName: PGBOUNCER_CONTAINER,
      image: image.name,
      size: args.size,
      user: `${PGBOUNCER_UID}:${PGBOUNCER_UID}`,
      healthcheck: { test: ["CMD-SHELL", `nc -z 127.0.0.1 ${PGBOUNCER_PORT} || exit 1`], interval: "15s" },
    });
    const file = (path: string, content: pulumi.Input<string>, permissions = "0644") =>
      ({ file: path, content, owner: PGBOUNCER_UID, group: PGBOUNCER_UID, permissions });
    this.container = new docker.Container(`${name}-container`, {
      ...base,
      command: ["pgbouncer", PGBOUNCER_PATHS.ini],
      networksAdvanced: [
        { name: args.clientNetwork.name, aliases: ["pgbouncer"] },
        { name: args.dataNetwork.name },
      ],
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m", "/var/run/pgbouncer": "rw,noexec,nosuid,size=1m" },
      uploads: [
        file(PGBOUNCER_PATHS.ini, this.ini),
        file(PGBOUNCER_PATHS.userlist, userlist, "0600"),
        file(PGBOUNCER_PATHS.cert, args.tls.certPem),
        file(PGBOUNCER_PATHS.key, args.tls.keyPem, "0600"),
        file(PGBOUNCER_PATHS.ca, args.caCertPem),
      ],
    }, { parent: this, dependsOn: [image, ...args.dependsOn] });

    this.registerOutputs({ host: this.host, port: this.port });
  }
}
