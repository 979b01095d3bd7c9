// The background half of browser-open.mjs: signs in and answers the consent page for one URL in
// headless Chromium, then writes a report to $E2E_BROWSER_DIR/report-<pid>.json for the test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizeInBrowser, type Decision, type HelperReport } from './browser.ts';

const HELPER_TIMEOUT_MS = 120_000;

const url = process.argv[2] ?? '';
const dir = process.env.E2E_BROWSER_DIR;
const report: HelperReport = { pid: process.pid, url, ok: false };
const watchdog = setTimeout(() => {
  report.error = `browser helper gave up after ${HELPER_TIMEOUT_MS / 1000} s`;
  finish(1);
}, HELPER_TIMEOUT_MS);

function finish(code: number): never {
  if (dir) writeFileSync(join(dir, `report-${process.pid}.json`), JSON.stringify(report));
  process.exit(code);
}

try {
  const result = await authorizeInBrowser(url, {
    email: process.env.E2E_BROWSER_EMAIL ?? 'ada@example.com',
    decision: (process.env.E2E_BROWSER_DECISION as Decision | undefined) ?? 'allow',
    label: process.env.E2E_BROWSER_LABEL ?? 'browser-helper',
    profileParent: dir, // removed with the state directory even if this helper is killed
    upstream: process.env.E2E_BROWSER_UPSTREAM ? JSON.parse(process.env.E2E_BROWSER_UPSTREAM) : undefined,
  });
  report.ok = true;
  report.callbackUrl = result.callbackUrl.href;
  report.consentHeading = result.consentHeading;
} catch (error) {
  report.error = error instanceof Error ? error.message : String(error);
  console.error(error);
}
clearTimeout(watchdog);
finish(report.ok ? 0 : 1);
