import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type BearerProxy,
  type Check,
  CONFORMANCE_CLI,
  check,
  type Exception,
  judge,
  listedScenarios,
  PASSING_DETAILS_2025,
  readResults,
  runConformance,
  startBearerProxy,
} from './support/conformance.ts';
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

const OUTPUT_DIR = join(process.cwd(), 'test-results/conformance');

const EXCEPTIONS: Record<string, Exception> = {
  'server-sse-polling': {
    outcome: 'WARNING',
    reason:
      'the suite is inconsistent: its client negotiates 2025-11-25 in initialize, then posts the call with MCP-Protocol-Version 2025-03-26, a revision whose SSE cannot carry the empty priming event (it needs 2025-11-25), so the SDK transport rightly sends no priming event and no retry field; the session, its event ids and the resumable stream are there (test/sessions.test.ts resumes with Last-Event-ID)',
    verify(checks) {
      assert.ok(!checks.some((c) => c.id === 'server-sse-polling-session'), 'no session was given');
      assert.equal(check(checks, 'server-sse-priming-event').status, 'WARNING');
      assert.equal(check(checks, 'server-sse-retry-field').status, 'WARNING');
      // The tool's answer still arrives, on the stream of its own POST.
      const resume = check(checks, 'server-sse-disconnect-resume');
      assert.equal(resume.status, 'INFO');
      assert.equal(resume.details?.receivedToolResponse, true);
      assert.ok(!checks.some((c) => c.status === 'FAILURE'), 'a check failed');
    },
  },
};

const scenarios = listedScenarios(CONFORMANCE_CLI);

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
    suiteOutput = await runConformance(
      CONFORMANCE_CLI,
      ['server', '--url', `${proxy.origin}/mcp`, '--suite', 'all'],
      OUTPUT_DIR,
    );
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
    test(title, () => judge(scenario, results.get(scenario), exception, PASSING_DETAILS_2025[scenario]));
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
