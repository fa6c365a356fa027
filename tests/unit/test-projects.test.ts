// Project main-shared runs its files in one module graph per worker (vitest's isolate: false). A file
// that runs the program under Pulumi's mocks there would find index.ts already required by another
// file (no resource registered, a run that never ends) or inherit its mocks: a file that loads the
// program's runner belongs in ISOLATED_TESTS (tests/support/test-projects.ts). This follows each
// file's imports to find them (loading the runner is taken as running it: the safe side).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, it } from "vitest";
import { MAIN_SHARED } from "../support/test-projects";

const root = resolve(__dirname, "../..");
/** Where a program run under mocks starts: the check's runner, or the SDK's mocks set by hand. */
const PROGRAM_RUNNER = join(root, "check", "run-program.ts");
const SETS_MOCKS = /\bsetMocks\s*\(/;

/** The repository files a file loads (value imports and requires of relative paths; `import type` loads nothing). */
function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers.flatMap((specifier) => {
    const base = resolve(dirname(file), specifier);
    const found = [base, `${base}.ts`, `${base}.js`, join(base, "index.ts"), join(base, "index.js")].find((p) => existsSync(p) && !p.endsWith("/"));
    return found && /\.(ts|js|cjs|mjs)$/.test(found) ? [found] : [];
  });
}

/** The import chain from `file` to a program run under mocks, if there is one. */
function chainToProgramRun(file: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (current: string, chain: string[]): string[] | undefined => {
    if (current === PROGRAM_RUNNER || SETS_MOCKS.test(readFileSync(current, "utf8"))) return [...chain, current];
    if (seen.has(current) || current.includes("node_modules")) return undefined;
    seen.add(current);
    for (const next of localImports(current)) {
      const found = walk(next, [...chain, current]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(file, []);
}

const shared = globSync(MAIN_SHARED.include, { cwd: root, ignore: MAIN_SHARED.exclude, absolute: true }).sort();
const show = (chain: string[]) => chain.map((p) => relative(root, p)).join(" -> ");

describe("the files that share a module graph (project main-shared)", () => {
  it("are most of the CPU-bound files", () => {
    expect(shared.length).toBeGreaterThan(50);
  });

  it("finds the program run under mocks behind a file that reaches it through its imports", () => {
    expect(show(chainToProgramRun(join(root, "tests/standup/images/image-map.test.ts")) ?? [])).toMatch(/production-run\.ts -> check\/run-program\.ts$/);
    expect(chainToProgramRun(join(root, "tests/b2/b2-providers.test.ts"))).toBeDefined();
    expect(chainToProgramRun(join(root, "tests/unit/duration-sequencer.test.ts"))).toBeUndefined();
  });

  it("include no file that loads the runner of the program under Pulumi's mocks (those belong in ISOLATED_TESTS)", () => {
    const offenders = shared.flatMap((file) => {
      const chain = chainToProgramRun(file);
      return chain ? [show(chain)] : [];
    });
    expect(offenders, "move these files to ISOLATED_TESTS in tests/support/test-projects.ts").toEqual([]);
  });
});
