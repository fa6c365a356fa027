// How every checklist item is enforced: by pack policies before deployment, by a check after it,
// or by people. tests/policies/traceability.test.ts fails on an unmapped or unknown id, a policy
// that does not exist, or a policy citing an item that does not map back to it.
import { laterTraceability } from "./traceability-later";
import type { Trace } from "./traceability-types";

const policy = (...policies: string[]): Trace => ({ kind: "policy", policies });
const after = (check: string): Trace => ({ kind: "post-deployment", check });
const manual = (reason: string): Trace => ({ kind: "manual", reason });

const ownTraceability: Readonly<Record<string, Trace>> = {
  // 1 Environment Configuration
  "1.1": manual(".env files are replaced by stack config (Pulumi.<stack>.yaml, secrets with `pulumi config set --secret`)"),
  "1.2": policy("django-secret-key-strength", "fernet-keys", "strong-generated-passwords"),
  "1.3": policy("required-app-env-vars"),
  "1.4": manual("validate_env.py is replaced by the program's config schema (components/config) and this pack, both run on every preview"),
  "1.5": policy("django-settings-module-production"),
  "1.6": policy("django-debug-off"),
  "1.7": policy("django-allowed-hosts-set"),
  "1.8": policy("site-url-https"),
  // 2 Secrets and Keys
  "2.1": policy("django-secret-key-strength"),
  "2.2": policy("fernet-keys"),
  "2.3": policy("fernet-keys"),
  "2.4": policy("strong-generated-passwords"),
  "2.5": policy("strong-generated-passwords"),
  "2.6": policy("strong-generated-passwords"),
  // Partly: the pack sees secrets unwrapped; the offline check verifies they are marked secret.
  "2.7": policy("no-plaintext-secrets"),
  "2.8": policy("secrets-per-stack"),
  // 3 Database Configuration
  "3.1": policy("postgres-version-15-plus", "postgres-config-hardened"),
  "3.2": policy("app-database-declared"),
  "3.3": policy("app-role-least-privilege", "migration-credentials-confined"),
  "3.4": policy("rls-on-tenant-tables"),
  "3.5": after("npm run verify (backups): pgbackrest info shows, per repository, a full and a differential backup younger than the schedule allows"),
  "3.6": policy("pgbouncer-in-path"),
  "3.7": policy("use-pgbouncer-setting"),
  // 4 Redis Configuration
  "4.1": policy("redis-version-7-plus"),
  "4.2": policy("redis-auth-required"),
  "4.3": policy("redis-persistence"),
  "4.4": manual("Sentinel is optional and not deployed on a single Docker host; the ACL renderer already defines its user"),
  "4.5": policy("redis-maxmemory-policy"),
  // 7 External Services
  "7.1": manual("the Twilio account is created by the business in Twilio's console"),
  "7.2": after("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN authenticate against Twilio's API"),
  "7.3": manual("the Stripe account is created by the business in Stripe's dashboard"),
  "7.4": after("the configured Stripe keys are live keys (sk_live_/pk_live_, also checked by the config schema) and authenticate"),
  "7.5": after("Stripe's dashboard lists the webhook endpoint https://<domain>/… and a test event is delivered"),
  "7.6": manual("the Gold API key is optional and obtained by the business"),
  "7.7": manual("the Metals API key is optional and obtained by the business"),
  // 11 Docker Configuration
  "11.1": manual("the Docker engine on the host is installed by its administrators; Compose is replaced by this program"),
  "11.2": policy("image-pinned", "container-hardening"),
  "11.3": policy("non-root-user", "container-hardening"),
  "11.4": policy("healthcheck-configured"),
  "11.5": policy("resource-limits"),
  "11.6": policy("restart-policy"),
  "11.7": policy("persistent-volumes"),
  "11.8": policy("network-isolation", "no-public-ports"),
  // 15 Testing
  "15.1": manual("the app's unit tests run in the app repository's CI before an image is tagged"),
  "15.2": manual("the app's integration tests run in the app repository's CI"),
  "15.3": manual("load testing is performed by the team against staging"),
  "15.4": manual("security scanning of images and code runs in CI (e.g. trivy, bandit)"),
  "15.5": manual("penetration testing is commissioned when required"),
  "15.6": after("npm run verify (restore-drill): the last restore drill succeeded within its schedule"),
  "15.7": manual("the disaster recovery plan is rehearsed by the team"),
  // P Post-Deployment Checklist
  "P.1": after("npm run verify (containers): every declared container is running and healthy, one-shot jobs exited 0"),
  "P.2": after("npm run verify (health): https://<domain>/health/ answers 200"),
  "P.3": after("npm run verify (https): every declared name answers over HTTPS"),
  "P.4": after("npm run verify (admin): /admin/ leads to the admin's login form"),
  "P.5": after("npm run verify --login (login): a smoke-test user signs in and out; the session cookie is Secure and HttpOnly"),
  "P.6": after("npm run verify (health): the health endpoint's database check passes"),
  "P.7": after("npm run verify (health): the health endpoint's cache check passes"),
  "P.8": after("npm run verify (celery): every worker answers celery inspect ping; with --canary a canary task completes on each queue"),
  "P.9": after("a test email is delivered"),
  "P.10": after("a file uploads to media storage and downloads again"),
  "P.11": after("npm run verify (backups): pgbackrest info shows backups newer than the schedule allows"),
  "P.12": after("npm run verify (prometheus): every declared scrape target is up"),
  "P.13": after("npm run verify (alertmanager): the loaded route sends each alert rule to the declared receivers; --send-test-alert posts a test alert"),
  "P.14": after("npm run verify (certificate): trusted, unexpired and covering each declared name"),
  "P.15": after("p95 latency of the health probe stays under its alert threshold"),
  "P.16": after("Sentry shows no new errors for the release"),
  "P.17": manual("documentation is updated by the team"),
};

/** Items sections share (none at present: WAL archiving is wal-archiving's alone). */
const jointTraceability: Readonly<Record<string, Trace>> = {};

/** Merges trace maps; where several enforce an item by policy, the policies are united. */
function merge(...maps: Readonly<Record<string, Trace>>[]): Record<string, Trace> {
  const merged: Record<string, Trace> = {};
  for (const map of maps) {
    for (const [id, trace] of Object.entries(map)) {
      const existing = merged[id];
      merged[id] = existing?.kind === "policy" && trace.kind === "policy"
        ? policy(...new Set([...existing.policies, ...trace.policies]))
        : trace;
    }
  }
  return merged;
}

export const traceability: Readonly<Record<string, Trace>> = merge(laterTraceability, ownTraceability, jointTraceability);
