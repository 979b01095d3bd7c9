// `npm run bench -- --quick` as a smoke test of the harness (issue 15): it runs to the end and
// prints every target row with pass or FAIL. It asserts no figure: timing is not a test, and a
// quick run on a shared machine is too short to judge one (a FAIL row does not fail this test).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The rows of the bench's table that carry a target of issue 15, as `npm run bench` names them. */
const TARGET_ROWS = [
  'ours vs floor: 2026-07-28 c=8 throughput',
  'ours vs floor: 2026-07-28 c=32 throughput',
  'ours vs floor: 2025-era c=8 throughput',
  'ours vs floor: 2025-era c=32 throughput',
  '2025-era vs 2026-07-28 c=8 throughput (ours)',
  '2025-era vs 2026-07-28 c=32 throughput (ours)',
  'ours vs floor: 2026-07-28 c=8 p50',
  'ours vs floor: 2025-era c=8 p50',
  'ours vs floor: 2026-07-28 c=8 Worker thread CPU/request',
  'ours vs floor: 2025-era c=8 Worker thread CPU/request',
  'OAuth flow, 0 earlier grants (trivial: 4 requests)',
  'OAuth flow, 50 earlier grants (trivial: 4 requests)',
  'OAuth flow, 50 vs 0 earlier grants (flat)',
  'bundle gzip',
  'start-up to first answer (median of 2)',
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function bench(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // The bench stops its own wrangler processes on SIGTERM.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('npm run bench -- --quick (smoke test)', { timeout: 15 * 60_000 }, () => {
  const results = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  after(() => rmSync(results, { recursive: true, force: true }));

  test('--strict is refused with --quick, before any server starts', async () => {
    const run = await bench(['--quick', '--strict'], 60_000);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--strict judges full runs only/);
  });

  test('a --baseline git cannot resolve is refused, before any server starts', async () => {
    const run = await bench(['--quick', '--baseline', 'no-such-revision-of-this-repository'], 60_000);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--baseline no-such-revision-of-this-repository: git cannot resolve it/);
    assert.doesNotMatch(run.stderr, /wrangler/);
  });

  test('runs to the end, prints every target row with pass or FAIL, exits 0 even on FAIL', async () => {
    const run = await bench(['--quick', '--results', results], 14 * 60_000);
    assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stderr.slice(-4000)}`);
    // | figure | ours | trivial | ratio | target | result |
    const table = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('| '))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    for (const figure of TARGET_ROWS) {
      const row = table.find((cells) => cells[1] === figure);
      assert.ok(row, `row "${figure}" in the table:\n${run.stdout}`);
      assert.match(row[6] ?? '', /^(pass|FAIL)$/, `row "${figure}" judged: ${row.join(' | ')}`);
    }
    const files = readdirSync(results).filter((name) => name.endsWith('.json'));
    assert.equal(files.length, 1, 'one results file');
    const result = JSON.parse(readFileSync(join(results, files[0] ?? ''), 'utf8'));
    const judged = result.summary.filter((row: { target?: string }) => row.target !== undefined);
    assert.deepEqual(
      judged.map((row: { figure: string }) => row.figure.trim()).sort(),
      [...TARGET_ROWS].sort(),
      'exactly the target rows carry a target',
    );
    for (const row of judged) assert.equal(typeof row.pass, 'boolean', row.figure);
  });
});
