import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { IMAGES, pullImage } from "../docker/images";
import { renderRedisConf, renderRedisUsersFile, type RedisMaxmemoryPolicy } from "./redis-conf";

export const REDIS_PATHS = {
  config: "/usr/local/etc/redis/redis.conf",
  /** The users include (named users with their passwords). `.acl` keeps it recognisable as a secret file. */
  users: "/usr/local/etc/redis/users.acl",
  data: "/data",
} as const;

export const REDIS_CONTAINER = "jewelry-redis";
export const REDIS_PORT = 6379;
export const REDIS_USERS = { app: "jewelry", exporter: "exporter" } as const;
/** uid/gid of `redis` in the Debian-based official image. */
const REDIS_UID = "999";

export interface RedisArgs {
  /** Pinned image reference; defaults to IMAGES.redis. */
  readonly image?: string;
  readonly size: ServiceSize;
  readonly network: docker.Network;
  readonly monitoringNetwork: docker.Network;
  readonly dataVolume: docker.Volume;
  readonly maxmemoryMb?: number;
  readonly maxmemoryPolicy: RedisMaxmemoryPolicy;
  readonly appPassword: pulumi.Input<string>;
  readonly exporterPassword: pulumi.Input<string>;
}

/**
 * Redis 7 for Django's cache and Celery's broker (checklist 4.1–4.5): the default user off in redis.conf
 * (readable at preview), the named users and their passwords in an include (a secret), AOF + RDB
 * persistence on a volume, a memory ceiling with an eviction policy that never drops queued tasks.
 * Sentinel would add containers here; the users renderer already knows its user.
 */
export class Redis extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly host = REDIS_CONTAINER;
  readonly port = REDIS_PORT;
  readonly conf: string;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Redis", name, {}, opts);

    // 75% of the container: AOF rewrites fork, and the copy-on-write pages need headroom.
    const maxmemoryMb = args.maxmemoryMb ?? Math.floor(args.size.memoryMb * 0.75);
    if (maxmemoryMb >= args.size.memoryMb) {
      throw new pulumi.ResourceError(`redis.maxmemoryMb (${maxmemoryMb}) must stay below the container memory (${args.size.memoryMb} MiB)`, this);
    }
    this.conf = renderRedisConf({
      bind: ["0.0.0.0"],
      port: REDIS_PORT,
      usersFile: REDIS_PATHS.users,
      dir: REDIS_PATHS.data,
      maxmemoryMb,
      maxmemoryPolicy: args.maxmemoryPolicy,
    });
    const users = pulumi.secret(pulumi.all([args.appPassword, args.exporterPassword]).apply(([app, exporter]) =>
      renderRedisUsersFile({ appUser: REDIS_USERS.app, appPassword: app, exporterUser: REDIS_USERS.exporter, exporterPassword: exporter })));

    const image = pullImage(name, args.image ?? IMAGES.redis, this);
    const base = hardenedContainerArgs({
      containerName: REDIS_CONTAINER,
      image: image.name,
      size: args.size,
      user: `${REDIS_UID}:${REDIS_UID}`,
      // PING needs no auth only as an error reply: any answer proves the server is up and serving.
      healthcheck: { test: ["CMD-SHELL", `redis-cli -p ${REDIS_PORT} ping 2>&1 | grep -qE 'PONG|NOAUTH'`], interval: "15s" },
    });
    this.container = new docker.Container(`${name}-container`, {
      ...base,
      command: ["redis-server", REDIS_PATHS.config],
      networksAdvanced: [
        { name: args.network.name, aliases: ["redis"] },
        { name: args.monitoringNetwork.name },
      ],
      volumes: [{ volumeName: args.dataVolume.name, containerPath: REDIS_PATHS.data }],
      uploads: [
        { file: REDIS_PATHS.config, content: this.conf, owner: REDIS_UID, group: REDIS_UID, permissions: "0644" },
        { file: REDIS_PATHS.users, content: users, owner: REDIS_UID, group: REDIS_UID, permissions: "0600" },
      ],
    }, { parent: this, dependsOn: [image] });

    this.registerOutputs({ host: this.host, port: this.port });
  }
}
