// mcp-remote as Claude Desktop runs it: a stdio MCP server process that proxies to our remote
// server, signs in by opening the system browser (here: $BROWSER → headless Chromium that signs
// in and clicks Allow), and then relays JSON-RPC from stdin to the server and back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserCommand } from './support/browser.ts';
import { freePort, type RunningServer, startServer } from './support/server.ts';
import { spawnStdioPeer } from './support/stdio.ts';

const PROXY = resolve('node_modules/mcp-remote/dist/proxy.js');
const BIN = resolve('node_modules/.bin');

let server: RunningServer;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

interface ProxyRun {
  /** The path on our server, e.g. /mcp. */
  path: string;
  extraArgs: string[];
  email: string;
  /** The transport mcp-remote reports once connected. */
  transportName: string;
}

async function runLikeClaudeDesktop({ path, extraArgs, email, transportName }: ProxyRun) {
  const configDir = mkdtempSync(join(tmpdir(), 'e2e-mcp-remote-'));
  const browser = browserCommand({ email, label: `mcp-remote${path.replaceAll('/', '-')}` });
  const callbackPort = await freePort();
  const proxy = spawnStdioPeer(
    process.execPath,
    [PROXY, `${server.url}${path}`, String(callbackPort), '--host', '127.0.0.1', ...extraArgs],
    {
      ...process.env,
      ...browser.env,
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      MCP_REMOTE_CONFIG_DIR: configDir,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
    },
  );
  try {
    // Signing in happens before the proxy serves stdin: wait for it, with time for Chromium.
    await proxy.waitForStderr('Proxy established successfully', 150_000);
    assert.match(proxy.stderr(), new RegExp(`remote ${transportName}`));

    const reports = await browser.waitForReports(1, 60_000);
    assert.equal(reports.length, 1, `one sign-in in the browser: ${JSON.stringify(reports)}`);
    const [report] = reports;
    assert.ok(report?.ok, `the browser helper signed in and allowed: ${report?.error}`);
    assert.match(report.consentHeading ?? '', /^Allow .+ to use this server as you\?$/);
    const callback = new URL(report.callbackUrl ?? '');
    assert.equal(callback.origin, `http://127.0.0.1:${callbackPort}`);
    assert.ok(callback.searchParams.get('code'), 'the callback carried a code');

    const initialized = await proxy.initialize(60_000);
    assert.equal((initialized.serverInfo as { name?: string } | undefined)?.name, 'remote-mcp-server');

    const listed = await proxy.request('tools/list', {}, 60_000);
    assert.equal(listed.error, undefined, JSON.stringify(listed.error));
    const names = ((listed.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
    assert.ok(names.includes('add') && names.includes('whoami'), `tools/list: ${names.join(', ')}`);

    const called = await proxy.request('tools/call', { name: 'add', arguments: { a: 23, b: 19 } }, 60_000);
    assert.equal(called.error, undefined, JSON.stringify(called.error));
    assert.deepEqual(called.result?.content, [{ type: 'text', text: '42' }]);

    const me = await proxy.request('tools/call', { name: 'whoami', arguments: {} }, 60_000);
    assert.match(JSON.stringify(me.result?.content), new RegExp(email));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- mcp-remote stderr ---\n${proxy.stderr()}`, { cause: error });
  } finally {
    await proxy.stop();
    await browser.cleanup();
    rmSync(configDir, { recursive: true, force: true });
  }
}

describe('mcp-remote (the Claude Desktop shape) with sign-in in Chromium', { timeout: 240_000 }, () => {
  test('Streamable HTTP on /mcp: initialize, tools/list, add 23 + 19 = 42', async () => {
    await runLikeClaudeDesktop({
      path: '/mcp',
      extraArgs: [],
      email: 'desktop-http@example.com',
      transportName: 'StreamableHTTPClientTransport',
    });
  });

  test('the old HTTP+SSE transport on /sse (--transport sse-only): add 23 + 19 = 42', async () => {
    await runLikeClaudeDesktop({
      path: '/sse',
      extraArgs: ['--transport', 'sse-only'],
      email: 'desktop-sse@example.com',
      transportName: 'SSEClientTransport',
    });
  });
});
