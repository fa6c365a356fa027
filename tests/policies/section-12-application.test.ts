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
  it("recognises a job run through python -m django, Django's own entry point", async () => {
    expect(await findings(mutate("app-migrate", (p) => { p.command = ["python", "-m", "django", "migrate", "--noinput"]; }), "deploy-jobs-before-web")).toEqual([]);
    const plan = await findings(mutate("app-migrate", (p) => { p.command = ["python3", "-m", "django", "migrate", "--plan"]; }), "deploy-jobs-before-web");
    expect(plan.map((f) => f.message.split("\n").pop())).toEqual(["Job jewelry-migrate runs migrate --plan changes nothing: the deployment goes on as if it had run."]);
  });
  it("refuses a migrate job given an app label: only that app's migrations run", async () => {
    const oneApp = await findings(mutate("app-migrate", (p) => { p.command = ["python", "manage.py", "migrate", "--database", "default", "inventory", "--noinput"]; }), "deploy-jobs-before-web");
    expect(oneApp.map((f) => f.message.split("\n").pop())).toEqual([
      "Job jewelry-migrate runs migrate inventory applies only inventory's migrations (and those they depend on), no other app's: the deployment goes on with the other apps' migrations unapplied.",
    ]);
    const target = await findings(mutate("app-migrate", (p) => { p.command = ["python", "manage.py", "migrate", "inventory", "0001_initial"]; }), "deploy-jobs-before-web");
    expect(target[0].message).toMatch(/migrate inventory 0001_initial moves inventory to that migration \(unapplying any later one\)/);
  });
  it("refuses collectstatic or compilemessages output that no app service reads from the same volume", async () => {
    const intoLayer = await findings(mutate("app-collectstatic", (p) => { p.volumes = [{ volumeName: "jewelry-static", containerPath: "/app/static" }]; }), "deploy-jobs-before-web");
    expect(intoLayer.map((f) => f.message.split("\n").pop())).toEqual([
      "Job jewelry-collectstatic writes /app/staticfiles (manage.py collectstatic's output) into its own layer (the image's files), which goes with the job's container: no app container ever reads it.",
    ]);
    const tmpfs = await findings(mutate("app-compilemessages", (p) => { delete p.volumes; p.tmpfs = { "/app/locale": "rw" }; }), "deploy-jobs-before-web");
    expect(tmpfs[0].message).toMatch(/writes \/app\/locale .* into a tmpfs at \/app\/locale/);
    const webElsewhere = await findings(mutate("app-web", (p) => { p.volumes = [{ volumeName: "jewelry-static", containerPath: "/app/staticfiles" }, { volumeName: "jewelry-locale-0", containerPath: "/app/locale" }]; }), "deploy-jobs-before-web");
    expect(webElsewhere.map((f) => f.message.split("\n").pop())).toEqual([
      "Container jewelry-web reads /app/locale from volume jewelry-locale-0, not from volume jewelry-locale-1, where jewelry-compilemessages writes manage.py compilemessages's output.",
    ]);
    const webNone = await findings(mutate("app-web", (p) => { delete p.volumes; }), "deploy-jobs-before-web");
    expect(webNone.map((f) => f.message.split("\n").pop())).toEqual([
      "Container jewelry-web reads /app/staticfiles from its own layer (the image's files), not from volume jewelry-static, where jewelry-collectstatic writes manage.py collectstatic's output.",
      "Container jewelry-web reads /app/locale from its own layer (the image's files), not from volume jewelry-locale-1, where jewelry-compilemessages writes manage.py compilemessages's output.",
    ]);
    // A parent mount holds the path too, at the same place inside the volume.
    const parent = await findings(mutate("app-collectstatic", (p) => { p.volumes = [{ volumeName: "jewelry-static", containerPath: "/app" }]; }), "deploy-jobs-before-web");
    expect(parent[0].message).toMatch(/reads \/app\/staticfiles from volume jewelry-static, not from volume jewelry-static \(at \/staticfiles in it\)/);
  });
  it("refuses a job whose shell swallows its failure", async () => {
    const masked = await findings(mutate("app-migrate", (p) => { p.command = ["sh", "-c", "python manage.py migrate --noinput || true"]; }), "deploy-jobs-before-web");
    expect(masked.map((f) => f.message.split("\n").pop())).toEqual([expect.stringMatching(/^Job jewelry-migrate cannot fail: "python manage.py migrate --noinput \|\| true" succeeds whatever the first command says/)]);
    const ok = await findings(mutate("app-migrate", (p) => { p.command = ["sh", "-c", "python manage.py migrate --noinput && echo done"]; }), "deploy-jobs-before-web");
    expect(ok).toEqual([]);
  });
});
