// Where the running stand-up of a test run leaves its info (JSON, 0600: it holds the run's secrets)
// and its log. One stand-up per machine at a time (fixed names and subnets), so one fixed folder.
import { tmpdir } from "node:os";
import { join } from "node:path";

export const STANDUP_RUN_DIR = join(tmpdir(), "jewelry-standup");
export const STANDUP_INFO_FILE = join(STANDUP_RUN_DIR, "info.json");
export const STANDUP_LOG_FILE = join(STANDUP_RUN_DIR, "standup.log");
