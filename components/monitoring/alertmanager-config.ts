// alertmanager.yml for jewelry-shop. Secrets are referenced by file path only (mounted next to
// the config): Debian's Alertmanager 0.25 accepts smtp_auth_password_file, slack api_url_file and
// PagerDuty routing_key_file, but not webhook url_file (0.26+), so paging is Slack or PagerDuty.
import type { Severity } from "./alert-rules";
import { assertDuration, toYamlText } from "./yaml-text";

export type PagingReceiver =
  | { kind: "slack"; /** file holding the incoming-webhook URL */ apiUrlFile: string; channel: string }
  | { kind: "pagerduty"; /** file holding the Events API v2 routing key */ routingKeyFile: string };

export interface SmtpSettings {
  /** host:port of the SMTP relay, e.g. "smtp.sendgrid.net:587". */
  smarthost: string;
  from: string;
  /** Omitted (with authPasswordFile) for a relay that needs no login. */
  authUsername?: string;
  /** file holding the SMTP password; set together with authUsername. */
  authPasswordFile?: string;
  /** STARTTLS is required unless explicitly disabled. */
  requireTls?: boolean;
}

export interface AlertmanagerConfigArgs {
  smtp: SmtpSettings;
  /** Recipients of every alert. */
  emailTo: readonly string[];
  /** Where critical alerts page someone. */
  paging: PagingReceiver;
  /** Optional chat channel that also receives warnings. */
  warningSlack?: { apiUrlFile: string; channel: string };
  groupBy?: readonly string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** Critical alerts repeat sooner than warnings. */
  criticalRepeatInterval?: string;
}

/** As AlertmanagerConfigArgs, but without a pager critical alerts go by email only (stack config pager "none"). */
export type AlertmanagerConfigInput = Omit<AlertmanagerConfigArgs, "paging"> & { paging?: PagingReceiver };

/** Receiver names, stable so that amtool tests and policies can refer to them. */
export const ALERT_RECEIVERS = { email: "email", pager: "pager", warningSlack: "slack-warnings" } as const;

/** Receivers an alert of `severity` reaches, in routing order. */
export function receiversFor(args: AlertmanagerConfigInput, severity: Severity): string[] {
  if (severity === "critical") return args.paging ? [ALERT_RECEIVERS.pager, ALERT_RECEIVERS.email] : [ALERT_RECEIVERS.email];
  return args.warningSlack ? [ALERT_RECEIVERS.warningSlack, ALERT_RECEIVERS.email] : [ALERT_RECEIVERS.email];
}

function pagerReceiver(paging: PagingReceiver): object {
  if (paging.kind === "slack") {
    return {
      name: ALERT_RECEIVERS.pager,
      slack_configs: [{ api_url_file: paging.apiUrlFile, channel: paging.channel, send_resolved: true }],
    };
  }
  return {
    name: ALERT_RECEIVERS.pager,
    pagerduty_configs: [{ routing_key_file: paging.routingKeyFile, send_resolved: true }],
  };
}

function assertAbsolute(what: string, path: string): void {
  if (!path.startsWith("/")) throw new Error(`${what} must be an absolute path inside the container, got "${path}"`);
}

export function renderAlertmanagerConfig(args: AlertmanagerConfigInput): string {
  const timing = {
    groupWait: args.groupWait ?? "30s",
    groupInterval: args.groupInterval ?? "5m",
    repeatInterval: args.repeatInterval ?? "12h",
    criticalRepeatInterval: args.criticalRepeatInterval ?? "1h",
  };
  for (const [key, value] of Object.entries(timing)) assertDuration(key, value);
  if (args.emailTo.length === 0) throw new Error("emailTo must list at least one recipient");
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(args.smtp.smarthost)) throw new Error(`smtp.smarthost must be host:port, got "${args.smtp.smarthost}"`);
  if ((args.smtp.authUsername === undefined) !== (args.smtp.authPasswordFile === undefined)) {
    throw new Error("smtp.authUsername and smtp.authPasswordFile must be set together");
  }
  if (args.smtp.authPasswordFile !== undefined) assertAbsolute("smtp.authPasswordFile", args.smtp.authPasswordFile);
  if (args.paging?.kind === "slack") assertAbsolute("paging.apiUrlFile", args.paging.apiUrlFile);
  else if (args.paging?.kind === "pagerduty") assertAbsolute("paging.routingKeyFile", args.paging.routingKeyFile);
  if (args.warningSlack) assertAbsolute("warningSlack.apiUrlFile", args.warningSlack.apiUrlFile);

  const warningRoutes = args.warningSlack
    ? [{ matchers: ['severity="warning"'], receiver: ALERT_RECEIVERS.warningSlack, continue: true }]
    : [];

  return toYamlText({
    global: {
      resolve_timeout: "5m",
      smtp_smarthost: args.smtp.smarthost,
      smtp_from: args.smtp.from,
      ...(args.smtp.authUsername !== undefined
        ? { smtp_auth_username: args.smtp.authUsername, smtp_auth_password_file: args.smtp.authPasswordFile }
        : {}),
      smtp_require_tls: args.smtp.requireTls ?? true,
    },
    route: {
      // Anything without a known severity still reaches a human by email.
      receiver: ALERT_RECEIVERS.email,
      group_by: args.groupBy ?? ["alertname", "severity"],
      group_wait: timing.groupWait,
      group_interval: timing.groupInterval,
      repeat_interval: timing.repeatInterval,
      routes: [
        // continue: the critical alert also falls through to the email route below.
        ...(args.paging
          ? [{ matchers: ['severity="critical"'], receiver: ALERT_RECEIVERS.pager, repeat_interval: timing.criticalRepeatInterval, continue: true }]
          : []),
        ...warningRoutes,
        { matchers: ['severity=~"critical|warning"'], receiver: ALERT_RECEIVERS.email },
      ],
    },
    inhibit_rules: [
      // A page for a problem makes the matching warning noise.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "instance"] },
    ],
    receivers: [
      { name: ALERT_RECEIVERS.email, email_configs: [{ to: args.emailTo.join(", "), send_resolved: true }] },
      ...(args.paging ? [pagerReceiver(args.paging)] : []),
      ...(args.warningSlack
        ? [{
            name: ALERT_RECEIVERS.warningSlack,
            slack_configs: [{ api_url_file: args.warningSlack.apiUrlFile, channel: args.warningSlack.channel, send_resolved: true }],
          }]
        : []),
    ],
  });
}
