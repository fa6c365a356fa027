// Stand up the declared stack by hand, or tear it down.
//
//   npx tsx tests/standup/cli.ts up            build/reuse the images, stand the stack up and leave it running
//   npx tsx tests/standup/cli.ts down          remove every stand-up (containers, networks, volumes, egress rules)
//   npx tsx tests/standup/cli.ts status        list the stand-up's containers and their state
//   npx tsx tests/standup/cli.ts hold --info F stand up, write the StandUpInfo JSON (0600: it holds the run's
//                                              secrets) to F, keep running until SIGTERM/SIGINT or stdin closes,
//                                              then tear down (what the tests' global set-up runs)
// Progress goes to stderr; exit 0 on success, 1 on failure, 2 on bad arguments.
import { writeFileSync } from "node:fs";
import { connectDocker, removeLabelled, RUN_LABEL } from "./docker/docker-engine";
import { releaseEgress } from "./docker/egress-guard";
import { standUpImages } from "./local-images";
import { standUp, standUpInfo, type StandUp } from "./standup";

const processStart = Date.now();
/** Each line with the seconds since this process started: where a slow stand-up spends its time. */
const log = (line: string) => process.stderr.write(`standup: [${((Date.now() - processStart) / 1000).toFixed(1)} s] ${line}\n`);

async function up(): Promise<StandUp> {
  // The images build (or are reused) alongside: each container waits for its own image only.
  const images = await standUpImages(log);
  const started = Date.now();
  const stack = await standUp({ images, log });
  try {
    // A stand-up is done when every image is: a failed build fails it even where no container needed that image.
    await images.built;
  } catch (error) {
    await stack.tearDown();
    throw error;
  }
  log(`stood up run ${stack.runId} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${Object.keys(stack.containers).length} containers, ${stack.skipped.length} left out`);
  for (const s of stack.skipped) log(`left out ${s.resource}: ${s.reason}`);
  return stack;
}

async function hold(infoFile: string): Promise<void> {
  let stack: StandUp | undefined;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`tearing down (${why})`);
    await stack?.tearDown();
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void stop(signal));
  process.stdin.on("end", () => void stop("the test run ended"));
  process.stdin.resume();
  try {
    stack = await up();
    writeFileSync(infoFile, JSON.stringify({ ok: true, info: standUpInfo(stack) }), { mode: 0o600 });
    if (stopping) await stack.tearDown();
  } catch (error) {
    writeFileSync(infoFile, JSON.stringify({ ok: false, error: (error as Error).message }), { mode: 0o600 });
    // The whole stack goes to the log (the tests show the message): where it failed matters.
    log((error as Error).stack ?? (error as Error).message);
    process.exit(1);
  }
}

async function status(): Promise<void> {
  const docker = await connectDocker();
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [RUN_LABEL] }) });
  for (const c of list) process.stdout.write(`${c.Names[0].replace(/^\//, "").padEnd(32)} ${c.State.padEnd(10)} ${c.Status}\n`);
  if (list.length === 0) process.stdout.write("no stand-up is running\n");
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "up") {
    const stack = await up();
    process.stdout.write(`${stack.runId}\n`);
    return;
  }
  if (command === "down") {
    const removed = await removeLabelled(await connectDocker());
    log(`removed ${removed} objects and ${releaseEgress()} egress rules`);
    return;
  }
  if (command === "status") return status();
  if (command === "hold" && rest[0] === "--info" && rest[1]) return hold(rest[1]);
  process.stderr.write("usage: tsx tests/standup/cli.ts up | down | status | hold --info FILE\n");
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: Error) => {
  log(error.message);
  process.exit(1);
});
