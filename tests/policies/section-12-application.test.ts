import { describe, expect, it } from "vitest";
import { baselineLater, findings, mutate } from "./baseline-later";

describe("deploy-jobs-before-web", () => {
  it("accepts attached one-shot jobs the web container depends on", async () => {
    expect(await findings(baselineLater(), "deploy-jobs-before-web")).toEqual([]);
  });
  it("refuses a web container that starts without waiting for compilemessages", async () => {
    const resources = baselineLater().map((r) => (r.name === "app-web" ? { ...r, propertyDependencies: { command: ["app-migrate", "app-collectstatic"] } } : r));
    const found = await findings(resources, "deploy-jobs-before-web");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/does not depend on: compilemessages/);
  });
  it("refuses a migrate job the deployment does not wait for", async () => {
    const found = await findings(mutate("app-migrate", (p) => { delete p.attach; }), "deploy-jobs-before-web");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/not attached/);
  });
  it("refuses a job that Docker would restart forever", async () => {
    const found = await findings(mutate("app-collectstatic", (p) => { p.restart = "always"; }), "deploy-jobs-before-web");
    expect(found[0].message).toMatch(/restart "always"/);
  });
  it("refuses a job whose flag makes it a no-op", async () => {
    const plan = await findings(mutate("app-migrate", (p) => { p.command = [...p.command, "--plan"]; }), "deploy-jobs-before-web");
    expect(plan.map((f) => f.message.split("\n").pop())).toEqual(["Job jewelry-migrate runs migrate --plan changes nothing: the deployment goes on as if it had run."]);
    const dry = await findings(mutate("app-collectstatic", (p) => { p.command = [...p.command, "--dry-run"]; }), "deploy-jobs-before-web");
    expect(dry[0].message).toMatch(/collectstatic --dry-run changes nothing/);
  });
  it("refuses a job whose shell swallows its failure", async () => {
    const masked = await findings(mutate("app-migrate", (p) => { p.command = ["sh", "-c", "python manage.py migrate --noinput || true"]; }), "deploy-jobs-before-web");
    expect(masked.map((f) => f.message.split("\n").pop())).toEqual([expect.stringMatching(/^Job jewelry-migrate cannot fail: "python manage.py migrate --noinput \|\| true" succeeds whatever the first command says/)]);
    const ok = await findings(mutate("app-migrate", (p) => { p.command = ["sh", "-c", "python manage.py migrate --noinput && echo done"]; }), "deploy-jobs-before-web");
    expect(ok).toEqual([]);
  });
});
