// `npm run doctor` (scripts/doctor/doctor.ts) as a user runs it, against the real `wrangler dev`:
// a healthy server passes; a server behind a proxy that refuses ChatGPT's Origin, or that blocks
// Claude's User-Agent like bot protection does, fails with the row and the fix that say so; bad
// usage and a server that is down are told apart by the exit code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { CLIENT_PROFILES } from '../../scripts/doctor/profiles.ts';
import { freePort, type RunningServer, startServer } from './support/server.ts';

const DOCTOR = 'scripts/doctor/doctor.ts';

interface Row {
  check: string;
  clients: string;
  result: 'PASS' | 'FAIL' | 'WARN' | 'INFO';
  detail: string;
  fix?: string;
  profile?: string;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the doctor as `npm run doctor -- …` does: the same Node, its own process. */
function doctor(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DOCTOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function doctorRows(...args: string[]): Promise<{ code: number | null; rows: Row[] }> {
  const run = await doctor('--json', ...args);
  assert.equal(run.stderr, '', 'the doctor prints nothing on stderr');
  return { code: run.code, rows: JSON.parse(run.stdout) as Row[] };
}

/** `text` as a regular expression that matches it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first line of a table row: its check, its clients, its result. */
function rowLine(check: string, clients: string, result: Row['result']): RegExp {
  return new RegExp(`^${literal(check)}\\s+${literal(clients)}\\s+${result}\\b`, 'm');
}

/**
 * A server with one broken piece: a loopback proxy in front of `wrangler dev` that answers some
 * requests itself and forwards the rest unchanged, Host included. `wrangler dev` builds the
 * request URL from the Host header, so the server answers as the proxy's origin (metadata,
 * challenge and issuer all name the proxy), exactly as a server deployed behind a CDN would: no
 * rewriting of answers, and every row that the broken piece does not touch still passes.
 */
async function brokenProxy(
  upstreamPort: number,
  intercept: (request: IncomingMessage) => { status: number; type: string; body: string } | null,
): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const proxy: Server = createServer((request, response) => {
    const answer = intercept(request);
    if (answer) {
      request.resume();
      response.writeHead(answer.status, { 'Content-Type': answer.type }).end(answer.body);
      return;
    }
    const upstream = forward(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${port}`,
    close: () => {
      proxy.closeAllConnections();
      return new Promise((resolve) => proxy.close(() => resolve()));
    },
  };
}

let server: RunningServer;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('npm run doctor', { timeout: 120_000 }, () => {
  test('a healthy wrangler dev: exit 0, discovery passes, every DCR client registers and reaches sign-in', async () => {
    const run = await doctor(server.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`^MCP doctor: ${server.url}/mcp$`, 'm'));
    assert.match(run.stdout, rowLine('Transport', 'Claude, ChatGPT', 'INFO'));
    assert.match(run.stdout, /^Transport .* is a loopback host/m);
    for (const check of [
      '401 challenge',
      'Resource metadata',
      'authorization_servers',
      'AS metadata (RFC 8414)',
    ]) {
      assert.match(run.stdout, new RegExp(`^${literal(check)}\\s+all.*\\bPASS\\b`, 'm'));
    }
    assert.match(run.stdout, rowLine('Path-aware metadata', 'Claude', 'PASS'));
    const dcr = CLIENT_PROFILES.filter((profile) => profile.registration.kind === 'dcr');
    const passes = (check: string) =>
      run.stdout.split('\n').filter((line) => line.startsWith(check) && /\sPASS\s/.test(line)).length;
    assert.equal(passes('Registration (DCR)'), dcr.length);
    assert.ok(passes('Authorization request') >= dcr.length);
    assert.match(run.stdout, /^\d+ passed, 0 failed, \d+ warnings$/m);
    assert.match(run.stdout, /no sign-in, no consent, no token/);
    assert.match(run.stdout, new RegExp(`Left on the server: ${dcr.length} client registrations`));
    assert.doesNotMatch(run.stdout, /client_secret"|secret:/i, 'no client secret is printed');

    const { code, rows } = await doctorRows(server.url);
    assert.equal(code, 0);
    assert.deepEqual(
      rows.filter((row) => row.result === 'FAIL'),
      [],
    );
    for (const profile of dcr) {
      const own = rows.filter((row) => row.profile === profile.id);
      assert.deepEqual(
        own.map((row) => [row.check, row.result]),
        [
          ['Registration (DCR)', 'PASS'],
          ['Authorization request', 'PASS'],
        ],
        profile.id,
      );
      assert.equal(own[1]?.detail, '200: Sign in', profile.id);
    }
    // The Client ID Metadata Document clients: the server fetches the document from the internet,
    // which this machine may not reach; then the row says so, and is never a failure.
    for (const profile of CLIENT_PROFILES.filter((candidate) => candidate.registration.kind === 'cimd')) {
      const authorization = rows.find(
        (row) => row.profile === profile.id && row.check === 'Authorization request',
      );
      assert.ok(authorization && ['PASS', 'WARN'].includes(authorization.result), profile.id);
      if (authorization.result === 'WARN')
        assert.match(authorization.detail, /^could not be verified from here/);
    }
  });

  test('--client vscode: only VS Code among the clients, and an MCP URL given with its path', async () => {
    const { code, rows } = await doctorRows('--client', 'vscode', `${server.url}/mcp`);
    assert.equal(code, 0);
    assert.deepEqual(
      rows.filter((row) => row.profile !== undefined).map((row) => [row.profile, row.check, row.result]),
      [
        ['vscode', 'Registration (DCR)', 'PASS'],
        ['vscode', 'Authorization request', 'PASS'],
      ],
    );
    // VS Code sends no Origin and is not a hosted client: no Origin or User-Agent rows of its own.
    assert.equal(rows.filter((row) => /^(Origin|CORS from|User-Agent) /.test(row.check)).length, 0);
  });

  test('a proxy that refuses Origin: https://chatgpt.com: exit 1, ChatGPT fails, the fix names the origin', async () => {
    const proxy = await brokenProxy(server.port, (request) =>
      request.headers.origin === 'https://chatgpt.com'
        ? { status: 403, type: 'application/json', body: '{"error":"Forbidden origin"}' }
        : null,
    );
    try {
      const run = await doctor(proxy.url);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, rowLine('Origin https://chatgpt.com', 'ChatGPT', 'FAIL'));
      assert.match(run.stdout, rowLine('Origin https://claude.ai', 'Claude', 'PASS'));
      assert.match(run.stdout, /^\d+ passed, 1 failed, \d+ warnings$/m);

      const { code, rows } = await doctorRows(proxy.url);
      assert.equal(code, 1);
      const failed = rows.filter((row) => row.result === 'FAIL');
      assert.equal(failed.length, 1, JSON.stringify(failed));
      assert.equal(failed[0]?.clients, 'ChatGPT');
      assert.equal(
        failed[0]?.fix,
        'allow https://chatgpt.com (src/mcp/hosted-origins.ts or ALLOWED_ORIGINS)',
      );
      // Discovery went through the proxy and still passes: the server answered as the proxy's origin.
      assert.equal(rows.find((row) => row.check === 'Resource metadata')?.result, 'PASS');
    } finally {
      await proxy.close();
    }
  });

  test('a proxy that blocks User-Agent: Claude-User with an HTML page: Claude fails with the bot-protection fix', async () => {
    const proxy = await brokenProxy(server.port, (request) =>
      request.headers['user-agent'] === 'Claude-User'
        ? {
            status: 403,
            type: 'text/html',
            body: '<!doctype html><title>Attention Required!</title><h1>Blocked</h1>',
          }
        : null,
    );
    try {
      const run = await doctor(proxy.url);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, rowLine('User-Agent Claude-User', 'Claude', 'FAIL'));
      assert.match(run.stdout, /403 with an HTML page: Claude is\s+blocked/);

      const { rows } = await doctorRows(proxy.url);
      const failed = rows.filter((row) => row.result === 'FAIL');
      assert.deepEqual(
        failed.map((row) => [row.check, row.clients]),
        [['User-Agent Claude-User', 'Claude']],
      );
      assert.equal(
        failed[0]?.fix,
        "turn off Block AI bots / add a WAF skip rule for this hostname's /mcp, /.well-known/* and /oauth/* paths",
      );
    } finally {
      await proxy.close();
    }
  });

  test('no URL: exit 2 with the usage', async () => {
    const run = await doctor();
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^No URL given\.\n\nUsage: npm run doctor -- <url> \[--json\] \[--client <id>\]/,
    );
  });

  test('not a URL, or an unknown client: exit 2', async () => {
    assert.equal((await doctor('localhost:8787')).code, 2);
    const unknown = await doctor('--client', 'nobody', server.url);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No client profile "nobody"/);
  });

  test('a server that is down: exit 1, "could not reach", no crash', async () => {
    const port = await freePort();
    const run = await doctor(`http://localhost:${port}`);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, rowLine('401 challenge', 'all', 'FAIL'));
    assert.match(run.stdout, new RegExp(`could not reach http://localhost:${port}/mcp:`));
    assert.match(run.stdout, /^0 passed, 1 failed, 0 warnings$/m);
  });
});
