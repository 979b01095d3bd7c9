// The MCP Inspector CLI against `wrangler dev`, with a token it is handed (its interactive OAuth
// needs a TTY): both protocol eras, and what it says without a valid token.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

const BIN = resolve('node_modules/.bin');

let server: RunningServer;
let home: string;
let token: string;

before(async () => {
  server = await startServer();
  home = mkdtempSync(join(tmpdir(), 'e2e-inspector-home-'));
  token = (await obtainAccessToken(server.url, { email: 'inspector-user@example.com' })).accessToken;
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: { result?: Record<string, unknown>; error?: { code?: string; message?: string } };
}

/** `npx @modelcontextprotocol/inspector --cli …` with a throwaway HOME; never throws on exit codes. */
function inspector(args: string[]): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    execFile(
      'npx',
      ['--no-install', '@modelcontextprotocol/inspector', '--cli', ...args, '--format', 'json'],
      {
        env: {
          ...process.env,
          PATH: `${BIN}:${process.env.PATH ?? ''}`,
          HOME: home,
          npm_config_update_notifier: 'false',
          NO_COLOR: '1',
        },
        timeout: 90_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const text = stdout.trim() || stderr.trim().split('\n').at(-1) || '{}';
        let json: CliRun['json'] = {};
        try {
          json = JSON.parse(text) as CliRun['json'];
        } catch {}
        resolvePromise({ code, stdout, stderr, json });
      },
    );
  });
}

function addWith(bearer: string | undefined, era: 'legacy' | 'modern'): Promise<CliRun> {
  return inspector([
    `${server.url}/mcp`,
    '--transport',
    'http',
    ...(bearer === undefined ? [] : ['--header', `Authorization: Bearer ${bearer}`]),
    '--protocol-era',
    era,
    '--method',
    'tools/call',
    '--tool-name',
    'add',
    '--tool-arg',
    'a=23',
    '--tool-arg',
    'b=19',
  ]);
}

const explain = (run: CliRun) => `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;

describe('MCP Inspector CLI with a bearer token', { timeout: 240_000 }, () => {
  test('--protocol-era legacy (2025 initialize): add 23 + 19 = 42', async () => {
    const run = await addWith(token, 'legacy');
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(run.json.result?.content, [{ type: 'text', text: '42' }], explain(run));
    assert.deepEqual(run.json.result?.structuredContent, { sum: 42 });
    assert.equal(run.json.result?._meta, undefined, 'a 2025 answer carries no per-request envelope');
  });

  test('--protocol-era modern (2026-07-28): add 23 + 19 = 42', async () => {
    const run = await addWith(token, 'modern');
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(run.json.result?.content, [{ type: 'text', text: '42' }], explain(run));
    const meta = run.json.result?._meta as Record<string, { name?: string }> | undefined;
    assert.equal(meta?.['io.modelcontextprotocol/serverInfo']?.name, 'remote-mcp-server', explain(run));
  });

  test('tools/list in both eras lists every tool, the notes tools included', async () => {
    for (const era of ['legacy', 'modern']) {
      const run = await inspector([
        `${server.url}/mcp`,
        '--transport',
        'http',
        '--header',
        `Authorization: Bearer ${token}`,
        '--protocol-era',
        era,
        '--method',
        'tools/list',
      ]);
      assert.equal(run.code, 0, explain(run));
      const names = ((run.json.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
      assert.deepEqual(
        names.sort(),
        [
          'add',
          'notes_access',
          'notes_create',
          'notes_delete',
          'notes_export',
          'notes_get',
          'notes_list',
          'notes_search',
          'notes_update',
          'whoami',
        ],
        `${era}: ${explain(run)}`,
      );
    }
  });

  test('without a token, or with a forged one, the CLI reports that auth is required', async () => {
    for (const bearer of [undefined, `${token.slice(0, -4)}AAAA`]) {
      const run = await addWith(bearer, 'legacy');
      assert.equal(run.code, 3, explain(run));
      assert.equal(run.json.error?.code, 'auth_required', explain(run));
    }
  });
});
