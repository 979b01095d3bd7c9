#!/usr/bin/env node
// A `$BROWSER` for mcp-remote that opens nothing: it writes the URL to a file in $E2E_OPENED_DIR
// and exits 0 at once, as a browser launcher does. The test then opens the URL in its own
// Chromium, the one where the user is already signed in (test/e2e/account.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const url = process.argv[2];
const dir = process.env.E2E_OPENED_DIR;
if (!url || !dir) {
  console.error('usage: E2E_OPENED_DIR=DIR record-url.mjs URL');
  process.exit(2);
}
writeFileSync(join(dir, `${Date.now()}-${process.pid}.url`), url);
process.exit(0);
