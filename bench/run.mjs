#!/usr/bin/env node
/**
 * `npm run bench`: our Worker against a trivial and a floor Worker, all under the same
 * `wrangler dev`, in interleaved rounds. Prints a table of ratios with each target of issue 15
 * judged pass/FAIL, and writes bench/results/<time>.json.
 * Exit status: 0 when the run completed (targets missed or not), 1 when the harness broke,
 * 2 with `--strict` when a target was missed. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseJsonc } from '../test/e2e/support/jsonc.ts';
import {
  authorizeWithSession,
  obtainAccessToken,
  registerClient,
  signIn,
} from '../test/e2e/support/token.ts';
import { bundleSize } from './lib/bundle.mjs';
import { concurrentLoop, fetchPost, httpLoad, median, mergedLoads, openSseSession } from './lib/load.mjs';
import {
  hasResult,
  isComplete,
  mcpRequest,
  PROTOCOL_2025,
  PROTOCOL_2026,
  session2025,
  toolsCall,
} from './lib/mcp.mjs';
import { formatNumber, renderTable } from './lib/report.mjs';
import {
  benchConfig,
  busiestThreadMs,
  cpuMs,
  ROOT,
  runMain,
  startWorker,
  wranglerEnv,
} from './lib/server.mjs';

const HELP = `Usage: npm run bench [-- options]

  --quick          a short run: 1 round, short loads, fewer OAuth samples
  --rounds N       rounds of interleaved measurements (default 3; 1 with --quick)
  --seconds S      length of each measured load in seconds (default 4; 1.5 with --quick)
  --slices N       each figure's loads (trivial, ours, floor, baseline) run in N turns of
                   S/N seconds, their order rotating (default 4; 2 with --quick; 1: whole
                   loads one after another)
  --baseline REV   also measure our Worker as it is at the git revision REV (a temporary
                   worktree), side by side with ours: rows "ours vs baseline"
  --without-assets also measure our Worker with \`assets\` left out of its config: under
                   wrangler dev a static-file router runs on our thread in front of every
                   request (deployed, it is Cloudflare's, not the Worker's CPU); rows "without
                   static assets" say how much of the distance to the floor is that router
  --users N        signed-in users whose tokens each load rotates over (default 64; 1 to 256)
  --strict         exit with status 2 when a target is missed (not with --quick: a quick run
                   is a smoke test of the harness, too short to judge a target)
  --results DIR    where to write the JSON (default bench/results)
  --help           this text

Results: a table on stdout and <DIR>/<time>.json. Exit status 0 when the run completed, even
with targets missed (FAIL rows); 1 when the harness broke; 2 with --strict and a FAIL.
See bench/README.md.`;

const TRIVIAL_CONFIG = 'bench/trivial/wrangler.jsonc';
/** The trivial Worker plus one KV read and one rate-limit call per request (bench/floor/). */
const FLOOR_CONFIG = 'bench/floor/wrangler.jsonc';
const CONCURRENCY = [1, 8, 32];
/** Concurrency levels at which the floor Worker is measured too (the targeted ones). */
const FLOOR_CONCURRENCY = [8, 32];
const MAX_REQUESTS_PER_LOAD = 200_000;
/**
 * Extra `wrangler dev` flags for both Workers. Without them wrangler's Node process prints a line
 * per request, which costs it about as much CPU per request as the trivial Worker itself: on two
 * cores that CPU is taken from workerd and blurs every ratio.
 */
const WRANGLER_DEV_FLAGS = ['--log-level', 'warn'];
const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * Targets of issue 15, each judged on figures measured in the same run: against the floor
 * Worker (bench/floor/) for tools/call, against the trivial Worker for the rest.
 */
const TARGETS = {
  throughputVsFloor: 0.85, // ours / floor, tools/call throughput at c = 8 and 32, both eras: at least
  eraGap: 0.05, // 2025-era / 2026-07-28 throughput at c = 8 and 32: within 1 ± this
  medianLatencyVsFloor: 1.25, // ours / floor, tools/call p50 at c = 8, both eras: at most
  threadCpuAboveFloorMs: 0.6, // ours − floor, CPU of the Worker's thread per tools/call at c = 8: at most
  oauthFlow: 2.5, // ours (4 requests of the flow) / 4 trivial requests: at most
  oauthFlat: 1.25, // ours after 200 earlier grants / ours after 0: at most ("flat")
  bundleGzipKiB: 160, // ours, absolute: at most
  startup: 1.2, // ours / trivial, spawning wrangler dev to the first answer: at most
};

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      users: { type: 'string' },
      slices: { type: 'string' },
      baseline: { type: 'string' },
      'without-assets': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      results: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? 1 : 3) : Number(values.rounds);
  const seconds = values.seconds === undefined ? (quick ? 1.5 : 4) : Number(values.seconds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new UsageError('--rounds must be 1 to 20');
  const users = values.users === undefined ? 64 : Number(values.users);
  const slices = values.slices === undefined ? (quick ? 2 : 4) : Number(values.slices);
  if (!Number.isInteger(slices) || slices < 1 || slices > 20)
    throw new UsageError('--slices must be 1 to 20');
  if (!(seconds > 0 && seconds <= 60)) throw new UsageError('--seconds must be more than 0 and at most 60');
  if (!Number.isInteger(users) || users < 1 || users > 256) throw new UsageError('--users must be 1 to 256');
  if (quick && values.strict) {
    throw new UsageError('--strict judges full runs only: a --quick run is a smoke test, too short to judge');
  }
  return {
    quick,
    strict: values.strict,
    resultsDir: values.results,
    rounds,
    seconds,
    users,
    slices,
    baseline: values.baseline,
    withoutAssets: values['without-assets'],
    warmupSeconds: quick ? 0.4 : 1,
    oauthRuns: quick ? 8 : 25,
    earlierGrants: quick ? 50 : 200,
    memoryRequests: quick ? 1500 : 5000,
    // Start-up is timed once per round; the rest are start-only samples. Its row moved from 1.09×
    // to 1.57× between full runs of the same code on three samples: a full run takes seven.
    startupSamples: quick ? 2 : 7,
  };
}

// ---------------------------------------------------------------------------------------------
// Requests (the requests themselves: bench/lib/mcp.mjs)

/**
 * Runs `task(item)` for every item, `parallel` at a time, in order of the items; the results in
 * the same order.
 */
async function inParallel(items, parallel, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

/**
 * `count` signed-in users of one app: one client registered, then for each user the demo sign-in
 * and that client's authorization (consent, approve, token), 4 users at a time. Returns
 * `[{ token }]`, one per user, and how long it took.
 */
async function signInUsers(worker, count) {
  const started = performance.now();
  const clientId = await registerClient(worker.origin, { clientName: 'bench app' });
  const users = await inParallel(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const { accessToken } = await obtainAccessToken(worker.origin, {
        email: `bench-user-${i}@bench.example`,
        clientId,
      });
      return { token: accessToken, session: {} };
    },
  );
  return { users, clientId, ms: performance.now() - started };
}

/**
 * Headers of the request with JSON-RPC id `id` in a load: the users take turns (id modulo their
 * number), each with their token and, in the 2025 era, their session's headers if any.
 */
function rotation(users, era) {
  return (id) => {
    const user = users[id % users.length];
    return era === PROTOCOL_2025
      ? { Authorization: `Bearer ${user.token}`, ...user.session }
      : { Authorization: `Bearer ${user.token}` };
  };
}

/**
 * The headers a 2025-era client sends on every call: none when the server answers a call
 * without `initialize` (stateless), else, when it asks for a session (a 400 or 404 without a
 * result), an `initialize` and `notifications/initialized` first and the `Mcp-Session-Id` it
 * returned, as a 2025-era client does: the first user's call asks, and if a session is needed
 * every user opens one (`user.session`). Returns whether sessions are used.
 */
async function sessions2025(worker, users) {
  const probe = mcpRequest(PROTOCOL_2025, users[0].token);
  const answer = await fetch(`${worker.origin}/mcp`, {
    method: 'POST',
    headers: probe.headers,
    body: probe.body(1),
  });
  const text = await answer.text();
  if (answer.status === 200 && text.includes('"result"')) return false;
  if (answer.status !== 400 && answer.status !== 404) {
    throw new Error(`2025-era tools/call without a session: HTTP ${answer.status}:\n${text}`);
  }
  await inParallel(users, 4, async (user) => {
    user.session = await session2025(worker.origin, user.token);
  });
  return true;
}

/**
 * Checks once, before any load, that each kind of request gets the answer we expect from
 * `ours` (our Worker or the baseline), every user's token included, and from the trivial Worker.
 */
async function checkRequests(ours, trivial, users) {
  const { token, session } = users[0];
  for (const [i, user] of users.entries()) {
    const r2026 = mcpRequest(PROTOCOL_2026, user.token);
    const a = await fetch(`${ours.origin}/mcp`, {
      method: 'POST',
      headers: r2026.headers,
      body: r2026.body(1),
    });
    const aText = await a.text();
    if (a.status !== 200 || !aText.includes('"resultType":"complete"') || !aText.includes('"sum":2')) {
      throw new Error(
        `${ours.name}: 2026-07-28 tools/call of user ${i}: HTTP ${a.status}, expected resultType "complete":\n${aText}`,
      );
    }
  }
  const r2026 = mcpRequest(PROTOCOL_2026, token);
  const r2025 = mcpRequest(PROTOCOL_2025, token, session);
  const b = await fetch(`${ours.origin}/mcp`, {
    method: 'POST',
    headers: r2025.headers,
    body: r2025.body(2),
  });
  const bText = await b.text();
  if (b.status !== 200 || !bText.includes('"result"') || !bText.includes('"sum":3')) {
    throw new Error(`${ours.name}: 2025-era tools/call: HTTP ${b.status}, expected a result:\n${bText}`);
  }
  const c = await fetch(`${ours.origin}/mcp`, { method: 'POST', headers: mcpRequest(PROTOCOL_2025).headers });
  await c.arrayBuffer();
  if (c.status !== 401 || !c.headers.get('WWW-Authenticate')) {
    throw new Error(
      `${ours.name}: POST /mcp without a token: HTTP ${c.status}, expected 401 with WWW-Authenticate`,
    );
  }
  const d = await fetch(`${trivial.origin}/mcp`, {
    method: 'POST',
    headers: r2026.headers,
    body: r2026.body(3),
  });
  const dText = await d.text();
  if (d.status !== 200 || !dText.includes('"result"')) {
    throw new Error(`trivial Worker: HTTP ${d.status}: ${dText}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

function cpuOf(worker) {
  return worker.workerdPids().reduce((sum, pid) => sum + (cpuMs(pid) || 0), 0);
}

/**
 * The loads of one figure (the trivial Worker's, ours, the floor's, the baseline's), interleaved
 * in time: a warm-up of each, then `--slices` turns in which every Worker runs its load for
 * `--seconds / --slices`, the order rotating from turn to turn. On a shared machine the others'
 * work comes and goes within seconds: interleaved this finely, every Worker meets the same of it,
 * and their ratios stay where whole loads one after another would drift apart. Each result is
 * the slices merged (`mergedLoads`), with the CPU each slice cost added up: of all the wrangler's
 * workerd processes (`cpuMsPerRequest`), and of the busiest thread of the Worker's workerd
 * (`threadCpuMsPerRequest`, the thread the Worker and its local KV and rate-limit services share:
 * the per-thread measure of docs/performance.md). `entries`: `[name, worker, load]`; returns the
 * results by name.
 */
async function interleavedLoads(opts, entries) {
  for (const [, , load] of entries) {
    await httpLoad({ ...load, seconds: opts.warmupSeconds, maxRequests: MAX_REQUESTS_PER_LOAD });
  }
  const slices = entries.map(() => ({ parts: [], cpu: 0, thread: 0 }));
  const seconds = opts.seconds / opts.slices;
  for (let turn = 0; turn < opts.slices; turn++) {
    for (let k = 0; k < entries.length; k++) {
      const index = (turn + k) % entries.length;
      const [, worker, load] = entries[index];
      const slice = slices[index];
      const cpuBefore = cpuOf(worker);
      const threadsBefore = worker.threadCpu();
      const part = await httpLoad({
        ...load,
        seconds,
        maxRequests: MAX_REQUESTS_PER_LOAD,
        keepLatencies: true,
      });
      slice.thread += busiestThreadMs(threadsBefore, worker.threadCpu());
      slice.cpu += cpuOf(worker) - cpuBefore;
      slice.parts.push(part);
    }
  }
  return Object.fromEntries(
    entries.map(([name], index) => {
      const { parts, cpu, thread } = slices[index];
      const result = mergedLoads(parts);
      const perRequest = (ms) => (result.requests > 0 ? ms / result.requests : Number.NaN);
      return [
        name,
        { ...result, cpuMsPerRequest: perRequest(cpu), threadCpuMsPerRequest: perRequest(thread) },
      ];
    }),
  );
}

/** One line of the progress log for the loads of `key` (tools/call of one era and concurrency). */
function logMcpLoad(log, key, measured) {
  const { trivial: t, ours: o, floor: f, baseline: b, withoutAssets: w } = measured;
  const failures = Object.entries(measured).filter(([, load]) => load.failures > 0);
  log(
    `  ${key}: ours ${o.throughput.toFixed(0)} req/s p50 ${o.p50.toFixed(2)} ms` +
      ` | trivial ${t.throughput.toFixed(0)} req/s p50 ${t.p50.toFixed(2)} ms` +
      (f ? ` | floor ${f.throughput.toFixed(0)} req/s p50 ${f.p50.toFixed(2)} ms` : '') +
      (b ? ` | baseline ${b.throughput.toFixed(0)} req/s p50 ${b.p50.toFixed(2)} ms` : '') +
      (w ? ` | without assets ${w.throughput.toFixed(0)} req/s p50 ${w.p50.toFixed(2)} ms` : '') +
      (failures.length > 0
        ? ` | failures ${failures.map(([name, load]) => `${name} ${load.failures}`).join(', ')}`
        : ''),
  );
}

/**
 * tools/call on /mcp, both eras, at each concurrency: the trivial Worker and ours (and the floor
 * and the baseline where they are measured) interleaved slice by slice ({@link interleavedLoads}).
 * Both eras of a concurrency level are one interleaved group, so the era-gap row compares our
 * two eras measured side by side, as every other ratio of the table is, rather than two loads
 * minutes apart. Every load rotates over the signed-in users' tokens; the trivial and floor
 * Workers get ours' (they ignore them).
 */
async function mcpLoads(opts, workers, users, log) {
  const { trivial, floor, ours, baseline, withoutAssets } = workers;
  const results = {};
  for (const connections of CONCURRENCY) {
    const keys = [];
    const entries = [];
    for (const era of [PROTOCOL_2026, PROTOCOL_2025]) {
      const key = `mcp ${era === PROTOCOL_2026 ? '2026' : '2025'} c=${connections}`;
      keys.push(key);
      const request = mcpRequest(era);
      const verifyOurs = era === PROTOCOL_2026 ? isComplete : hasResult;
      const base = { path: '/mcp', headers: request.headers, body: request.body, connections };
      const ourUsers = rotation(users.ours, era);
      const add = (name, worker, load) => entries.push([`${key}/${name}`, worker, { ...base, ...load }]);
      add('trivial', trivial, { origin: trivial.origin, verify: hasResult, headersFor: ourUsers });
      add('ours', ours, { origin: ours.origin, verify: verifyOurs, headersFor: ourUsers });
      if (FLOOR_CONCURRENCY.includes(connections)) {
        add('floor', floor, { origin: floor.origin, verify: hasResult, headersFor: ourUsers });
        // Our Worker's other versions (--baseline, --without-assets), each with its own users.
        for (const [name, worker] of [
          ['baseline', baseline],
          ['withoutAssets', withoutAssets],
        ]) {
          if (!worker) continue;
          const headersFor = rotation(users[name], era);
          add(name, worker, { origin: worker.origin, verify: verifyOurs, headersFor });
        }
      }
    }
    const measured = await interleavedLoads(opts, entries);
    for (const key of keys) {
      results[key] = Object.fromEntries(
        Object.entries(measured)
          .filter(([name]) => name.startsWith(`${key}/`))
          .map(([name, load]) => [name.slice(key.length + 1), load]),
      );
      logMcpLoad(log, key, results[key]);
    }
  }
  // The 401 path: POST /mcp without a token, against a plain POST to the trivial Worker.
  const anonymous = mcpRequest(PROTOCOL_2025);
  const base = { path: '/mcp', headers: anonymous.headers, body: anonymous.body, connections: 8 };
  const measured = await interleavedLoads(opts, [
    ['trivial', trivial, { ...base, origin: trivial.origin, verify: hasResult }],
    ['ours', ours, { ...base, origin: ours.origin, expectStatus: 401 }],
  ]);
  results['401 c=8'] = measured;
  log(
    `  401 c=8: ours ${measured.ours.throughput.toFixed(0)} req/s` +
      ` | trivial ${measured.trivial.throughput.toFixed(0)} req/s`,
  );
  return results;
}

/**
 * The SSE transport: one session per concurrency level, `c` messages in flight, each timed from
 * its POST to its answer on the stream. Baseline: the same Node fetch loop POSTing to the
 * trivial Worker (autocannon cannot wait on a stream).
 */
async function sseLoads(opts, trivial, ours, token, log) {
  const results = {};
  const request = mcpRequest(PROTOCOL_2025, token);
  for (const concurrency of CONCURRENCY) {
    const key = `sse c=${concurrency}`;
    const post = fetchPost(trivial.origin, '/mcp', request.headers, request.body);
    const loop = { concurrency, maxRequests: MAX_REQUESTS_PER_LOAD };
    await concurrentLoop({ ...loop, seconds: opts.warmupSeconds, once: post });
    const t = await concurrentLoop({ ...loop, seconds: opts.seconds, once: post });
    const session = await openSseSession(ours.origin, token);
    try {
      const call = (id) => session.call(id, toolsCall(id));
      await concurrentLoop({ ...loop, seconds: opts.warmupSeconds, once: call });
      const o = await concurrentLoop({ ...loop, seconds: opts.seconds, once: call });
      results[key] = { trivial: t, ours: o };
      log(
        `  ${key}: ours ${o.throughput.toFixed(0)} msg/s p50 ${o.p50.toFixed(2)} ms` +
          ` | trivial POST ${t.throughput.toFixed(0)} req/s p50 ${t.p50.toFixed(2)} ms` +
          (o.failures ? ` | ours failures ${o.failures} (${o.error})` : ''),
      );
    } finally {
      session.close();
    }
  }
  return results;
}

/**
 * Memory: RSS of each Worker's workerd before and after a fixed number of 2026-07-28 tools/call
 * requests at concurrency 8 (after a warm-up of a quarter as many), and the growth per request.
 */
async function memoryPhase(opts, trivial, floor, ours, users) {
  const request = mcpRequest(PROTOCOL_2026);
  const headersFor = rotation(users, PROTOCOL_2026);
  const results = {};
  for (const worker of [trivial, floor, ours]) {
    const load = {
      origin: worker.origin,
      path: '/mcp',
      headers: request.headers,
      body: request.body,
      headersFor,
      connections: 8,
      seconds: 120,
      verify: worker === ours ? isComplete : hasResult,
    };
    await httpLoad({ ...load, maxRequests: Math.ceil(opts.memoryRequests / 4) });
    await sleep(300);
    const before = worker.memory();
    const run = await httpLoad({ ...load, maxRequests: opts.memoryRequests });
    await sleep(300);
    const after = worker.memory();
    const requests = run.requests + run.failures;
    results[worker.name] = {
      requests,
      before,
      after,
      growthPerRequest: (after.workerRss - before.workerRss) / requests,
    };
  }
  return results;
}

/**
 * OAuth flow time: register → consent page → approve → token (four requests) for a user who is
 * already signed in, against four sequential POSTs to the trivial Worker, interleaved run by run.
 * With 0 earlier grants (a new user for each run; the sign-in is not timed) and with 200 earlier
 * grants of one user (made first by 200 untimed flows with distinct clients), the two timed in
 * the same loop, run by run. With `baseline`, its flow with 0 earlier grants too, alternating
 * with ours run by run.
 */
async function oauthPhase(opts, trivial, ours, baseline, round, log) {
  const request = mcpRequest(PROTOCOL_2025, 'trivial-token');
  const fourTrivial = async () => {
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${trivial.origin}/`, {
        method: 'POST',
        headers: request.headers,
        body: request.body(i),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`trivial Worker: HTTP ${response.status}`);
    }
    return performance.now() - t0;
  };
  const timedFlow = async (jar, worker = ours) => {
    const t0 = performance.now();
    await authorizeWithSession(worker.origin, jar, { clientName: 'bench flow' });
    return performance.now() - t0;
  };
  const runId = Date.now().toString(36);
  /** A new user's flow: the sign-in (not timed), then the timed flow. */
  const freshFlow = async (worker, i) =>
    timedFlow(await signIn(worker.origin, `fresh-${runId}-r${round}-${i}@bench.example`), worker);

  // Warm-up of every path (not timed).
  await fourTrivial();
  await timedFlow(await signIn(ours.origin, `warmup-${runId}-r${round}@bench.example`));
  if (baseline) await freshFlow(baseline, 'warmup');

  // The earlier grants first (untimed), so that the flows with 0 and with 200 earlier grants are
  // then timed side by side, run by run, like every other ratio of the table.
  const jar = await signIn(ours.origin, `many-${runId}-r${round}@bench.example`);
  const buildMs = [];
  const deadline = Date.now() + 10 * 60_000;
  for (let i = 0; i < opts.earlierGrants; i++) {
    if (Date.now() > deadline) throw new Error(`making ${opts.earlierGrants} grants took over 10 minutes`);
    buildMs.push(await timedFlow(jar));
  }
  log(
    `  made ${opts.earlierGrants} grants: first 20 median ${median(buildMs.slice(0, 20)).toFixed(1)} ms,` +
      ` last 20 median ${median(buildMs.slice(-20)).toFixed(1)} ms`,
  );

  const trivial0 = [];
  const flow0 = [];
  const baseline0 = [];
  const trivial200 = [];
  const flow200 = [];
  for (let i = 0; i < opts.oauthRuns; i++) {
    trivial0.push(await fourTrivial());
    if (baseline && (round + i) % 2 === 1) {
      baseline0.push(await freshFlow(baseline, i));
      flow0.push(await freshFlow(ours, i));
    } else {
      flow0.push(await freshFlow(ours, i));
      if (baseline) baseline0.push(await freshFlow(baseline, i));
    }
    trivial200.push(await fourTrivial());
    flow200.push(await timedFlow(jar));
  }
  return {
    trivial0: median(trivial0),
    flow0: median(flow0),
    ...(baseline ? { baseline0: median(baseline0) } : {}),
    trivial200: median(trivial200),
    flow200: median(flow200),
    samples: {
      trivial0,
      flow0,
      ...(baseline ? { baseline0 } : {}),
      trivial200,
      flow200,
      grantBuildMs: buildMs,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Summary

/** Median over rounds of `pick(round)`, for ours and trivial, and the median per-round ratio. */
function across(rounds, pick) {
  const ours = rounds.map((round) => pick(round).ours);
  const trivial = rounds.map((round) => pick(round).trivial);
  const ratios = rounds.map((_, i) => ours[i] / trivial[i]);
  return { ours: median(ours), trivial: median(trivial), ratio: median(ratios) };
}

/** How the table names each protocol era. */
const ERA_LABEL = { 2026: '2026-07-28', 2025: '2025-era' };

/**
 * The tools/call loads measured against the floor (both eras, `FLOOR_CONCURRENCY`): each with its
 * label (`2026-07-28 c=8`), its concurrency, and `load(round)`, its figures in a round.
 */
function floorLoads() {
  return ['2026', '2025'].flatMap((era) =>
    FLOOR_CONCURRENCY.map((c) => ({
      c,
      label: `${ERA_LABEL[era]} c=${c}`,
      load: (round) => round.mcp[`mcp ${era} c=${c}`],
    })),
  );
}

/**
 * The row comparing two Workers' thread CPU per call in one load (`a` in the ours column, `b` named
 * `bName` in the other): each the median over the rounds; the difference a − b is the median of
 * the per-round differences, shown in ms with its sign. Returns the row and that difference.
 */
function threadCpuRow(rounds, load, [a, b], figure, bName) {
  const cpu = (side) => median(rounds.map((r) => load(r)[side].threadCpuMsPerRequest));
  const difference = median(
    rounds.map((r) => load(r)[a].threadCpuMsPerRequest - load(r)[b].threadCpuMsPerRequest),
  );
  const row = {
    figure,
    unit: 'ms',
    ours: cpu(a),
    trivial: cpu(b),
    trivialLabel: `${cpu(b).toFixed(2)} ms (${bName})`,
    ratioLabel: `${difference >= 0 ? '+' : '−'}${Math.abs(difference).toFixed(2)} ms`,
  };
  return [row, difference];
}

/** A target row's result: `pass` true or false, and the target text. */
const judged = (target, pass) => ({ target, pass });

function summaryRows(result) {
  const rows = [];
  const rounds = result.rounds;
  for (const era of ['2026', '2025']) {
    const label = ERA_LABEL[era];
    for (const c of CONCURRENCY) {
      const key = `mcp ${era} c=${c}`;
      const load = (round) => round.mcp[key];
      const tp = across(rounds, (r) => ({
        ours: load(r).ours.throughput,
        trivial: load(r).trivial.throughput,
      }));
      const p50 = across(rounds, (r) => ({ ours: load(r).ours.p50, trivial: load(r).trivial.p50 }));
      const p99 = across(rounds, (r) => ({ ours: load(r).ours.p99, trivial: load(r).trivial.p99 }));
      rows.push({ figure: `tools/call ${label} c=${c} throughput`, unit: 'req/s', ...tp });
      rows.push({ figure: `tools/call ${label} c=${c} p50`, unit: 'ms', ...p50 });
      rows.push({ figure: `tools/call ${label} c=${c} p99`, unit: 'ms', ...p99 });
      if (!FLOOR_CONCURRENCY.includes(c)) continue;
      const floorTp = across(rounds, (r) => ({
        ours: load(r).floor.throughput,
        trivial: load(r).trivial.throughput,
      }));
      rows.push({ figure: `  floor: ${label} c=${c} throughput`, unit: 'req/s', ...floorTp });
      const vsFloor = across(rounds, (r) => ({
        ours: load(r).ours.throughput,
        trivial: load(r).floor.throughput,
      }));
      rows.push({
        figure: `  ours vs floor: ${label} c=${c} throughput`,
        unit: 'req/s',
        ...vsFloor,
        trivialLabel: `${vsFloor.trivial.toFixed(0)} req/s (floor)`,
        ...judged(`≥ ${TARGETS.throughputVsFloor}×`, vsFloor.ratio >= TARGETS.throughputVsFloor),
      });
      if (c !== 8) continue;
      const floorP50 = across(rounds, (r) => ({ ours: load(r).floor.p50, trivial: load(r).trivial.p50 }));
      rows.push({ figure: `  floor: ${label} c=${c} p50`, unit: 'ms', ...floorP50 });
      const p50VsFloor = across(rounds, (r) => ({ ours: load(r).ours.p50, trivial: load(r).floor.p50 }));
      rows.push({
        figure: `  ours vs floor: ${label} c=${c} p50`,
        unit: 'ms',
        ...p50VsFloor,
        trivialLabel: `${p50VsFloor.trivial.toFixed(1)} ms (floor)`,
        ...judged(`≤ ${TARGETS.medianLatencyVsFloor}×`, p50VsFloor.ratio <= TARGETS.medianLatencyVsFloor),
      });
      const cpu = across(rounds, (r) => ({
        ours: load(r).ours.cpuMsPerRequest,
        trivial: load(r).trivial.cpuMsPerRequest,
      }));
      rows.push({
        figure: `tools/call ${label} c=${c} workerd CPU/request (all workerd)`,
        unit: 'ms',
        ...cpu,
      });
      const thread = across(rounds, (r) => ({
        ours: load(r).ours.threadCpuMsPerRequest,
        trivial: load(r).trivial.threadCpuMsPerRequest,
      }));
      rows.push({ figure: `tools/call ${label} c=${c} Worker thread CPU/request`, unit: 'ms', ...thread });
      // Ours minus the floor, per round, then the median: an absolute target (milliseconds).
      const [cpuVsFloor, above] = threadCpuRow(
        rounds,
        load,
        ['ours', 'floor'],
        `  ours vs floor: ${label} c=${c} Worker thread CPU/request`,
        'floor',
      );
      rows.push({
        ...cpuVsFloor,
        ...judged(`≤ floor + ${TARGETS.threadCpuAboveFloorMs} ms`, above <= TARGETS.threadCpuAboveFloorMs),
      });
    }
  }
  // The 2025 era against the 2026-07-28 era at the targeted concurrency levels: ours (judged), then
  // the floor, measured in the same slices: what the two eras' requests cost a Worker that does no
  // MCP work (the 2026-07-28 request carries more headers and `_meta`).
  for (const c of FLOOR_CONCURRENCY) {
    const eraGap = (side, figure) => {
      const gap = across(rounds, (r) => ({
        ours: r.mcp[`mcp 2025 c=${c}`][side].throughput,
        trivial: r.mcp[`mcp 2026 c=${c}`][side].throughput,
      }));
      return { figure, unit: 'req/s', ...gap, trivialLabel: `${gap.trivial.toFixed(0)} req/s (2026-07-28)` };
    };
    const ours = eraGap('ours', `2025-era vs 2026-07-28 c=${c} throughput (ours)`);
    rows.push({
      ...ours,
      ...judged(`within ${TARGETS.eraGap * 100} %`, Math.abs(ours.ratio - 1) <= TARGETS.eraGap),
    });
    rows.push(eraGap('floor', `  floor: 2025-era vs 2026-07-28 c=${c} throughput`));
  }
  for (const c of CONCURRENCY) {
    const key = `sse c=${c}`;
    const tp = across(rounds, (r) => ({
      ours: r.sse[key].ours.throughput,
      trivial: r.sse[key].trivial.throughput,
    }));
    const p50 = across(rounds, (r) => ({ ours: r.sse[key].ours.p50, trivial: r.sse[key].trivial.p50 }));
    const p99 = across(rounds, (r) => ({ ours: r.sse[key].ours.p99, trivial: r.sse[key].trivial.p99 }));
    rows.push({ figure: `SSE tools/call c=${c} throughput (trivial: POST)`, unit: 'req/s', ...tp });
    rows.push({ figure: `SSE tools/call c=${c} p50 (trivial: POST)`, unit: 'ms', ...p50 });
    rows.push({ figure: `SSE tools/call c=${c} p99 (trivial: POST)`, unit: 'ms', ...p99 });
  }
  const u = (r) => r.mcp['401 c=8'];
  rows.push({
    figure: '401 path c=8 throughput (trivial: 200)',
    unit: 'req/s',
    ...across(rounds, (r) => ({ ours: u(r).ours.throughput, trivial: u(r).trivial.throughput })),
  });
  rows.push({
    figure: '401 path c=8 p50 (trivial: 200)',
    unit: 'ms',
    ...across(rounds, (r) => ({ ours: u(r).ours.p50, trivial: u(r).trivial.p50 })),
  });

  const flow0 = across(rounds, (r) => ({ ours: r.oauth.flow0, trivial: r.oauth.trivial0 }));
  const flow200 = across(rounds, (r) => ({ ours: r.oauth.flow200, trivial: r.oauth.trivial200 }));
  const flat = across(rounds, (r) => ({ ours: r.oauth.flow200, trivial: r.oauth.flow0 }));
  const grants = result.options.earlierGrants;
  rows.push({
    figure: 'OAuth flow, 0 earlier grants (trivial: 4 requests)',
    unit: 'ms',
    ...flow0,
    ...judged(`≤ ${TARGETS.oauthFlow}×`, flow0.ratio <= TARGETS.oauthFlow),
  });
  rows.push({
    figure: `OAuth flow, ${grants} earlier grants (trivial: 4 requests)`,
    unit: 'ms',
    ...flow200,
    ...judged(`≤ ${TARGETS.oauthFlow}×`, flow200.ratio <= TARGETS.oauthFlow),
  });
  rows.push({
    figure: `OAuth flow, ${grants} vs 0 earlier grants (flat)`,
    unit: 'ms',
    ...flat,
    trivialLabel: `${flat.trivial.toFixed(1)} ms (ours, 0)`,
    ...judged(`≤ ${TARGETS.oauthFlat}×`, flat.ratio <= TARGETS.oauthFlat),
  });

  const { bundle } = result;
  rows.push({
    figure: 'bundle raw',
    unit: 'KiB',
    ours: bundle.ours.raw / KiB,
    trivial: bundle.trivial.raw / KiB,
    ratio: bundle.ours.raw / bundle.trivial.raw,
  });
  rows.push({
    figure: 'bundle gzip',
    unit: 'KiB',
    ours: bundle.ours.gzip / KiB,
    trivial: bundle.trivial.gzip / KiB,
    ratio: bundle.ours.gzip / bundle.trivial.gzip,
    ...judged(`≤ ${TARGETS.bundleGzipKiB} KiB`, bundle.ours.gzip / KiB <= TARGETS.bundleGzipKiB),
  });

  const startup = result.startup;
  const startupRatio = median(startup.ours) / median(startup.trivial);
  rows.push({
    figure: `start-up to first answer (median of ${startup.ours.length})`,
    unit: 'ms',
    ours: median(startup.ours),
    trivial: median(startup.trivial),
    ratio: startupRatio,
    ...judged(`≤ ${TARGETS.startup}×`, startupRatio <= TARGETS.startup),
  });

  const mem = (r) => r.memory;
  rows.push({
    figure: 'workerd RSS when started',
    unit: 'MiB',
    ...across(rounds, (r) => ({ ours: r.rssStart.ours / MiB, trivial: r.rssStart.trivial / MiB })),
  });
  rows.push({
    figure: 'workerd RSS at end of round',
    unit: 'MiB',
    ...across(rounds, (r) => ({ ours: r.rssEnd.ours / MiB, trivial: r.rssEnd.trivial / MiB })),
  });
  // Growth per request: the trivial figure is floored at 1 MiB over the phase (RSS moves in
  // heap-sized steps), so a trivial Worker that happens not to grow does not divide by ~0.
  const floor = MiB / result.options.memoryRequests;
  const growth = across(rounds, (r) => ({
    ours: mem(r).ours.growthPerRequest,
    trivial: Math.max(mem(r).trivial.growthPerRequest, floor),
  }));
  rows.push({
    figure: `workerd RSS growth per request (${result.options.memoryRequests} requests)`,
    unit: 'B',
    ours: growth.ours,
    trivial: median(rounds.map((r) => mem(r).trivial.growthPerRequest)),
    ratio: growth.ratio,
  });
  const floorGrowth = across(rounds, (r) => ({
    ours: mem(r).floor.growthPerRequest,
    trivial: Math.max(mem(r).trivial.growthPerRequest, floor),
  }));
  rows.push({
    figure: '  floor: workerd RSS growth per request',
    unit: 'B',
    ours: floorGrowth.ours,
    trivial: median(rounds.map((r) => mem(r).trivial.growthPerRequest)),
    ratio: floorGrowth.ratio,
  });
  if (result.baseline) rows.push(...baselineRows(result));
  if (result.options.withoutAssets) rows.push(...withoutAssetsRows(result));
  return rows;
}

/**
 * `--baseline`: ours against our Worker at another commit, measured side by side in the same
 * rounds. Ratios are ours / baseline (thread CPU: ours − baseline in ms). No targets: these rows
 * say whether a change moved a figure.
 */
function baselineRows(result) {
  const rows = [];
  const rounds = result.rounds;
  const vs = (label) => `  ours vs baseline: ${label}`;
  for (const { label, load } of floorLoads()) {
    const tp = across(rounds, (r) => ({
      ours: load(r).ours.throughput,
      trivial: load(r).baseline.throughput,
    }));
    rows.push({
      figure: vs(`${label} throughput`),
      unit: 'req/s',
      ...tp,
      trivialLabel: `${formatNumber(tp.trivial, 'req/s')} (baseline)`,
    });
    const p50 = across(rounds, (r) => ({ ours: load(r).ours.p50, trivial: load(r).baseline.p50 }));
    rows.push({
      figure: vs(`${label} p50`),
      unit: 'ms',
      ...p50,
      trivialLabel: `${formatNumber(p50.trivial, 'ms')} (baseline)`,
    });
    rows.push(
      threadCpuRow(
        rounds,
        load,
        ['ours', 'baseline'],
        vs(`${label} Worker thread CPU/request`),
        'baseline',
      )[0],
    );
  }
  const flow = across(rounds, (r) => ({ ours: r.oauth.flow0, trivial: r.oauth.baseline0 }));
  rows.push({
    figure: vs('OAuth flow, 0 earlier grants'),
    unit: 'ms',
    ...flow,
    trivialLabel: `${formatNumber(flow.trivial, 'ms')} (baseline)`,
  });
  const { startup, bundle } = result;
  const startupOurs = median(startup.ours);
  const startupBaseline = median(startup.baseline);
  rows.push({
    figure: vs(`start-up to first answer (median of ${startup.baseline.length})`),
    unit: 'ms',
    ours: startupOurs,
    trivial: startupBaseline,
    trivialLabel: `${formatNumber(startupBaseline, 'ms')} (baseline)`,
    ratio: startupOurs / startupBaseline,
  });
  rows.push({
    figure: vs('bundle gzip'),
    unit: 'KiB',
    ours: bundle.ours.gzip / KiB,
    trivial: bundle.baseline.gzip / KiB,
    trivialLabel: `${formatNumber(bundle.baseline.gzip / KiB, 'KiB')} (baseline)`,
    ratio: bundle.ours.gzip / bundle.baseline.gzip,
  });
  return rows;
}

/**
 * `--without-assets`: our Worker without `assets` in its config, measured in the same rounds.
 * Under `wrangler dev`, a Worker with static assets is reached through the static-file router
 * (miniflare's, on the Worker's own thread) even for the routes of `run_worker_first`; the floor
 * has none. These rows put that Worker against the floor, next to the target each bears on, and
 * the router's own cost (ours − without). Not judged: the targets are for the Worker as
 * `npm run dev` runs it.
 */
function withoutAssetsRows(result) {
  const rows = [];
  const rounds = result.rounds;
  const notJudged = (target) => `(${target}, not judged)`;
  for (const { c, label, load } of floorLoads()) {
    const tp = across(rounds, (r) => ({
      ours: load(r).withoutAssets.throughput,
      trivial: load(r).floor.throughput,
    }));
    rows.push({
      figure: `  without static assets vs floor: ${label} throughput`,
      unit: 'req/s',
      ...tp,
      trivialLabel: `${tp.trivial.toFixed(0)} req/s (floor)`,
      targetLabel: notJudged(`≥ ${TARGETS.throughputVsFloor}×`),
    });
    if (c !== 8) continue;
    const p50 = across(rounds, (r) => ({ ours: load(r).withoutAssets.p50, trivial: load(r).floor.p50 }));
    rows.push({
      figure: `  without static assets vs floor: ${label} p50`,
      unit: 'ms',
      ...p50,
      trivialLabel: `${p50.trivial.toFixed(1)} ms (floor)`,
      targetLabel: notJudged(`≤ ${TARGETS.medianLatencyVsFloor}×`),
    });
    const [vsFloor] = threadCpuRow(
      rounds,
      load,
      ['withoutAssets', 'floor'],
      `  without static assets vs floor: ${label} Worker thread CPU/request`,
      'floor',
    );
    rows.push({ ...vsFloor, targetLabel: notJudged(`≤ floor + ${TARGETS.threadCpuAboveFloorMs} ms`) });
    rows.push(
      threadCpuRow(
        rounds,
        load,
        ['ours', 'withoutAssets'],
        `  static-file router (ours − without static assets): ${label} Worker thread CPU/request`,
        'without',
      )[0],
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Main

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each user's share of the busiest tools/call load, in calls per minute, against the product's
 * per-user limit (MCP_USER_LIMITER of wrangler.jsonc; the bench itself runs with the limits
 * raised, lib/server.mjs `benchConfig`): issue 15 measures with every user under it.
 */
function perUserRate(result) {
  const config = parseJsonc(readFileSync(join(ROOT, 'wrangler.jsonc'), 'utf8'));
  const limiter = (config.ratelimits ?? []).find((entry) => entry.name === 'MCP_USER_LIMITER');
  let busiest = 0;
  for (const round of result.rounds) {
    for (const [key, load] of Object.entries(round.mcp)) {
      if (!key.startsWith('mcp ')) continue;
      for (const side of [load.ours, load.baseline, load.withoutAssets])
        if (side) busiest = Math.max(busiest, side.throughput);
    }
  }
  return {
    users: result.options.users,
    busiestLoadRequestsPerSecond: busiest,
    callsPerUserPerMinute: (busiest * 60) / result.options.users,
    limit: limiter ? { limit: limiter.simple.limit, periodSeconds: limiter.simple.period } : null,
  };
}

/** The trivial and floor Workers must run under the same compatibility date and flags as ours. */
function compatibility() {
  const read = (path) => parseJsonc(readFileSync(join(ROOT, path), 'utf8'));
  const ours = read('wrangler.jsonc');
  const others = { trivial: read(TRIVIAL_CONFIG), floor: read(FLOOR_CONFIG) };
  const flags = (config) => JSON.stringify([...(config.compatibility_flags ?? [])].sort());
  const same = Object.values(others).every(
    (other) => other.compatibility_date === ours.compatibility_date && flags(other) === flags(ours),
  );
  const describe = (config) => ({ date: config.compatibility_date, flags: config.compatibility_flags });
  return {
    same,
    ours: describe(ours),
    trivial: describe(others.trivial),
    floor: describe(others.floor),
  };
}

function environment() {
  const version = (name) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    wrangler: version('wrangler'),
    autocannon: version('autocannon'),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    loadavgAtStart: loadavg(),
    gitCommit: git('rev-parse', 'HEAD'),
    gitDirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
  };
}

/** An error in how the bench was called: its message is printed alone, exit status 1. */
class UsageError extends Error {}

/** Runs git in the repository; its trimmed output. */
function git(args, cwd = ROOT) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The commit `rev` names, or a UsageError. */
function resolveRevision(rev) {
  let commit;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  } catch {}
  if (!commit)
    throw new UsageError(`--baseline ${rev}: git cannot resolve it to a commit of this repository`);
  return { rev, commit, short: git(['rev-parse', '--short', commit]) };
}

/** The baseline's temporary worktree while it exists (removed by `removeBaseline`). */
let baselineTree;

/**
 * `--baseline`: our Worker as it is at `commit`, checked out with `git worktree add --detach` in a
 * temporary folder, with a `node_modules` symlink to the repository's own and the MCP Apps views
 * built if that commit does not carry them. Returns the folder and its bench config.
 */
function prepareBaseline({ commit }, log) {
  const parent = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  const dir = join(parent, 'tree');
  baselineTree = { parent, dir, added: false };
  log(`baseline: git worktree add --detach ${dir} ${commit}…`);
  git(['worktree', 'add', '--detach', dir, commit]);
  baselineTree.added = true;
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  const build = 'src/features/notes/app/build.ts';
  if (!existsSync(join(dir, 'public/apps/notes.html')) && existsSync(join(dir, build))) {
    log('baseline: building the MCP Apps views…');
    execFileSync('node', [build], { cwd: dir, env: wranglerEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return { dir, config: benchConfig(dir) };
}

/** Removes the baseline's worktree, if any (idempotent; also after a failure or SIGINT). */
function removeBaseline() {
  if (!baselineTree) return;
  const { parent, dir, added } = baselineTree;
  baselineTree = undefined;
  try {
    rmSync(join(dir, 'node_modules'), { force: true }); // the symlink, never what it points to
  } catch {}
  let removed = !added;
  if (added) {
    try {
      git(['worktree', 'remove', '--force', dir]);
      removed = true;
    } catch {}
  }
  rmSync(parent, { recursive: true, force: true });
  if (!removed) {
    try {
      git(['worktree', 'prune']); // the entry of a worktree whose folder is gone
    } catch {}
  }
}

const running = new Set();

async function stopAll() {
  await Promise.all([...running].map((worker) => worker.stop().catch(() => {})));
  running.clear();
  removeBaseline();
}

async function start(name, baseline) {
  const worker =
    name === 'trivial' || name === 'floor'
      ? await startWorker({
          name,
          config: name === 'trivial' ? TRIVIAL_CONFIG : FLOOR_CONFIG,
          readyPath: '/',
          extraArgs: WRANGLER_DEV_FLAGS,
        })
      : await startWorker({
          name,
          config:
            name === 'baseline'
              ? baseline.config
              : benchConfig(ROOT, { withoutAssets: name === 'withoutAssets' }),
          cwd: name === 'baseline' ? baseline.dir : ROOT,
          readyPath: '/.well-known/oauth-authorization-server',
          extraArgs: WRANGLER_DEV_FLAGS,
        });
  running.add(worker);
  return worker;
}

async function stop(worker) {
  running.delete(worker);
  await worker.stop();
}

async function main() {
  const opts = options();
  const log = (line) => console.error(line);
  // A revision git cannot resolve is refused before anything starts.
  const baselineRevision = opts.baseline === undefined ? undefined : resolveRevision(opts.baseline);
  const startedAt = new Date();
  const result = {
    startedAt: startedAt.toISOString(),
    options: { ...opts, wranglerDevFlags: WRANGLER_DEV_FLAGS },
    environment: environment(),
  };
  const load = result.environment.loadavgAtStart[0];
  if (load > cpus().length * 0.5) {
    log(`note: load average ${load.toFixed(2)} on ${cpus().length} CPUs: other work shares this machine.`);
  }

  result.compatibility = compatibility();
  if (!result.compatibility.same) {
    log(`warning: the trivial or floor Worker's compatibility date/flags differ from wrangler.jsonc:`);
    log(`  ${JSON.stringify(result.compatibility)}`);
  }

  let baseline;
  if (baselineRevision) {
    baseline = prepareBaseline(baselineRevision, log);
    result.baseline = { ...baselineRevision };
    log(`baseline: ${baselineRevision.short} (${baselineRevision.rev}), in ${baseline.dir}`);
  }

  log(`bundle: wrangler deploy --dry-run (ours, trivial${baseline ? ', baseline' : ''})…`);
  result.bundle = { ours: await bundleSize(), trivial: await bundleSize(TRIVIAL_CONFIG) };
  if (baseline) result.bundle.baseline = await bundleSize(undefined, baseline.dir);

  result.startup = { trivial: [], ours: [], ...(baseline ? { baseline: [] } : {}) };
  result.rounds = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order = !baseline ? 'ours' : round % 2 === 1 ? 'baseline, ours' : 'ours, baseline';
    log(`round ${round}/${opts.rounds}: starting the Workers (trivial, floor, ${order})…`);
    const trivial = await start('trivial');
    const floor = await start('floor');
    // The baseline starts before ours in odd rounds, after it in even ones.
    let base = baseline && round % 2 === 1 ? await start('baseline', baseline) : undefined;
    const ours = await start('ours');
    if (baseline && !base) base = await start('baseline', baseline);
    const withoutAssets = opts.withoutAssets ? await start('withoutAssets') : undefined;
    result.startup.trivial.push(trivial.startupMs);
    result.startup.ours.push(ours.startupMs);
    if (base) result.startup.baseline.push(base.startupMs);
    const rssStart = { trivial: trivial.memory().workerRss, ours: ours.memory().workerRss };
    log(
      `  start-up: trivial ${trivial.startupMs.toFixed(0)} ms, ours ${ours.startupMs.toFixed(0)} ms` +
        (base ? `, baseline ${base.startupMs.toFixed(0)} ms` : ''),
    );

    const signedIn = await signInUsers(ours, opts.users);
    const users = { ours: signedIn.users };
    log(`  signed in ${opts.users} users of one app in ${signedIn.ms.toFixed(0)} ms`);
    const session = await sessions2025(ours, users.ours);
    if (session)
      log('  2025 era: the server asked for a session; each user opened one, calls carry its Mcp-Session-Id');
    await checkRequests(ours, trivial, users.ours);
    let baselineSession;
    if (base) {
      const baselineSignedIn = await signInUsers(base, opts.users);
      users.baseline = baselineSignedIn.users;
      log(`  baseline: signed in ${opts.users} users in ${baselineSignedIn.ms.toFixed(0)} ms`);
      baselineSession = await sessions2025(base, users.baseline);
      if (baselineSession) log('  baseline, 2025 era: the server asked for a session; each user opened one');
      await checkRequests(base, trivial, users.baseline);
    }
    let withoutAssetsSession;
    if (withoutAssets) {
      const variantSignedIn = await signInUsers(withoutAssets, opts.users);
      users.withoutAssets = variantSignedIn.users;
      log(`  without static assets: signed in ${opts.users} users in ${variantSignedIn.ms.toFixed(0)} ms`);
      withoutAssetsSession = await sessions2025(withoutAssets, users.withoutAssets);
      await checkRequests(withoutAssets, trivial, users.withoutAssets);
    }

    log('  memory…');
    const memory = await memoryPhase(opts, trivial, floor, ours, users.ours);
    log('  tools/call on /mcp and the 401 path…');
    const mcp = await mcpLoads(opts, { trivial, floor, ours, baseline: base, withoutAssets }, users, log);
    log('  SSE…');
    const sse = await sseLoads(opts, trivial, ours, users.ours[0].token, log);
    log('  OAuth flow…');
    const oauth = await oauthPhase(opts, trivial, ours, base, round, log);
    const rssEnd = { trivial: trivial.memory().workerRss, ours: ours.memory().workerRss };
    result.rounds.push({
      round,
      rssStart,
      rssEnd,
      memory,
      mcp,
      sse,
      oauth,
      signInUsersMs: signedIn.ms,
      session2025: session,
      ...(base ? { baselineSession2025: baselineSession } : {}),
      ...(withoutAssets ? { withoutAssetsSession2025: withoutAssetsSession } : {}),
    });

    await stop(trivial);
    await stop(floor);
    if (base) await stop(base);
    if (withoutAssets) await stop(withoutAssets);
    await stop(ours);
  }
  // Start-up is timed in every round; a run of fewer rounds adds start-only samples.
  while (result.startup.ours.length < opts.startupSamples) {
    log('start-up sample…');
    const trivial = await start('trivial');
    await stop(trivial);
    const sample = result.startup.ours.length;
    const startBaseline = async () => {
      const base = await start('baseline', baseline);
      await stop(base);
      result.startup.baseline.push(base.startupMs);
    };
    if (baseline && sample % 2 === 0) await startBaseline();
    const ours = await start('ours');
    await stop(ours);
    if (baseline && sample % 2 === 1) await startBaseline();
    result.startup.trivial.push(trivial.startupMs);
    result.startup.ours.push(ours.startupMs);
  }

  result.environment.loadavgAtEnd = loadavg();
  result.finishedAt = new Date().toISOString();
  result.targets = TARGETS;
  result.summary = summaryRows(result);
  result.perUser = perUserRate(result);
  const failed = result.summary.filter((row) => row.pass === false).map((row) => row.figure.trim());
  result.failedTargets = failed;

  const directory = opts.resultsDir ? resolve(opts.resultsDir) : join(ROOT, 'bench/results');
  mkdirSync(directory, { recursive: true });
  const file = join(
    directory,
    `${startedAt
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  console.log(renderTable(result.summary));
  console.log('');
  console.log(
    `${opts.rounds} round(s), ${opts.seconds} s per load; ratios are ours / trivial (median of per-round ratios).`,
  );
  console.log(
    `${opts.users} signed-in user(s) of one app: each tools/call load rotates over their tokens` +
      " (the 2025-era session probe and SSE use the first user's).",
  );
  const { perUser } = result;
  if (perUser.limit) {
    const { limit, periodSeconds } = perUser.limit;
    const perPeriod = (perUser.callsPerUserPerMinute * periodSeconds) / 60;
    console.log(
      `Busiest load: ${perPeriod.toFixed(0)} calls per user per ${periodSeconds} s, ` +
        `${perPeriod <= limit ? 'under' : 'OVER'} the per-user limit of wrangler.jsonc ` +
        `(MCP_USER_LIMITER: ${limit}; the bench runs with the limits raised).`,
    );
  }
  if (result.baseline) {
    console.log(
      `Baseline: ${result.baseline.short} (--baseline ${result.baseline.rev}), our Worker at that commit;` +
        ' rows "ours vs baseline" are ours / baseline (thread CPU: ours − baseline), not judged.',
    );
  }
  if (opts.withoutAssets) {
    console.log(
      'Without static assets: our Worker with `assets` left out of its config, so that wrangler dev puts no' +
        " static-file router in front of it (deployed, that router is Cloudflare's, not the Worker's CPU);" +
        ' its rows are not judged.',
    );
  }
  console.log(
    failed.length === 0 ? 'All targets met.' : `Targets missed (${failed.length}): ${failed.join('; ')}.`,
  );
  if (!opts.withoutAssets && failed.some((figure) => figure.startsWith('ours vs floor'))) {
    console.log(
      'Under wrangler dev every request of ours, not of the floor, passes the static-file router:' +
        ' --without-assets measures how much of the distance to the floor that is.',
    );
  }
  const [startLoad] = result.environment.loadavgAtStart;
  const [endLoad] = result.environment.loadavgAtEnd;
  console.log(
    `Load average ${startLoad.toFixed(2)} at start, ${endLoad.toFixed(2)} at end, on ${cpus().length} CPUs` +
      ' (above the CPU count, other work shared the machine: compare ratios, not absolute figures).',
  );
  console.log(`Results: ${file.startsWith(ROOT) ? file.slice(ROOT.length) : file}`);
  if (opts.quick) console.log('A --quick run is a smoke test of the harness: judge targets on a full run.');
  return opts.strict && failed.length > 0 ? 2 : 0;
}

runMain(main, stopAll, (error) =>
  error instanceof UsageError ? `bench: ${error.message}` : `bench failed: ${error?.stack ?? error}`,
);
