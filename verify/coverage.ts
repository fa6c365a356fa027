// What verify does not check among the items only a running stack can prove, and why: the joined
// checklist report shows them as manual with this reason.
export const NOT_VERIFIED: Readonly<Record<string, string>> = {
  "5.5": "sending a test email reaches people outside the stack: run `manage.py sendtestemail <ops address>` in the web container and check SPF/DKIM/DMARC pass at the receiver",
  "6.5": "an upload, download and delete with each bucket key writes to R2 and B2: done by hand (or by the app's own smoke test)",
  "7.2": "authenticating against Twilio's API needs the internet and spends nothing, but verify talks only to the stack",
  "7.4": "whether the Stripe keys authenticate is Stripe's to answer (its API, with the live secret key)",
  "7.5": "the webhook endpoint is registered in Stripe's dashboard, outside the stack",
  "P.9": "email delivery is seen at the receiver, outside the stack",
  "P.10": "a file upload writes to media storage: the app's smoke test",
  "P.15": "latency is judged over time by the latency alert rules in Prometheus (the prometheus check proves they are loaded)",
  "P.16": "Sentry's view of the release is in Sentry, outside the stack",
};
