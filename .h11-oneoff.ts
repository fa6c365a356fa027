// One-off (not committed): a read-only verify of a stand-up another test run holds.
import { writeFileSync } from "node:fs";
import { CHECKS } from "./verify/checks";
import { standUp, uploadContent } from "./tests/standup/fixture";
import { failingIds, verifyStandUp } from "./tests/standup/verify-run";
(async () => {
  const info = await standUp();
  const bootstrap = uploadContent(info, "jewelry-nginx", "/etc/nginx/tls/bootstrap/fullchain.pem");
  const only = CHECKS.map((c) => c.name).filter((n) => n !== "rate-limit" && n !== "dns");
  const report = await verifyStandUp(info, { dir: "", certPem: bootstrap }, only);
  writeFileSync("/tmp/h11-live/standup-report.json", JSON.stringify(report, null, 1));
  console.log("duration", report.durationSeconds, JSON.stringify(report.counts), JSON.stringify(report.timings), "failing", failingIds(report).join(" "));
  for (const r of report.results) if (r.verdict !== "pass") console.log(r.verdict, r.check, `[${r.ids.join(",")}]`, r.subject, "::", String(r.evidence).slice(0, 240), r.reason ?? "");
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
