// The check's process collects its program's garbage once the program has run, when its heap is
// large (check/program-memory.ts): `npm run check` gives it V8's gc(), a small heap is left alone.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");

describe("the program's garbage in the check's process", () => {
  it("is collected when the heap is large, and a small heap is left alone", () => {
    const script = `
      const { releaseProgramGarbage } = require("./check/program-memory.ts");
      const out = { small: releaseProgramGarbage() };
      // Garbage the way a program leaves it: survived into the old space, then dropped.
      let kept = Array.from({ length: 100 }, () => Array.from({ length: 50_000 }, (_, i) => ({ i, text: "x" + i })));
      kept = undefined;
      out.heapTotalBefore = process.memoryUsage().heapTotal;
      out.usedBefore = process.memoryUsage().heapUsed;
      out.large = releaseProgramGarbage();
      out.usedAfter = process.memoryUsage().heapUsed;
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number | boolean>;
    expect(out.small).toBe(false);
    expect(out.heapTotalBefore as number).toBeGreaterThan(256 * 2 ** 20);
    expect(out.large).toBe(true);
    expect(out.usedAfter as number).toBeLessThan((out.usedBefore as number) / 4);
  }, 120_000);
});
