import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonc } from '../../test/e2e/support/jsonc.ts';
import { freePort } from '../../test/e2e/support/server.ts';

/** The repository root (bench/lib/ is two levels down). */
export const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');

/**
 * The environment for wrangler: node_modules/.bin first on PATH, so the `node` dev dependency
 * (Node 22, which wrangler needs) runs it even when the system Node is older.
 */
export function wranglerEnv() {
  return {
    ...process.env,
    PATH: `${BIN}:${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false',
    CI: 'true',
    NO_COLOR: '1',
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every wrangler this process spawned and has not stopped yet, from the moment it is spawned:
 * {@link runMain} stops them on every way out, also one interrupted while it was still starting
 * (each is in a process group of its own, which would outlive us).
 */
const spawned = new Set();

/**
 * Starts `wrangler dev` for `config` on a free port of 127.0.0.1 with its own fresh state, and
 * waits (polling every 25 ms, at most `timeoutMs`) until `readyPath` answers 200.
 * `startupMs` is the time from spawning wrangler to that first 200. `cwd` is the project wrangler
 * runs in (the repository; the baseline's worktree for `--baseline`).
 */
export async function startWorker({
  name,
  config,
  readyPath,
  extraArgs = [],
  timeoutMs = 120_000,
  cwd = ROOT,
}) {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', stateDir];
  if (config) args.push('--config', config);
  args.push(...extraArgs);
  const spawnedAt = performance.now();
  const child = spawn(join(BIN, 'wrangler'), args, {
    cwd,
    env: wranglerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() ends wrangler and its workerd, and nothing else
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const origin = `http://127.0.0.1:${port}`;

  const worker = {
    name,
    origin,
    port,
    pid: child.pid,
    startupMs: Number.NaN,
    output: () => output,
    /** The workerd processes under this wrangler (via /proc). */
    workerdPids: () => workerdDescendants(child.pid),
    /**
     * The workerd that runs the Worker itself; wrangler dev also runs a small proxy workerd,
     * which owns the public port.
     */
    workerPid() {
      const all = workerdDescendants(child.pid);
      const user = all.find((pid) => !cmdline(pid).includes(`entry=127.0.0.1:${port} `));
      return user ?? all[0];
    },
    /**
     * CPU time so far of each thread of the Worker's workerd (tid → ms). Under `wrangler dev` the
     * Worker's isolate and the local KV and rate-limit services share one event-loop thread of
     * that process; its CPU per request bounds throughput (docs/performance.md).
     */
    threadCpu: () => {
      const pid = worker.workerPid();
      return pid ? threadCpuMs(pid) : new Map();
    },
    /** RSS in bytes of the Worker's workerd and of all workerd of this wrangler. */
    memory() {
      const workerPid = worker.workerPid();
      const pids = worker.workerdPids();
      return {
        workerRss: workerPid ? rssBytes(workerPid) : Number.NaN,
        allWorkerdRss: pids.reduce((sum, pid) => sum + (rssBytes(pid) || 0), 0),
        workerdProcesses: pids.length,
      };
    },
    async stop() {
      spawned.delete(worker);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
        const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!killed) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
          await Promise.race([exited, sleep(2000)]);
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };

  spawned.add(worker);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await worker.stop();
      throw new Error(`wrangler dev (${name}) exited early:\n${output.slice(-4000)}`);
    }
    try {
      const response = await fetch(`${origin}${readyPath}`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) {
        worker.startupMs = performance.now() - spawnedAt;
        // Both workerd processes exist once a request went through; give /proc a moment.
        for (let i = 0; i < 40 && worker.workerdPids().length < 2; i++) await sleep(25);
        return worker;
      }
    } catch {}
    await sleep(25);
  }
  await worker.stop();
  throw new Error(
    `wrangler dev (${name}) did not answer 200 within ${timeoutMs} ms:\n${output.slice(-4000)}`,
  );
}

function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return -1;
  }
}

function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdline(pid) {
  try {
    return `${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')} `;
  } catch {
    return '';
  }
}

/** Pids of every `workerd` process descending from `root`, oldest first. */
export function workerdDescendants(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(pid);
  }
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift();
    for (const child of children.get(pid) ?? []) {
      if (commOf(child) === 'workerd') found.push(child);
      queue.push(child);
    }
  }
  return found.sort((a, b) => a - b);
}

/** Resident set size of a process, in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) of a process (or `PID/task/TID`, a thread) so far, in milliseconds
 * (/proc/…/stat, clock ticks of 10 ms).
 */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) so far of each thread of a process, in ms: tid → ms (/proc/PID/task). */
export function threadCpuMs(pid) {
  const threads = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const ms = cpuMs(`${pid}/task/${tid}`);
    if (Number.isFinite(ms)) threads.set(tid, ms);
  }
  return threads;
}

/**
 * CPU of the busiest thread between two `threadCpuMs` snapshots, in ms: during a load, the
 * thread that runs the Worker's event loop.
 */
export function busiestThreadMs(before, after) {
  let busiest = 0;
  for (const [tid, ms] of after) busiest = Math.max(busiest, ms - (before.get(tid) ?? 0));
  return busiest;
}

/**
 * The product's wrangler.jsonc with its rate limits raised out of the way (the bench makes 200
 * grants and thousands of MCP calls from one address in a minute), written to
 * .wrangler/bench-wrangler.json; returns its path. Everything else is the product's. `root` is the
 * checkout whose wrangler.jsonc it is (the baseline's worktree for `--baseline`, then named
 * `<name>-baseline`). With `withoutAssets` (`--without-assets`), the same Worker without its
 * `assets` (so `wrangler dev` puts no static-file router in front of it), named
 * `<name>-without-assets`, in .wrangler/bench-wrangler-without-assets.json.
 */
export function benchConfig(root = ROOT, { withoutAssets = false } = {}) {
  const source = readFileSync(join(root, 'wrangler.jsonc'), 'utf8');
  const config = parseJsonc(source);
  // Another name for another checkout or variant: two `wrangler dev` of one name would share an
  // entry of wrangler's dev registry.
  if (root !== ROOT) config.name = `${config.name}-baseline`;
  if (withoutAssets) {
    config.name = `${config.name}-without-assets`;
    delete config.assets;
  }
  config.main = '../src/index.ts';
  // Paths in the config are relative to it: this copy lives one folder down.
  if (config.assets?.directory) config.assets.directory = join('..', config.assets.directory);
  delete config.$schema;
  for (const limiter of config.ratelimits ?? []) limiter.simple.limit = 1_000_000;
  mkdirSync(join(root, '.wrangler'), { recursive: true });
  const path = join(root, '.wrangler', `bench-wrangler${withoutAssets ? '-without-assets' : ''}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * Runs a script's `main` (resolving to its exit status) and exits with that status, after
 * `cleanUp` (stopping its wrangler processes) on every way out: done, failed (status 1, the
 * message from `describeError`), or interrupted (SIGINT or SIGTERM: status 130). Any wrangler
 * still running after `cleanUp` (one that was starting when the run was interrupted) is stopped
 * too.
 */
export function runMain(main, cleanUp, describeError) {
  const cleanUpAll = async () => {
    await cleanUp();
    await Promise.all([...spawned].map((worker) => worker.stop().catch(() => {})));
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      cleanUpAll().finally(() => process.exit(130));
    });
  }
  main()
    .then(async (status) => {
      await cleanUpAll();
      process.exit(status);
    })
    .catch(async (error) => {
      console.error(describeError(error));
      await cleanUpAll();
      process.exit(1);
    });
}
