import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, every server scenario)
 * against the conformance build (wrangler.conformance.jsonc: the product plus the suite's
 * fixtures), through a loopback proxy that adds the bearer token the suite cannot send.
 *
 * Every scenario must pass, except the ones listed in EXCEPTIONS (docs/conformance.md explains
 * each). For an exception the test asserts the status it actually has and what its details say,
 * so the list stays honest: a scenario that starts passing, or fails differently, fails here.
 */

const CONFORMANCE_CLI = join(process.cwd(), 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const OUTPUT_DIR = join(process.cwd(), 'test-results/conformance');

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

interface Check {
  id: string;
  status: Status;
  errorMessage?: string;
  details?: Record<string, unknown> | null;
}

interface ToolResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
}

/**
 * A scenario's outcome: FAILURE if any check failed, WARNING if any warned, SUCCESS if at least
 * one check succeeded, and NONE when it only reported information (nothing was tested).
 */
function outcome(checks: Check[]): 'FAILURE' | 'WARNING' | 'SUCCESS' | 'NONE' {
  if (checks.some((check) => check.status === 'FAILURE')) return 'FAILURE';
  if (checks.some((check) => check.status === 'WARNING')) return 'WARNING';
  return checks.some((check) => check.status === 'SUCCESS') ? 'SUCCESS' : 'NONE';
}

function check(checks: Check[], id: string): Check {
  const found = checks.find((candidate) => candidate.id === id);
  assert.ok(found, `no check ${id} in ${JSON.stringify(checks.map((c) => c.id))}`);
  return found;
}

function toolResult(check: Check): ToolResult {
  const result = check.details?.result as ToolResult | undefined;
  assert.ok(result, `check ${check.id} has no result in its details`);
  return result;
}

function firstText(result: ToolResult): string {
  return result.content?.find((item) => item.type === 'text')?.text ?? '';
}

interface Exception {
  outcome: 'FAILURE' | 'WARNING';
  /** Why a stateless server cannot pass it (the same words as docs/conformance.md). */
  reason: string;
  /** Asserts the checks show exactly that reason, not another failure. */
  verify: (checks: Check[]) => void;
}

/** A server-to-client request the fixture tried and could not complete, answered as an error. */
function refusedServerRequest(checkId: string, flag: string, message: RegExp) {
  return (checks: Check[]) => {
    const failed = check(checks, checkId);
    assert.equal(failed.status, 'FAILURE');
    assert.equal(failed.details?.[flag], false, `${checkId}: the client was asked after all`);
    const result = toolResult(failed);
    assert.equal(result.isError, true, `${checkId}: the tool did not report an error`);
    assert.match(firstText(result), message);
  };
}

/** An elicitation scenario whose tool could not ask the client: nothing about the schema was checked. */
function elicitationNotRequested(generalId: string) {
  return (checks: Check[]) => {
    assert.deepEqual(
      checks.map((c) => c.id),
      [generalId],
    );
    assert.equal(check(checks, generalId).errorMessage, 'Server did not request elicitation from client');
  };
}

const STATELESS_SERVER_REQUEST =
  'needs a server-to-client request answered on the same session; this server is stateless (no Mcp-Session-Id), so the answer cannot reach it';

const EXCEPTIONS: Record<string, Exception> = {
  'tools-call-sampling': {
    outcome: 'FAILURE',
    reason: `sampling/createMessage ${STATELESS_SERVER_REQUEST}`,
    verify: refusedServerRequest('tools-call-sampling', 'samplingRequested', /^Sampling is not available: /),
  },
  'tools-call-elicitation': {
    outcome: 'FAILURE',
    reason: `elicitation/create ${STATELESS_SERVER_REQUEST}`,
    verify: refusedServerRequest(
      'tools-call-elicitation',
      'elicitationRequested',
      /^Elicitation is not available: /,
    ),
  },
  'elicitation-sep1034-defaults': {
    outcome: 'FAILURE',
    reason: `elicitation/create ${STATELESS_SERVER_REQUEST}`,
    verify: elicitationNotRequested('elicitation-sep1034-general'),
  },
  'elicitation-sep1330-enums': {
    outcome: 'FAILURE',
    reason: `elicitation/create ${STATELESS_SERVER_REQUEST}`,
    verify: elicitationNotRequested('elicitation-sep1330-general'),
  },
  'server-sse-polling': {
    outcome: 'WARNING',
    reason:
      'SEP-1699 resumption needs a session, event ids and a GET stream to resume on; this server answers each POST on its own stream and has neither',
    verify(checks) {
      assert.equal(check(checks, 'server-sse-polling-session').status, 'WARNING');
      assert.equal(check(checks, 'server-sse-priming-event').status, 'WARNING');
      assert.equal(check(checks, 'server-sse-retry-field').status, 'WARNING');
      // The tool's answer still arrives, on the stream of its own POST.
      const resume = check(checks, 'server-sse-disconnect-resume');
      assert.equal(resume.status, 'INFO');
      assert.equal(resume.details?.receivedToolResponse, true);
      assert.ok(!checks.some((c) => c.status === 'FAILURE'), 'a check failed');
    },
  },
  'server-sse-multiple-streams': {
    outcome: 'WARNING',
    reason: 'the scenario stops before testing anything when the server gives no session id (stateless)',
    verify(checks) {
      assert.deepEqual(
        checks.map((c) => [c.id, c.status]),
        [['server-sse-multiple-streams-session', 'WARNING']],
      );
    },
  },
};

/** Extra checks for scenarios that pass: a passing check can hide an isError answer (CLIENTS.md). */
const PASSING_DETAILS: Record<string, (checks: Check[]) => void> = {
  'tools-list'(checks) {
    const tools = check(checks, 'tools-list').details?.tools as string[];
    for (const name of [
      'add',
      'whoami',
      'test_simple_text',
      'test_error_handling',
      'json_schema_2020_12_tool',
    ]) {
      assert.ok(tools.includes(name), `tools/list lacks ${name}: ${tools.join(', ')}`);
    }
  },
  'tools-call-simple-text'(checks) {
    const result = toolResult(check(checks, 'tools-call-simple-text'));
    assert.equal(firstText(result), 'This is a simple text response for testing.');
  },
  'tools-call-error'(checks) {
    // The fixture's own message proves the tool ran (an unknown tool is an isError result too).
    const result = toolResult(check(checks, 'tools-call-error'));
    assert.equal(firstText(result), 'This tool intentionally returns an error for testing');
  },
  'tools-call-with-logging'(checks) {
    assert.equal(check(checks, 'tools-call-with-logging').details?.logCount, 3);
  },
  'tools-call-with-progress'(checks) {
    const progress = check(checks, 'tools-call-with-progress');
    assert.equal(progress.details?.progressCount, 3);
    assert.notEqual(toolResult(progress).isError, true);
  },
  'completion-complete'(checks) {
    const result = check(checks, 'completion-complete').details?.result as {
      completion: { values: string[] };
    };
    assert.ok(result.completion.values.includes('test'), JSON.stringify(result));
  },
  'resources-templates-read'(checks) {
    assert.match(String(check(checks, 'resources-templates-read').details?.content), /"id":"123"/);
  },
  'dns-rebinding-protection'(checks) {
    const rejected = check(checks, 'localhost-host-rebinding-rejected').details?.statusCode as number;
    assert.ok(rejected >= 400 && rejected < 500, `foreign Host answered ${rejected}`);
    assert.equal(check(checks, 'localhost-host-valid-accepted').details?.statusCode, 200);
  },
};

/** Every server scenario this version of the suite has (`conformance list --server`). */
function listScenarios(): string[] {
  const listing = execFileSync(process.execPath, [CONFORMANCE_CLI, 'list', '--server'], { encoding: 'utf8' });
  return [...listing.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] ?? '');
}

/** A loopback proxy that adds the bearer token and passes everything else through (Host included). */
interface BearerProxy {
  origin: string;
  setToken: (token: string) => void;
  close: () => Promise<void>;
}

async function startBearerProxy(targetPort: number): Promise<BearerProxy> {
  let token: string | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    const headers = { ...incoming.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    const upstream = forward(
      { host: '127.0.0.1', port: targetPort, method: incoming.method, path: incoming.url, headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'Content-Type': 'text/plain' });
      outgoing.end(`proxy: ${error.message}`);
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // localhost, not 127.0.0.1: the dns-rebinding-protection scenario needs a localhost URL.
    origin: `http://localhost:${port}`,
    setToken: (value) => {
      token = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function runSuite(url: string, outputDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CONFORMANCE_CLI, 'server', '--url', url, '--suite', 'all', '-o', outputDir],
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        // Exit 1 means "some check failed", which the exceptions make expected; judge checks.json.
        if (error && error.code !== 1)
          reject(new Error(`conformance failed to run: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** checks.json of every scenario, from `DIR/server-<scenario>-<timestamp>/`. */
function readResults(outputDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(outputDir)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry)?.[1];
    const file = join(outputDir, entry, 'checks.json');
    if (!scenario || !existsSync(file)) continue;
    results.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return results;
}

function summary(checks: Check[]): string {
  return JSON.stringify(
    checks.map(({ id, status, errorMessage }) => ({ id, status, errorMessage })),
    null,
    1,
  );
}

const scenarios = listScenarios();

describe('MCP conformance suite (server scenarios) against the conformance build', () => {
  let server: RunningServer;
  let proxy: BearerProxy;
  let results = new Map<string, Check[]>();
  let suiteOutput = '';

  before(async () => {
    server = await startServer({ config: 'wrangler.conformance.jsonc' });
    proxy = await startBearerProxy(server.port);
    // The token is obtained through the proxy, so it is bound to the origin the suite uses.
    const { accessToken } = await obtainAccessToken(proxy.origin, { email: 'conformance@example.com' });
    proxy.setToken(accessToken);
    rmSync(OUTPUT_DIR, { recursive: true, force: true });
    mkdirSync(OUTPUT_DIR, { recursive: true });
    suiteOutput = await runSuite(`${proxy.origin}/mcp`, OUTPUT_DIR);
    results = readResults(OUTPUT_DIR);
  });

  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  test('the suite ran every server scenario it lists', () => {
    assert.ok(scenarios.length >= 30, `only ${scenarios.length} scenarios listed`);
    const missing = scenarios.filter((scenario) => !results.has(scenario));
    assert.deepEqual(missing, [], `no results for ${missing.join(', ')}\n${suiteOutput.slice(-4000)}`);
  });

  test('every exception names a scenario of this suite', () => {
    const unknown = Object.keys(EXCEPTIONS).filter((scenario) => !scenarios.includes(scenario));
    assert.deepEqual(unknown, []);
  });

  for (const scenario of scenarios) {
    const exception = EXCEPTIONS[scenario];
    const title = exception
      ? `${scenario}: expected ${exception.outcome} (${exception.reason})`
      : `${scenario}: passes`;
    test(title, () => {
      const checks = results.get(scenario);
      assert.ok(checks, `no results for ${scenario}`);
      if (exception) {
        assert.equal(outcome(checks), exception.outcome, summary(checks));
        exception.verify(checks);
        return;
      }
      assert.equal(outcome(checks), 'SUCCESS', summary(checks));
      for (const passed of checks) {
        const result = passed.details?.result as ToolResult | undefined;
        if (result?.isError && scenario !== 'tools-call-error') {
          assert.fail(`${passed.id} passed on an isError result: ${firstText(result)}`);
        }
      }
      PASSING_DETAILS[scenario]?.(checks);
    });
  }

  test('a request from a foreign Origin is refused before it reaches MCP (403)', async () => {
    // The suite's rebinding check sends a foreign Host, which the https-only rule answers (400);
    // this is the Origin half: our own Host, a browser page of another site.
    const response = await fetch(`${proxy.origin}/mcp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Origin: 'http://evil.example.com',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error?: { message?: string } };
    assert.match(body.error?.message ?? '', /origin http:\/\/evil\.example\.com/);
  });
});
