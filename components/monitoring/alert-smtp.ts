// The SMTP relay Alertmanager mails alerts through, derived from the shop's email provider so alert
// mail needs no second mail account. Pure: config in, settings out.
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";

export interface AlertSmtp {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly username?: string;
  readonly password?: pulumi.Input<string>;
}

export function alertSmtp(config: StackConfig): AlertSmtp {
  const { email, secrets } = config;
  const from = email.fromAddress;
  switch (email.provider) {
    case "sendgrid":
      // SendGrid's SMTP relay takes the literal user "apikey" and the API key as password.
      return { host: "smtp.sendgrid.net", port: 587, from, username: "apikey", password: secrets.emailApiKey };
    case "mailgun":
      return { host: "smtp.mailgun.org", port: 587, from, username: `postmaster@${email.mailgunDomain ?? config.domain}`, password: secrets.smtpAlertPassword };
    case "ses":
      return { host: `email-smtp.${email.sesRegion ?? "us-east-1"}.amazonaws.com`, port: 587, from, username: email.sesAccessKeyId, password: secrets.smtpAlertPassword };
    case "smtp":
      return { host: email.smtpHost ?? "localhost", port: email.smtpPort, from, username: email.smtpUser, password: secrets.smtpPassword };
  }
}
