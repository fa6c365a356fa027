// The report as JSON (the VerifyReport shape of verify/report.ts).
import type { VerifyReport } from "../report";

export const renderJson = (report: VerifyReport): string => `${JSON.stringify(report, null, 2)}\n`;
