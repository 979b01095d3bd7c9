#!/usr/bin/env node
// A `$BROWSER` for mcp-remote in tests. The `open` package's bundled xdg-open runs `$BROWSER <url>`
// when there is no display. This starts a detached background helper that plays the user in
// headless Chromium (browser-helper.ts: sign in, answer the consent page), then exits 0 at once,
// as a real browser launcher does. Plain JavaScript that any Node runs: the shebang may find the
// system Node; the helper itself runs on the project's Node 22 (it strips TypeScript types).
import { spawn } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const url = process.argv[2];
if (!url) {
  console.error('usage: browser-open.mjs URL');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const projectNode = resolve(here, '../../../node_modules/.bin/node');
const node = existsSync(projectNode) ? projectNode : process.execPath;
const stateDir = process.env.E2E_BROWSER_DIR;
const log = stateDir ? openSync(join(stateDir, `helper-${Date.now()}-${process.pid}.log`), 'a') : 'ignore';
const child = spawn(node, [join(here, 'browser-helper.ts'), url], {
  detached: true,
  stdio: ['ignore', log, log],
  env: process.env,
});
if (stateDir && child.pid) writeFileSync(join(stateDir, `pid-${child.pid}`), url);
child.unref();
process.exit(0);
