// The --docker-host URL checked on its own: the command line refuses a bad one before dockerode
// (ssh2, gRPC, protobufjs) is loaded.
import { UsageError } from "../../check/errors";

export function parseDockerHost(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--docker-host ${url}: give unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST`);
  }
  if (!["unix:", "tcp:", "ssh:"].includes(parsed.protocol)) {
    throw new UsageError(`--docker-host ${url}: the scheme must be unix://, tcp:// or ssh:// (as the Docker provider's host)`);
  }
  return parsed;
}
