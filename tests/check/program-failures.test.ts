// Programs that cannot run to the end under the Pulumi CLI end the check too, naming the mistake and
// the fix (check/run-program.ts): two resources of one type named alike, which the engine refuses,
// and a program waiting on a promise nothing can settle, which the language host ends when its event
// loop empties. Both once kept `npm run check` waiting forever: a refused component leaves its
// child's outputs, and the stack's exports, pending; the pack's thread kept the loop from emptying.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { fixturePack, runCli } from "./run-cli";

const project = path.join(__dirname, "fixtures/failing-program");

/** `npm run check` on the stack of one mistake; killed if it has not ended in a minute (its pack ends with it). */
const check = (mistake: string) => runCli(["--root", project, "--stack", mistake, "--policy-pack", fixturePack], {}, 60_000);

describe("a program the Pulumi CLI could not run to the end", () => {
  it("ends at a component registered twice, whose child and the stack's exports wait on it, naming the URN and the fix", async () => {
    const run = await check("duplicate-component");
    expect(run.signal, "the check did not end").toBeNull();
    expect(run.stderr.trim()).toBe(
      "error: the program registers urn:pulumi:duplicate-component::failing-program::test:index:Vault::same twice: " +
        "give each resource of type test:index:Vault a name of its own (the Pulumi engine refuses a duplicate URN)",
    );
    expect(run.code).toBe(2);
  }, 90_000);

  it("ends at a custom resource registered twice alike", async () => {
    const run = await check("duplicate-custom");
    expect(run.signal, "the check did not end").toBeNull();
    expect(run.stderr).toContain("the program registers urn:pulumi:duplicate-custom::failing-program::test:index:Secret::same twice");
    expect(run.code).toBe(2);
  }, 90_000);

  it("ends when two resources wait on each other, saying the program cannot finish and why", async () => {
    const run = await check("cycle");
    expect(run.signal, "the check did not end").toBeNull();
    expect(run.stderr.trim()).toMatch(
      /^error: the program cannot finish: it waits on \d+ promises that nothing left running can settle \(a cyclic dependency between resources, or a promise the program never resolves\)/,
    );
    expect(run.code).toBe(2);
  }, 90_000);

  it("judges the same resources once they are named apart and the cycle is gone", async () => {
    const run = await check("none");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("7 resources");
  }, 90_000);
});
