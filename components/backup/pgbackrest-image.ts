import * as path from "node:path";
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../docker/images";

/** The pgBackRest package both containers install: one version, since client and repository host must match exactly. */
export const PGBACKREST_VERSION = "2.54.1";
const PGBACKREST_PACKAGE = `${PGBACKREST_VERSION}-1.pgdg120+1`;

/** "16.6-bookworm" from "postgres:16.6-bookworm": the tag keeps PostgreSQL's version first. */
const POSTGRES_TAG = IMAGES.postgres.split(":")[1];

/**
 * Image references built from components/backup/image (PostgreSQL's image + pgBackRest + cron).
 * The server's repository ends in `postgres` and its tag starts with the major version, so
 * version policies read it as PostgreSQL 16; the backup container keeps its own name.
 */
export const PGBACKREST_IMAGES = {
  postgres: `jewelry-shop/postgres:${POSTGRES_TAG}-pgbackrest${PGBACKREST_VERSION}`,
  backup: `jewelry-backup:${POSTGRES_TAG}-pgbackrest-${PGBACKREST_VERSION}`,
} as const;

/** Builds the image on the Docker host under `imageName` (a second name reuses the build cache). */
export function buildPgbackrestImage(name: string, imageName: string, parent: pulumi.Resource): docker.Image {
  return new docker.Image(`${name}-image`, {
    imageName,
    build: {
      context: path.join(__dirname, "image"),
      args: { POSTGRES_IMAGE: IMAGES.postgres, PGBACKREST_VERSION: PGBACKREST_PACKAGE },
      platform: "linux/amd64",
    },
    skipPush: true,
  }, { parent });
}
