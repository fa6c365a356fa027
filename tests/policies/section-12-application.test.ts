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
});
