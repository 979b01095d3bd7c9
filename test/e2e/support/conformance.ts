import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * What the conformance tests share (test/e2e/conformance.test.ts runs
 * @modelcontextprotocol/conformance 0.1.16, test/e2e/conformance-alpha.test.ts 0.2.0-alpha.12):
 * running the suite's CLI, reading its `checks.json`, the proxy that adds the bearer token the
 * suite cannot send, and the rules that judge a scenario (docs/conformance.md).
 */

/** The stable suite and the alpha (installed under an alias, see package.json). */
export const CONFORMANCE_CLI = join(
  process.cwd(),
  'node_modules/@modelcontextprotocol/conformance/dist/index.js',
);
export const CONFORMANCE_ALPHA_CLI = join(
  process.cwd(),
  'node_modules/@modelcontextprotocol/conformance-alpha/dist/index.js',
);

export type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export interface Check {
  id: string;
  status: Status;
  errorMessage?: string;
  details?: Record<string, unknown> | null;
}

export interface ToolResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
}

export type Outcome = 'FAILURE' | 'WARNING' | 'SUCCESS' | 'NONE';

/**
 * A scenario's outcome: FAILURE if any check failed, WARNING if any warned, SUCCESS if at least
 * one check succeeded, and NONE when it only reported information or skipped (nothing was tested).
 */
export function outcome(checks: Check[]): Outcome {
  if (checks.some((check) => check.status === 'FAILURE')) return 'FAILURE';
  if (checks.some((check) => check.status === 'WARNING')) return 'WARNING';
  return checks.some((check) => check.status === 'SUCCESS') ? 'SUCCESS' : 'NONE';
}

export function check(checks: Check[], id: string): Check {
  const found = checks.find((candidate) => candidate.id === id);
  assert.ok(found, `no check ${id} in ${JSON.stringify(checks.map((c) => c.id))}`);
  return found;
}

export function toolResult(check: Check): ToolResult {
  const result = check.details?.result as ToolResult | undefined;
  assert.ok(result, `check ${check.id} has no result in its details`);
  return result;
}

export function firstText(result: ToolResult): string {
  return result.content?.find((item) => item.type === 'text')?.text ?? '';
}

export function summary(checks: Check[]): string {
  return JSON.stringify(
    checks.map(({ id, status, errorMessage }) => ({ id, status, errorMessage })),
    null,
    1,
  );
}

/** A scenario this server does not pass (yet), with the reason docs/conformance.md gives. */
export interface Exception {
  outcome: Exclude<Outcome, 'SUCCESS'>;
  /** Why (the same words as docs/conformance.md). */
  reason: string;
  /** Asserts the checks show exactly that reason, not another failure. */
  verify: (checks: Check[]) => void;
}

/** The alpha suite validates every message against the wire schema; that check must pass. */
const WIRE_SCHEMA_CHECK = 'wire-schema-valid';

function withoutWireSchema(checks: Check[]): Check[] {
  for (const wire of checks.filter((c) => c.id === WIRE_SCHEMA_CHECK)) assert.equal(wire.status, 'SUCCESS');
  return checks.filter((c) => c.id !== WIRE_SCHEMA_CHECK);
}

/**
 * For a scenario that fails because what it tests is not built yet: the checks that do not
 * succeed are exactly these, with these statuses (so it fails the test when any of them starts
 * passing, or another one fails).
 */
export function notSucceeding(expected: Record<string, Status>) {
  return (checks: Check[]) => {
    const actual = Object.fromEntries(
      withoutWireSchema(checks)
        .filter((c) => c.status !== 'SUCCESS')
        .map((c) => [c.id, c.status]),
    );
    assert.deepEqual(actual, expected, summary(checks));
  };
}

/**
 * Judges one scenario: an exception has exactly its outcome and reason; any other scenario
 * passes (no FAILURE, no WARNING, at least one SUCCESS), on no `isError` tool result but the one
 * `tools-call-error` expects (several checks accept `isError`, which is also what an unknown tool
 * returns: /work/shared/CLIENTS.md), and with `details` checked where given.
 */
export function judge(
  scenario: string,
  checks: Check[] | undefined,
  exception: Exception | undefined,
  details?: (checks: Check[]) => void,
): void {
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
  details?.(checks);
}

/** Extra checks for scenarios of the 2025 revisions that pass (the same in both suite versions). */
export const PASSING_DETAILS_2025: Record<string, (checks: Check[]) => void> = {
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

/** Every server scenario `conformance list --server [extra…]` prints. */
export function listedScenarios(cli: string, extra: string[] = []): string[] {
  const listing = execFileSync(process.execPath, [cli, 'list', '--server', ...extra], { encoding: 'utf8' });
  return [...listing.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] ?? '');
}

/** The scenarios a run set out to run, from its output (`=== Running scenario: NAME ===`). */
export function scenariosRun(output: string): string[] {
  return [...output.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((match) => match[1] ?? '');
}

/** Runs the suite's CLI; exit 1 ("some check failed") is expected with exceptions: judge checks.json. */
export function runConformance(cli: string, args: string[], outputDir: string): Promise<string> {
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, ...args, '-o', outputDir],
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error && error.code !== 1)
          reject(new Error(`conformance failed to run: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** checks.json of every scenario, from `DIR/<kind>-<scenario>-<timestamp>/` (kind: server, …). */
export function readResults(outputDir: string, kind = 'server'): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  const pattern = new RegExp(`^${kind}-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$`);
  for (const entry of readdirSync(outputDir)) {
    const scenario = pattern.exec(entry)?.[1];
    const file = join(outputDir, entry, 'checks.json');
    if (!scenario || !existsSync(file)) continue;
    results.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return results;
}

/** A loopback proxy that adds the bearer token and passes everything else through (Host included). */
export interface BearerProxy {
  origin: string;
  setToken: (token: string) => void;
  close: () => Promise<void>;
}

export async function startBearerProxy(targetPort: number): Promise<BearerProxy> {
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
