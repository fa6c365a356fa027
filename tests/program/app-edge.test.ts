// Checklist sections 1, 9, 10, 12 and 14 on the program: the app's environment contract, the deploy jobs
// before web, and nginx as the only public entry.
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { SECRETS_DIR, secretsEntrypoint } from "../../components/app/secret-files";
import { byName, envOf, isSecret, productionRun, uploadsOf } from "./production-run";

let program: ProgramRun;
beforeAll(async () => {
  program = await productionRun();
});

const APP = ["app-web", "app-worker", "app-beat", "app-migrate", "app-collectstatic", "app-compilemessages"];
/** The env contract's credentials with the shipped production config (sendgrid, media on R2). */
const APP_CREDENTIALS = [
  "DJANGO_SECRET_KEY", "BACKUP_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY", "APP_DB_PASSWORD", "DATABASE_URL",
  "REDIS_PASSWORD", "REDIS_URL", "CELERY_BROKER_URL", "SENTRY_DSN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
  "TWILIO_AUTH_TOKEN", "GOLD_API_KEY", "METALS_API_KEY", "SENDGRID_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
];

describe("the Django app", () => {
  it("gets the production environment contract in plain settings (1.3, 1.5–1.8, 3.7, 5.2, 5.4, 8.3)", () => {
    for (const name of APP) {
      const env = envOf(byName(program, name)).plain;
      expect(Object.fromEntries(env), name).toMatchObject({
        DJANGO_SETTINGS_MODULE: "config.settings.production",
        DEBUG: "False",
        DJANGO_ALLOWED_HOSTS: "goldleaf-jewelry.com,www.goldleaf-jewelry.com",
        SITE_URL: "https://goldleaf-jewelry.com",
        EMAIL_PROVIDER: "sendgrid",
        DEFAULT_FROM_EMAIL: "shop@goldleaf-jewelry.com",
        SENTRY_ENVIRONMENT: "production",
        STRIPE_PUBLISHABLE_KEY: "pk_live_51ExampleOnlyReplaceMe0000",
        TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
      });
    }
  });

  it("gets every credential as a secret file /run/secrets/<NAME>, none as an env entry (2.x, 7.x)", () => {
    for (const name of APP) {
      const container = byName(program, name);
      const files = uploadsOf(container).filter((u) => u.file.startsWith(`${SECRETS_DIR}/`));
      expect(files.map((u) => u.file.slice(SECRETS_DIR.length + 1)).sort(), name).toEqual([...APP_CREDENTIALS].sort());
      for (const file of files) {
        expect(isSecret(file.content), `${name} ${file.file}`).toBe(true);
        expect(file.permissions, `${name} ${file.file}`).toBe("0444");
      }
      // Nothing in the env is unknown or secret any more: every name is readable at preview.
      expect(envOf(container).secretCount, name).toBe(0);
      expect(envOf(container).other, name).toEqual([]);
      for (const credential of APP_CREDENTIALS) expect(envOf(container).plain.has(credential), `${name} ${credential}`).toBe(false);
    }
  });

  it("starts every app container through the secrets loader, its command unchanged", () => {
    for (const name of APP) expect(byName(program, name).object.entrypoints, name).toEqual(secretsEntrypoint());
    expect(byName(program, "app-migrate").object.command).toEqual(["python", "manage.py", "migrate", "--noinput"]);
    expect((byName(program, "app-web").object.command as string[]).slice(0, 2)).toEqual(["gunicorn", "config.wsgi:application"]);
    expect((byName(program, "app-worker").object.command as string[]).slice(0, 4)).toEqual(["celery", "-A", "config", "worker"]);
    expect((byName(program, "app-beat").object.command as string[]).slice(0, 4)).toEqual(["celery", "-A", "config", "beat"]);
    // The worker's healthcheck talks to the broker: it is a new process, so it loads the secrets itself.
    const workerCheck = (byName(program, "app-worker").object.healthcheck as { tests: string[] }).tests;
    expect(workerCheck.slice(0, 5)).toEqual(["CMD", ...secretsEntrypoint()]);
  });

  it("runs migrate, collectstatic and compilemessages as one-shot jobs that web, worker and beat wait for (12.1–12.3)", () => {
    for (const job of ["app-migrate", "app-collectstatic", "app-compilemessages"]) {
      const c = byName(program, job);
      expect(c.object.restart, job).toBe("no");
      expect(c.object.attach, job).toBe(true);
      for (const service of ["app-web", "app-worker", "app-beat"]) {
        expect(byName(program, service).dependencies.some((urn) => urn.endsWith(`::${job}`)), `${service} waits for ${job}`).toBe(true);
      }
    }
    expect(byName(program, "app-migrate").object.command).toEqual(["python", "manage.py", "migrate", "--noinput"]);
  });

  it("gives web and worker collectstatic's output read-only, so {% static %} finds its manifest (a page with static files is not a 500)", () => {
    type Volume = { volumeName?: string; containerPath?: string; readOnly?: boolean };
    const volumesOf = (name: string) => (byName(program, name).object.volumes ?? []) as Volume[];
    const [written] = volumesOf("app-collectstatic").filter((v) => v.containerPath === "/app/staticfiles");
    expect(written?.readOnly ?? false).toBe(false);
    for (const service of ["app-web", "app-worker"]) {
      const mounted = volumesOf(service).find((v) => v.containerPath === written.containerPath);
      expect(mounted, service).toEqual({ volumeName: written.volumeName, containerPath: written.containerPath, readOnly: true });
    }
  });
});

describe("the edge", () => {
  it("serves the generated nginx.conf: redirect, TLS 1.2/1.3, HSTS, headers, gzip, rate limits (9.3–9.5, 10.4–10.6, 14.4, 14.7)", () => {
    const conf = uploadsOf(byName(program, "edge-nginx")).find((u) => u.file === "/etc/nginx/nginx.conf")!.content as string;
    expect(conf).toMatch(/return 301 https:\/\/\$host\$request_uri;/);
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(conf).toMatch(/Strict-Transport-Security "max-age=\d{8,}; includeSubDomains" always;/);
    for (const header of ["Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"]) {
      expect(conf, header).toMatch(new RegExp(`add_header ${header} .* always;`));
    }
    expect(conf).toMatch(/server_tokens off;/);
    expect(conf).toMatch(/gzip on;/);
    expect(conf).toMatch(/limit_req_status 429;/);
    expect(conf).toContain("/.well-known/acme-challenge/");
  });

  it("obtains and renews the certificate with certbot, starting on a self-signed bootstrap (9.2, 9.6)", () => {
    const certbot = byName(program, "edge-certbot");
    const loop = (certbot.object.command as string[]).join(" ");
    expect(loop).toContain("certbot certonly --webroot");
    expect(loop).toContain("certbot renew");
    expect(loop).toContain("-d goldleaf-jewelry.com -d www.goldleaf-jewelry.com");
    const files = uploadsOf(byName(program, "edge-nginx")).map((u) => u.file);
    expect(files).toEqual(expect.arrayContaining(["/etc/nginx/tls/bootstrap/fullchain.pem", "/docker-entrypoint.d/40-jewelry-cert-links.sh"]));
  });

  it("exports the fail2ban jail and filters for the host (10.3)", () => {
    const outputs = program.stackOutputs ?? {};
    expect(String(outputs.fail2banJailLocal)).toMatch(/\[jewelry-nginx-limit-req\][\s\S]*enabled\s*=\s*true/);
    expect(Object.keys(outputs.fail2banFilters as object).sort()).toEqual(["jewelry-nginx-auth", "jewelry-nginx-limit-req"]);
  });
});
