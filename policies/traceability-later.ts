// Traceability of checklist sections 5, 6, 8, 9, 10, 12, 13 and 14 (policies in section-05…14 files).
// An item is "policy" when its pack rule decides it before deployment from what the engine shows;
// what only a running stack can prove is a post-deployment check; people's work is manual.
import type { Trace } from "./traceability-types";

const policy = (...policies: string[]): Trace => ({ kind: "policy", policies });
const after = (check: string): Trace => ({ kind: "post-deployment", check });
const manual = (reason: string): Trace => ({ kind: "manual", reason });

export const laterTraceability: Readonly<Record<string, Trace>> = {
  // 5 Email Configuration
  "5.1": policy("email-provider-configured"),
  "5.2": policy("email-provider-configured"),
  "5.3": policy("email-provider-configured"),
  "5.4": policy("default-from-email-valid"),
  "5.5": after("`manage.py sendtestemail <ops address>` in the web container succeeds and the message arrives with SPF/DKIM/DMARC pass"),
  "5.6": policy("mail-dns-records"),
  // 6 Cloud Storage Configuration
  "6.1": policy("r2-buckets-private"),
  "6.2": policy("storage-keys-scoped"),
  "6.3": policy("b2-backup-bucket"),
  "6.4": policy("storage-keys-scoped"),
  "6.5": after("with each deployed key, upload, download and delete a probe object in its bucket; the same key is refused on the other bucket"),
  "6.6": policy("r2-buckets-private", "storage-keys-scoped"),
  // 8 Monitoring and Logging
  "8.1": manual("the Sentry project is created in the Sentry organisation; the stack only receives its DSN"),
  "8.2": policy("sentry-configured"),
  "8.3": policy("sentry-configured"),
  "8.4": policy("prometheus-configured"),
  "8.5": policy("grafana-dashboards"),
  "8.6": policy("alert-rules-present"),
  "8.7": policy("log-aggregation"),
  // 9 SSL/TLS Configuration
  "9.1": policy("dns-records"),
  "9.2": policy("certbot-renewal"),
  "9.3": policy("tls-nginx"),
  "9.4": policy("http-redirect-https"),
  "9.5": policy("hsts-header"),
  "9.6": policy("certbot-renewal"),
  // 10 Security Hardening
  // Docker-published ports bypass the host's INPUT rules, so what is published IS the open-port list.
  "10.1": policy("only-web-ports-published"),
  "10.2": manual("sshd on the Docker host (PasswordAuthentication no) is configured by its administrators, outside the program"),
  "10.3": policy("fail2ban-config"),
  "10.4": policy("security-headers"),
  "10.5": policy("rate-limiting"),
  "10.6": policy("rate-limiting"),
  "10.7": after("npm run verify (csrf): a form post without a CSRF token is answered 403 and the CSRF cookie has the declared flags"),
  // At the edge: CSP and nosniff on every response; template autoescaping is the app's code.
  "10.8": policy("security-headers"),
  // 12 Application Configuration
  "12.1": policy("deploy-jobs-before-web"),
  "12.2": policy("deploy-jobs-before-web"),
  "12.3": policy("deploy-jobs-before-web"),
  "12.4": manual("the first superuser is created by an administrator with `manage.py createsuperuser`; its password is a person's"),
  "12.5": manual("whether initial data exists, and which, is the shop owner's decision"),
  // 13 Backup Configuration
  "13.1": policy("backup-encryption"),
  "13.2": policy("backup-schedule"),
  "13.3": policy("backup-retention"),
  "13.4": policy("backup-locations"),
  // The policy proves the drill is scheduled; its weekly success is watched by the RestoreDrillFailing alert.
  "13.5": policy("restore-drill-scheduled"),
  "13.6": policy("wal-archiving"),
  "13.7": policy("restore-drill-scheduled"),
  // 14 Performance Optimization
  "14.1": policy("redis-cache"),
  "14.2": manual("query optimisation is reviewed by developers (django-debug-toolbar, pg_stat_statements) in the app's code"),
  "14.3": manual("indexes are created by the app's migrations and reviewed by developers"),
  "14.4": policy("static-compression"),
  "14.5": policy("cdn"),
  "14.6": manual("asset minification is part of the app image's build, not of the stack"),
  "14.7": policy("static-compression"),
};
