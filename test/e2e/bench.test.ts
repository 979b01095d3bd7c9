// `npm run bench -- --quick` as a smoke test of the harness (issue 15): it runs to the end and
// prints every target row with pass or FAIL. It asserts no figure: timing is not a test, and a
// quick run on a shared machine is too short to judge one (a FAIL row does not fail this test).
// `npm run profile` with a few requests: it prints the table of parts and writes its files; no
// time or share is asserted either.
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

/** The floor's own era ratio, measured in the same slices as ours': context for the era rows, not judged. */
const FLOOR_ERA_ROWS = [
  'floor: 2025-era vs 2026-07-28 c=8 throughput',
  'floor: 2025-era vs 2026-07-28 c=32 throughput',
];

/** The rows `--without-assets` adds: our Worker without static assets against the floor. */
const WITHOUT_ASSETS_ROWS = [
  'without static assets vs floor: 2026-07-28 c=8 throughput',
  'without static assets vs floor: 2026-07-28 c=8 p50',
  'without static assets vs floor: 2026-07-28 c=8 Worker thread CPU/request',
  'static-file router (ours − without static assets): 2026-07-28 c=8 Worker thread CPU/request',
  'without static assets vs floor: 2026-07-28 c=32 throughput',
  'without static assets vs floor: 2025-era c=8 throughput',
  'without static assets vs floor: 2025-era c=8 p50',
  'without static assets vs floor: 2025-era c=8 Worker thread CPU/request',
  'static-file router (ours − without static assets): 2025-era c=8 Worker thread CPU/request',
  'without static assets vs floor: 2025-era c=32 throughput',
];

/** Processes whose command line is a wrangler of the bench (its trivial, floor or own config). */
function benchWranglers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (
      /wrangler/.test(cmdline) &&
      /bench\/(trivial|floor)\/wrangler\.jsonc|bench-wrangler(-without-assets)?\.json/.test(cmdline)
    )
      found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** The rows of the markdown tables a bench script printed, each as its trimmed cells. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.split('|').map((cell) => cell.trim()));
}

/**
 * The cells of the row named `name` in `table` (the tables of `stdout`, {@link tableRows}); fails
 * the test, showing the whole output, when there is none.
 */
function rowNamed(table: string[][], name: string, stdout: string): string[] {
  const row = table.find((cells) => cells[1] === name);
  assert.ok(row, `row "${name}" in the table:\n${stdout}`);
  return row;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a bench script to its end (or SIGTERM after `timeoutMs`). With `interruptOn`, SIGTERM is
 * sent 300 ms after stderr first matches it, as a user's Ctrl-C at that moment.
 */
function bench(
  args: string[],
  timeoutMs: number,
  script = 'bench/run.mjs',
  interruptOn?: RegExp,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    let interrupting = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (interruptOn && !interrupting && interruptOn.test(stderr)) {
        interrupting = true;
        setTimeout(() => child.kill('SIGTERM'), 300);
      }
    });
    // The bench and the profile stop their own wrangler processes on SIGTERM.
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

  test('--slices outside 1 to 20 is refused, before any server starts', async () => {
    const run = await bench(['--quick', '--slices', '0'], 60_000);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--slices must be 1 to 20/);
  });

  test('a --baseline git cannot resolve is refused, before any server starts', async () => {
    const run = await bench(['--quick', '--baseline', 'no-such-revision-of-this-repository'], 60_000);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--baseline no-such-revision-of-this-repository: git cannot resolve it/);
    assert.doesNotMatch(run.stderr, /wrangler/);
  });

  test('interrupted while a Worker is starting, it leaves no wrangler behind', async () => {
    // The first Worker of the round is spawned, not yet answering: the interruption's moment.
    const run = await bench(
      ['--quick', '--results', results],
      3 * 60_000,
      'bench/run.mjs',
      /starting the Workers/,
    );
    assert.equal(run.status, 130, run.stderr);
    assert.match(run.stderr, /starting the Workers/);
    assert.deepEqual(benchWranglers(), [], 'no wrangler of the bench still running');
  });

  test('runs to the end, prints every target row with pass or FAIL, exits 0 even on FAIL', async () => {
    const run = await bench(['--quick', '--without-assets', '--results', results], 14 * 60_000);
    assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stderr.slice(-4000)}`);
    // | figure | ours | trivial | ratio | target | result |
    const table = tableRows(run.stdout);
    for (const figure of TARGET_ROWS) {
      const row = rowNamed(table, figure, run.stdout);
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
    // A quick run's loads are interleaved in two slices each: ours, the trivial Worker, the floor,
    // and with --without-assets ours without static assets.
    const load = result.rounds[0].mcp['mcp 2026 c=8'];
    for (const worker of ['ours', 'trivial', 'floor', 'withoutAssets']) {
      assert.equal(load[worker]?.slices.length, 2, `${worker}: ${JSON.stringify(load[worker]?.slices)}`);
      assert.ok(load[worker].requests > 0, `${worker} answered`);
    }
    for (const figure of FLOOR_ERA_ROWS) {
      const row = rowNamed(table, figure, run.stdout);
      assert.deepEqual([row[5], row[6]], ['—', ''], `row "${figure}" not judged: ${row.join(' | ')}`);
    }
    // --without-assets: its rows say which target each bears on, and none is judged.
    for (const figure of WITHOUT_ASSETS_ROWS) {
      const row = rowNamed(table, figure, run.stdout);
      assert.equal(row[6], '', `row "${figure}" not judged: ${row.join(' | ')}`);
      assert.match(row[5] ?? '', /^(—|\(.+, not judged\))$/, `row "${figure}" target: ${row.join(' | ')}`);
    }
  });
});

/** The rows of `npm run profile`'s table that every run prints, whatever their figures. */
const PROFILE_ROWS = [
  '@cloudflare/workers-oauth-provider',
  '@modelcontextprotocol/*',
  'zod',
  'hono',
  'oauth4webapi',
  'ours (src/)',
  'rate-limit binding (local)',
  "wrangler's middleware",
  '(program)',
  '(garbage collector)',
  'native/unattributed',
  'busy time (all but idle)',
];

describe('npm run profile (smoke test)', { timeout: 5 * 60_000 }, () => {
  const results = mkdtempSync(join(tmpdir(), 'profile-smoke-'));
  after(() => rmSync(results, { recursive: true, force: true }));

  test('a bad option is refused before any server starts', async () => {
    const run = await bench(['--era', '2024'], 60_000, 'bench/profile.mjs');
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--era must be 2026 or 2025/);
  });

  test('profiles a few calls: the table of parts, our files, the .cpuprofile and the JSON', async () => {
    const json = join(results, 'grouping.json');
    const args = ['--requests', '150', '--warmup', '30', '--results', results, '--json', json];
    const run = await bench(args, 4 * 60_000, 'bench/profile.mjs');
    assert.equal(run.status, 0, `profile exited ${run.status}:\n${run.stderr.slice(-4000)}`);
    // | part | self time | of which native | share of busy time | per request |
    const table = tableRows(run.stdout);
    for (const part of PROFILE_ROWS) {
      const row = rowNamed(table, part, run.stdout);
      assert.match(row[4] ?? '', /%$/, `row "${part}" has a share: ${row.join(' | ')}`);
    }
    assert.ok(
      table.some((cells) => cells[1]?.startsWith('src/')),
      `our files under "ours (src/)":\n${run.stdout}`,
    );
    const profiles = readdirSync(results).filter((name) => name.endsWith('.cpuprofile'));
    assert.equal(profiles.length, 1, 'one .cpuprofile');
    const profile = JSON.parse(readFileSync(join(results, profiles[0] ?? ''), 'utf8'));
    assert.ok(Array.isArray(profile.nodes) && profile.samples.length > 0, 'a CPU profile with samples');
    const grouping = JSON.parse(readFileSync(json, 'utf8'));
    assert.ok(grouping.load.requests > 0, 'requests answered');
    assert.ok(
      Object.keys(grouping.ours).every((file) => file.startsWith('src/')),
      'our files by path',
    );
  });

  test('--flows profiles OAuth flows of signed-in users: the same table, per flow', async () => {
    const flows = join(results, 'flows');
    const args = ['--flows', '4', '--warmup', '1', '--interval-us', '200', '--results', flows];
    const run = await bench(args, 4 * 60_000, 'bench/profile.mjs');
    assert.equal(run.status, 0, `profile exited ${run.status}:\n${run.stderr.slice(-4000)}`);
    assert.match(
      run.stdout,
      /\| part +\| self time +\| of which native +\| share of busy time +\| per flow +\|/,
    );
    assert.match(run.stdout, /^4 OAuth flows of signed-in users \(4 requests each\) in /m);
    // A flow's own work is there: the code's redemption object (a fifth of a flow's busy time).
    assert.match(run.stdout, /\| +src\/auth\/code-redemption\.ts +\|/);
    assert.ok(
      readdirSync(flows).some((name) => name.endsWith('.cpuprofile')),
      'a .cpuprofile',
    );
  });
});
