// Runs the MDN HTTP Observatory scan of https://<host>/ and prints grade, score, the headers it
// graded and each test's result as JSON. Called directly (not through the package's bin wrapper,
// which replaces NODE_EXTRA_CA_CERTS), so the test CA stays trusted and TLS verification stays on.
// Usage: node observatory-scan.mjs <host>
import { scan } from "@mdn/mdn-http-observatory";

const result = await scan(process.argv[2]);
const tests = Object.fromEntries(Object.entries(result.tests).map(([name, t]) => [name, { result: t.result, pass: t.pass, scoreModifier: t.scoreModifier }]));
process.stdout.write(`${JSON.stringify({ scan: result.scan, tests })}\n`);
