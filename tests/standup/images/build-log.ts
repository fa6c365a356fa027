// Build logs: the whole output of each image build, for finding where a build's time goes.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Each build's whole output, every line prefixed with the seconds since its start: where the time went. */
export const BUILD_LOG_DIR = join(tmpdir(), "jewelry-standup-build-logs");

/** A sink that writes `name`'s build output to BUILD_LOG_DIR/<name>.log (truncated first). */
export function buildLogSink(name: string): (line: string) => void {
  mkdirSync(BUILD_LOG_DIR, { recursive: true });
  const file = join(BUILD_LOG_DIR, `${name}.log`);
  writeFileSync(file, "");
  const started = Date.now();
  return (line: string) => appendFileSync(file, `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} ${line}\n`);
}
