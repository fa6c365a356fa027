// The report as JSON; its shape is check/report-schema.json.
import type { Report } from "../report";

export const renderJson = (report: Report): string =>
  `${JSON.stringify({ $schema: "./check/report-schema.json", ...report }, null, 2)}\n`;
