import { describe, expect, it } from "vitest";
import { baseline, mutate, setEnv, setSecretFile, stackContext, type MutableProps } from "./baseline";
import { findingsOf, messagesOf, UNKNOWN } from "./harness";

const ctx = stackContext();
const compliant = baseline();
const preview = baseline({ secretsKnown: false });
const onWeb = (key: string, value: string | undefined) => mutate(compliant, "app-web", (p) => setEnv(p, key, value));
/** The delivery the program had before secret files: every credential an env entry unknown as a whole, name included. */
const asUnknownEnvEntries = (p: MutableProps) => {
  const secrets = (p.uploads as { file: string }[]).filter((u) => u.file.startsWith("/run/secrets/"));
  p.uploads = (p.uploads as { file: string }[]).filter((u) => !secrets.includes(u));
  p.envs = [...(p.envs as string[]), ...secrets.map(() => UNKNOWN)];
};

describe("required-app-env-vars", () => {
  it("passes when the app sets the whole contract", async () => {
    expect(await findingsOf("required-app-env-vars", compliant, ctx)).toEqual([]);
  });
  it("accepts DB_HOST and DB_PORT in place of DATABASE_URL", async () => {
    expect(await findingsOf("required-app-env-vars", onWeb("DATABASE_URL", undefined), ctx)).toEqual([]);
  });
  it("fails when a variable of the contract is missing", async () => {
    expect(await messagesOf("required-app-env-vars", onWeb("TWILIO_PHONE_NUMBER", undefined), ctx)).toEqual(["missing or empty: TWILIO_PHONE_NUMBER."]);
  });
  it("requires what the production settings require(): ENVIRONMENT and CELERY_BROKER_URL stop every app process when unset", async () => {
    expect(await messagesOf("required-app-env-vars", onWeb("ENVIRONMENT", undefined), ctx)).toEqual(["missing or empty: ENVIRONMENT."]);
    const noBroker = mutate(compliant, "app-web", (p) => setSecretFile(p, "CELERY_BROKER_URL", undefined));
    expect(await messagesOf("required-app-env-vars", noBroker, ctx)).toEqual(["missing or empty: CELERY_BROKER_URL."]);
  });
  it("fails when a variable is empty", async () => {
    expect(await messagesOf("required-app-env-vars", onWeb("SENTRY_ENVIRONMENT", ""), ctx)).toEqual(["missing or empty: SENTRY_ENVIRONMENT."]);
  });
  it("decides at a first preview: a secret file's path names the setting while its content is unknown", async () => {
    expect(await findingsOf("required-app-env-vars", preview, ctx)).toEqual([]);
  });
  it("fails at a first preview when a credential's secret file is missing", async () => {
    const noStripe = mutate(preview, "app-web", (p) => setSecretFile(p, "STRIPE_SECRET_KEY", undefined));
    expect(await messagesOf("required-app-env-vars", noStripe, ctx)).toEqual(["missing or empty: STRIPE_SECRET_KEY."]);
  });
  it("fails when a known secret file is empty", async () => {
    expect(await messagesOf("required-app-env-vars", mutate(compliant, "app-web", (p) => setSecretFile(p, "TWILIO_AUTH_TOKEN", " \n")), ctx))
      .toEqual(["missing or empty: TWILIO_AUTH_TOKEN."]);
  });
  it("accepts a credential as a known env entry as well", async () => {
    const asEnv = mutate(compliant, "app-web", (p) => {
      setSecretFile(p, "SENTRY_DSN", undefined);
      setEnv(p, "SENTRY_DSN", "https://0123456789abcdef@o0.ingest.sentry.io/1234567");
    });
    expect(await findingsOf("required-app-env-vars", asEnv, ctx)).toEqual([]);
  });
  it("cannot decide while secret env entries hide their names (why credentials are files)", async () => {
    const findings = await findingsOf("required-app-env-vars", mutate(preview, "app-web", asUnknownEnvEntries), ctx);
    expect(findings.map((f) => f.level)).toEqual(["advisory"]);
    expect(findings[0].message).toMatch(/can't run policy/);
  });
  it("still fails when more is missing than unknown entries could hold", async () => {
    const stripped = mutate(preview, "app-web", (p) => {
      asUnknownEnvEntries(p);
      p.envs = (p.envs as string[]).filter((e) => e.startsWith("DJANGO_SETTINGS_MODULE=") || e === UNKNOWN);
    });
    expect((await messagesOf("required-app-env-vars", stripped, ctx))[0]).toMatch(/^missing or empty: DEBUG, DJANGO_ALLOWED_HOSTS, SITE_URL/);
  });
});

describe("django-settings-module-production", () => {
  it("passes with config.settings.production", async () => {
    expect(await findingsOf("django-settings-module-production", compliant, ctx)).toEqual([]);
  });
  it("fails with another settings module", async () => {
    expect(await messagesOf("django-settings-module-production", onWeb("DJANGO_SETTINGS_MODULE", "config.settings.staging"), ctx))
      .toEqual(['DJANGO_SETTINGS_MODULE is "config.settings.staging", not "config.settings.production".']);
  });
});

describe("django-debug-off", () => {
  it("passes with DEBUG=False", async () => {
    expect(await findingsOf("django-debug-off", compliant, ctx)).toEqual([]);
  });
  it("fails with DEBUG=True", async () => {
    expect(await messagesOf("django-debug-off", onWeb("DEBUG", "True"), ctx)).toEqual([expect.stringMatching(/^DEBUG is "True"/)]);
  });
  it("fails when DEBUG is not set", async () => {
    expect(await messagesOf("django-debug-off", onWeb("DEBUG", undefined), ctx)).toEqual([expect.stringMatching(/^DEBUG is not set/)]);
  });
  it("fails at a first preview when DEBUG is not set: unknown secret file contents cannot hide it", async () => {
    expect(await messagesOf("django-debug-off", mutate(preview, "app-web", (p) => setEnv(p, "DEBUG", undefined)), ctx)).toEqual([expect.stringMatching(/^DEBUG is not set/)]);
  });
  it("reports 'can't run' rather than a false pass when DEBUG may hide in an unknown env entry", async () => {
    const hidden = mutate(preview, "app-web", (p) => { setEnv(p, "DEBUG", undefined); asUnknownEnvEntries(p); });
    const findings = await findingsOf("django-debug-off", hidden, ctx);
    expect(findings).toEqual([expect.objectContaining({ level: "advisory", message: expect.stringMatching(/can't run/) })]);
  });
});

describe("django-allowed-hosts-set", () => {
  it("passes with the shop's domain names", async () => {
    expect(await findingsOf("django-allowed-hosts-set", compliant, ctx)).toEqual([]);
  });
  it("fails with a wildcard", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", "shop.example.org,*"), ctx)).toEqual([expect.stringMatching(/contains "\*"/)]);
  });
  it("fails when empty", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", " , "), ctx)).toEqual(["DJANGO_ALLOWED_HOSTS is empty."]);
  });
  it("fails with an IP address or localhost", async () => {
    expect(await messagesOf("django-allowed-hosts-set", onWeb("DJANGO_ALLOWED_HOSTS", "203.0.113.10,localhost"), ctx)).toHaveLength(2);
  });
});

describe("site-url-https", () => {
  it("passes with https on the domain", async () => {
    expect(await findingsOf("site-url-https", compliant, ctx)).toEqual([]);
  });
  it("fails with http://", async () => {
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "http://shop.example.org"), ctx)).toEqual([expect.stringMatching(/does not use https/)]);
  });
  it("fails on localhost", async () => {
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "https://localhost:8000"), ctx)).toEqual([expect.stringMatching(/real domain/)]);
  });
});

describe("settings through every channel the app process sees", () => {
  const served = stackContext({}, { "jewelry-shop:domain": "shop.example.org", "jewelry-shop:domainAliases": JSON.stringify(["www.shop.example.org"]) });
  const onWebProps = (change: (p: MutableProps) => void) => mutate(compliant, "app-web", change);

  it("reads DEBUG from gunicorn's --env, a shell assignment and an exported secret file", async () => {
    const gunicorn = onWebProps((p) => { p.command = ["gunicorn", "config.wsgi:application", "--env", "DEBUG=True"]; });
    expect(await messagesOf("django-debug-off", gunicorn, ctx)).toEqual(['DEBUG is "True" (from gunicorn --env): tracebacks and settings would be shown to visitors.']);
    const shell = onWebProps((p) => { p.command = ["sh", "-c", "DEBUG=1 exec gunicorn config.wsgi:application"]; });
    expect(await messagesOf("django-debug-off", shell, ctx)).toEqual([expect.stringMatching(/^DEBUG is "1" \(from the command's shell\)/)]);
    const file = onWebProps((p) => setSecretFile(p, "DEBUG", "yes\n"));
    expect(await messagesOf("django-debug-off", file, ctx)).toEqual([expect.stringMatching(/^DEBUG is "yes" \(from \/run\/secrets\/DEBUG\)/)]);
  });
  it("reads gunicorn's --env from GUNICORN_CMD_ARGS, unless the command line has an --env list of its own", async () => {
    // Debian's gunicorn 20.1: GUNICORN_CMD_ARGS="--env DEBUG=True" served DEBUG=True over DEBUG=False in the env.
    const gunicorn = ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"];
    const cmdArgs = onWebProps((p) => { p.command = gunicorn; setEnv(p, "GUNICORN_CMD_ARGS", "--workers 4 --env 'DEBUG=True'"); });
    expect(await messagesOf("django-debug-off", cmdArgs, ctx)).toEqual(['DEBUG is "True" (from GUNICORN_CMD_ARGS --env): tracebacks and settings would be shown to visitors.']);
    const asFile = onWebProps((p) => { p.command = gunicorn; setSecretFile(p, "GUNICORN_CMD_ARGS", "-e DEBUG=True\n"); });
    expect(await messagesOf("django-debug-off", asFile, ctx)).toEqual(['DEBUG is "True" (from GUNICORN_CMD_ARGS --env): tracebacks and settings would be shown to visitors.']);
    // A command-line --env replaces the variable's list (gunicorn's cfg.set): DEBUG stayed False there.
    const replaced = onWebProps((p) => { p.command = [...gunicorn, "--env", "TZ=UTC"]; setEnv(p, "GUNICORN_CMD_ARGS", "--env DEBUG=True"); });
    expect(await findingsOf("django-debug-off", replaced, ctx)).toEqual([]);
    // Celery never reads it.
    const celery = onWebProps((p) => { p.command = ["celery", "-A", "config", "worker"]; setEnv(p, "GUNICORN_CMD_ARGS", "--env DEBUG=True"); });
    expect(await findingsOf("django-debug-off", celery, ctx)).toEqual([]);
  });
  it("ignores a secret file when the entrypoint does not run the loader that exports it", async () => {
    const noLoader = onWebProps((p) => { setSecretFile(p, "DEBUG", "True"); p.entrypoints = ["gunicorn"]; p.command = ["config.wsgi:application"]; });
    expect(await findingsOf("django-debug-off", noLoader, ctx)).toEqual([]);
    // …and then none of the credentials reach the app either.
    expect((await messagesOf("required-app-env-vars", noLoader, ctx))[0]).toMatch(/^missing or empty: DJANGO_SECRET_KEY, /);
  });
  it("judges every value of a repeated env entry: the provider orders them by hash, not as written", async () => {
    const twice = onWebProps((p) => { p.envs = [...p.envs, "DEBUG=True"]; });
    expect(await messagesOf("django-debug-off", twice, ctx)).toEqual([expect.stringMatching(/^DEBUG is "True" \(given 2 times: "False", "True"; the docker provider orders env entries by hash/)]);
  });
  it("reads DJANGO_SETTINGS_MODULE from manage.py --settings and recognises a job without the env entry", async () => {
    const flag = mutate(compliant, "app-migrate", (p) => { p.command = [...p.command, "--settings=config.settings.dev"]; });
    expect(await messagesOf("django-settings-module-production", flag, ctx)).toEqual(['DJANGO_SETTINGS_MODULE is "config.settings.dev" (from manage.py --settings), not "config.settings.production".']);
    const module = mutate(compliant, "app-migrate", (p) => { p.command = ["python", "-m", "django", "migrate", "--settings", "config.settings.dev"]; });
    expect(await messagesOf("django-settings-module-production", module, ctx)).toEqual(['DJANGO_SETTINGS_MODULE is "config.settings.dev" (from python -m django --settings), not "config.settings.production".']);
    const unset = mutate(compliant, "app-migrate", (p) => setEnv(p, "DJANGO_SETTINGS_MODULE", undefined));
    expect(await messagesOf("django-settings-module-production", unset, ctx)).toEqual([expect.stringMatching(/^DJANGO_SETTINGS_MODULE is not set/)]);
  });
  it("holds DJANGO_ALLOWED_HOSTS to the names the stack serves", async () => {
    expect(await findingsOf("django-allowed-hosts-set", compliant, served)).toEqual([]);
    const dot = onWebProps((p) => setEnv(p, "DJANGO_ALLOWED_HOSTS", ".shop.example.org"));
    expect(await messagesOf("django-allowed-hosts-set", dot, served)).toEqual([expect.stringMatching(/contains "\.shop\.example\.org", which accepts every subdomain/)]);
    const other = onWebProps((p) => setEnv(p, "DJANGO_ALLOWED_HOSTS", "shop.example.org,www.shop.example.org,staging.example.org"));
    expect(await messagesOf("django-allowed-hosts-set", other, served)).toEqual([expect.stringMatching(/"staging.example.org", a name the stack does not serve/)]);
    const missing = onWebProps((p) => setEnv(p, "DJANGO_ALLOWED_HOSTS", "shop.example.org"));
    expect(await messagesOf("django-allowed-hosts-set", missing, served)).toEqual([expect.stringMatching(/leaves out www.shop.example.org, which the stack serves/)]);
  });
  it("holds SITE_URL to a served name on the default port", async () => {
    expect(await findingsOf("site-url-https", compliant, served)).toEqual([]);
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "https://shop.example.net"), served)).toEqual([expect.stringMatching(/names shop.example.net, which the stack does not serve/)]);
    expect(await messagesOf("site-url-https", onWeb("SITE_URL", "https://shop.example.org:8443"), served)).toEqual([expect.stringMatching(/names port 8443/)]);
  });
});
