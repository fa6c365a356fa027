// Command line for the stand-up images (README, "Stand-up images"):
//   npx tsx tests/standup/images/cli.ts               build or reuse every image; print the map as JSON
//   npx tsx tests/standup/images/cli.ts --only a,b    only these local images (and their parents)
//   npx tsx tests/standup/images/cli.ts --differences print DIFFERENCES.md as rendered from catalog.ts
//   npx tsx tests/standup/images/cli.ts --daemon      install and start dockerd unless one answers;
//                                                      print {serverVersion, startedPid?} as JSON
// Progress goes to stderr. Exit codes: 0 done, 1 a build or Docker failed, 2 bad arguments.
import { buildImages } from "./build-images";
import { withBuildLock } from "./build-lock";
import { LOCAL_IMAGE_NAMES, type LocalImageName } from "./catalog";
import { renderDifferences } from "./differences";
import { ensureDockerDaemon } from "./docker-daemon";
import { ensureStandupImages } from "./index";

const USAGE = "usage: cli.ts [--only NAME[,NAME…]] | --differences | --daemon";

function parseOnly(value: string | undefined): LocalImageName[] {
  const names = (value ?? "").split(",").filter(Boolean);
  const unknown = names.filter((name) => !(LOCAL_IMAGE_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`--only needs local image names (${LOCAL_IMAGE_NAMES.join(", ")})${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`);
  }
  return names as LocalImageName[];
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const log = (line: string) => process.stderr.write(`standup-images: ${line}\n`);
  if (argv.length === 1 && argv[0] === "--differences") {
    process.stdout.write(renderDifferences());
    return;
  }
  if (argv.length === 1 && argv[0] === "--daemon") {
    const { serverVersion, startedPid } = await ensureDockerDaemon(log);
    process.stdout.write(`${JSON.stringify({ serverVersion, startedPid })}\n`);
    return;
  }
  if (argv.length === 0) {
    process.stdout.write(`${JSON.stringify(await ensureStandupImages({ log }), null, 2)}\n`);
    return;
  }
  if (argv[0] === "--only" && argv.length === 2) {
    const only = parseOnly(argv[1]);
    const started = Date.now();
    const result = await withBuildLock(async () => buildImages((await ensureDockerDaemon(log)).client, log, { only }), 30 * 60_000, log);
    process.stdout.write(`${JSON.stringify({ ...result, totalSeconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
    return;
  }
  throw new UsageError(USAGE);
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`standup-images: ${error.message}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
