#!/usr/bin/env node
/**
 * `npm run bench`: our Worker against a trivial and a floor Worker, all under the same
 * `wrangler dev`, in interleaved rounds. Prints a table of ratios with each target of issue 15
 * judged pass/FAIL, and writes bench/results/<time>.json.
 * Exit status: 0 when the run completed (targets missed or not), 1 when the harness broke,
 * 2 with `--strict` when a target was missed. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { authorizeWithSession, obtainAccessToken, signIn } from '../test/e2e/support/token.ts';
import { bundleSize } from './lib/bundle.mjs';
import { concurrentLoop, fetchPost, httpLoad, median, openSseSession } from './lib/load.mjs';
import {
  checkToolsCall,
  hasResult,
  isComplete,
  mcpRequest,
  PROTOCOL_2025,
  PROTOCOL_2026,
  session2025,
  toolsCall,
} from './lib/mcp.mjs';
import { renderTable } from './lib/report.mjs';
import { benchConfig, busiestThreadMs, cpuMs, ROOT, startWorker } from './lib/server.mjs';

const HELP = `Usage: npm run bench [-- options]

  --quick          a short run: 1 round, short loads, fewer OAuth samples
  --rounds N       rounds of interleaved measurements (default 3; 1 with --quick)
  --seconds S      length of each measured load in seconds (default 4; 1.5 with --quick)
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
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be 1 to 20');
  if (!(seconds > 0 && seconds <= 60)) throw new Error('--seconds must be more than 0 and at most 60');
  if (quick && values.strict) {
    throw new Error('--strict judges full runs only: a --quick run is a smoke test, too short to judge');
  }
  return {
    quick,
    strict: values.strict,
    resultsDir: values.results,
    rounds,
    seconds,
    warmupSeconds: quick ? 0.4 : 1,
    oauthRuns: quick ? 8 : 25,
    earlierGrants: quick ? 50 : 200,
    memoryRequests: quick ? 1500 : 5000,
    startupSamples: 2,
  };
}

// ---------------------------------------------------------------------------------------------
// Requests (bench/lib/mcp.mjs)

/** Checks once, before any load, that each kind of request gets the answer we expect. */
async function checkRequests(ours, trivial, token, session) {
  await checkToolsCall(ours.origin, PROTOCOL_2026, token, {}, 1);
  await checkToolsCall(ours.origin, PROTOCOL_2025, token, session, 2);
  const c = await fetch(`${ours.origin}/mcp`, { method: 'POST', headers: mcpRequest(PROTOCOL_2025).headers });
  await c.arrayBuffer();
  if (c.status !== 401 || !c.headers.get('WWW-Authenticate')) {
    throw new Error(`POST /mcp without a token: HTTP ${c.status}, expected 401 with WWW-Authenticate`);
  }
  const r2026 = mcpRequest(PROTOCOL_2026, token);
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
 * A warm-up load (discarded), then the measured load, with the CPU time it cost: of all the
 * wrangler's workerd processes (`cpuMsPerRequest`), and of the busiest thread of the Worker's
 * workerd (`threadCpuMsPerRequest`, the thread the Worker and its local KV and rate-limit
 * services share: the per-thread measure of docs/performance.md).
 */
async function measuredLoad(opts, worker, load) {
  await httpLoad({ ...load, seconds: opts.warmupSeconds, maxRequests: MAX_REQUESTS_PER_LOAD });
  const cpuBefore = cpuOf(worker);
  const threadsBefore = worker.threadCpu();
  const result = await httpLoad({ ...load, seconds: opts.seconds, maxRequests: MAX_REQUESTS_PER_LOAD });
  const thread = busiestThreadMs(threadsBefore, worker.threadCpu());
  const cpu = cpuOf(worker) - cpuBefore;
  const perRequest = (ms) => (result.requests > 0 ? ms / result.requests : Number.NaN);
  return { ...result, cpuMsPerRequest: perRequest(cpu), threadCpuMsPerRequest: perRequest(thread) };
}

async function mcpLoads(opts, trivial, floor, ours, token, session, log) {
  const results = {};
  for (const era of [PROTOCOL_2026, PROTOCOL_2025]) {
    const request = mcpRequest(era, token, era === PROTOCOL_2025 ? session : {});
    for (const connections of CONCURRENCY) {
      const key = `mcp ${era === PROTOCOL_2026 ? '2026' : '2025'} c=${connections}`;
      const base = { path: '/mcp', headers: request.headers, body: request.body, connections };
      const t = await measuredLoad(opts, trivial, { ...base, origin: trivial.origin, verify: hasResult });
      const o = await measuredLoad(opts, ours, {
        ...base,
        origin: ours.origin,
        verify: era === PROTOCOL_2026 ? isComplete : hasResult,
      });
      results[key] = { trivial: t, ours: o };
      log(
        `  ${key}: ours ${o.throughput.toFixed(0)} req/s p50 ${o.p50.toFixed(2)} ms` +
          ` | trivial ${t.throughput.toFixed(0)} req/s p50 ${t.p50.toFixed(2)} ms` +
          (o.failures || t.failures ? ` | failures ours ${o.failures}, trivial ${t.failures}` : ''),
      );
      if (FLOOR_CONCURRENCY.includes(connections)) {
        const f = await measuredLoad(opts, floor, { ...base, origin: floor.origin, verify: hasResult });
        results[key].floor = f;
        log(`  ${key}: floor ${f.throughput.toFixed(0)} req/s p50 ${f.p50.toFixed(2)} ms`);
      }
    }
  }
  // The 401 path: POST /mcp without a token, against a plain POST to the trivial Worker.
  const anonymous = mcpRequest(PROTOCOL_2025);
  const base = { path: '/mcp', headers: anonymous.headers, body: anonymous.body, connections: 8 };
  const t = await measuredLoad(opts, trivial, { ...base, origin: trivial.origin, verify: hasResult });
  const o = await measuredLoad(opts, ours, { ...base, origin: ours.origin, expectStatus: 401 });
  results['401 c=8'] = { trivial: t, ours: o };
  log(`  401 c=8: ours ${o.throughput.toFixed(0)} req/s | trivial ${t.throughput.toFixed(0)} req/s`);
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
async function memoryPhase(opts, trivial, floor, ours, token) {
  const request = mcpRequest(PROTOCOL_2026, token);
  const results = {};
  for (const worker of [trivial, floor, ours]) {
    const load = {
      origin: worker.origin,
      path: '/mcp',
      headers: request.headers,
      body: request.body,
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
 * grants of one user (made by 200 untimed flows with distinct clients).
 */
async function oauthPhase(opts, trivial, ours, round, log) {
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
  const timedFlow = async (jar) => {
    const t0 = performance.now();
    await authorizeWithSession(ours.origin, jar, { clientName: 'bench flow' });
    return performance.now() - t0;
  };
  const runId = Date.now().toString(36);

  // Warm-up of both paths (not timed).
  await fourTrivial();
  await timedFlow(await signIn(ours.origin, `warmup-${runId}-r${round}@bench.example`));

  const trivial0 = [];
  const flow0 = [];
  for (let i = 0; i < opts.oauthRuns; i++) {
    trivial0.push(await fourTrivial());
    const jar = await signIn(ours.origin, `fresh-${runId}-r${round}-${i}@bench.example`);
    flow0.push(await timedFlow(jar));
  }

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

  const trivial200 = [];
  const flow200 = [];
  for (let i = 0; i < opts.oauthRuns; i++) {
    trivial200.push(await fourTrivial());
    flow200.push(await timedFlow(jar));
  }
  return {
    trivial0: median(trivial0),
    flow0: median(flow0),
    trivial200: median(trivial200),
    flow200: median(flow200),
    samples: { trivial0, flow0, trivial200, flow200, grantBuildMs: buildMs },
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

/** A target row's result: `pass` true or false, and the target text. */
const judged = (target, pass) => ({ target, pass });

function summaryRows(result) {
  const rows = [];
  const rounds = result.rounds;
  const eraLabel = { 2026: '2026-07-28', 2025: '2025-era' };
  for (const era of ['2026', '2025']) {
    const label = eraLabel[era];
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
      const above = median(
        rounds.map((r) => load(r).ours.threadCpuMsPerRequest - load(r).floor.threadCpuMsPerRequest),
      );
      const floorThread = median(rounds.map((r) => load(r).floor.threadCpuMsPerRequest));
      rows.push({
        figure: `  ours vs floor: ${label} c=${c} Worker thread CPU/request`,
        unit: 'ms',
        ours: thread.ours,
        trivial: floorThread,
        trivialLabel: `${floorThread.toFixed(2)} ms (floor)`,
        ratioLabel: `${above >= 0 ? '+' : '−'}${Math.abs(above).toFixed(2)} ms`,
        ...judged(`≤ floor + ${TARGETS.threadCpuAboveFloorMs} ms`, above <= TARGETS.threadCpuAboveFloorMs),
      });
    }
  }
  // The 2025 era against the 2026-07-28 era, ours, at the targeted concurrency levels.
  for (const c of FLOOR_CONCURRENCY) {
    const gap = across(rounds, (r) => ({
      ours: r.mcp[`mcp 2025 c=${c}`].ours.throughput,
      trivial: r.mcp[`mcp 2026 c=${c}`].ours.throughput,
    }));
    rows.push({
      figure: `2025-era vs 2026-07-28 c=${c} throughput (ours)`,
      unit: 'req/s',
      ...gap,
      trivialLabel: `${gap.trivial.toFixed(0)} req/s (2026-07-28)`,
      ...judged(`within ${TARGETS.eraGap * 100} %`, Math.abs(gap.ratio - 1) <= TARGETS.eraGap),
    });
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
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Main

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** JSONC to JSON: drops comments outside strings and trailing commas. */
function parseJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      const end = /"(?:[^"\\]|\\.)*"/y;
      end.lastIndex = i;
      const match = end.exec(text);
      if (!match) throw new Error('unterminated string in JSONC');
      out += match[0];
      i += match[0].length - 1;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) throw new Error('unterminated comment in JSONC');
    } else out += char;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
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

const running = new Set();

async function stopAll() {
  await Promise.all([...running].map((worker) => worker.stop().catch(() => {})));
  running.clear();
}

async function start(name) {
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
          config: benchConfig(),
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

  log('bundle: wrangler deploy --dry-run (ours, trivial)…');
  result.bundle = { ours: await bundleSize(), trivial: await bundleSize(TRIVIAL_CONFIG) };

  result.startup = { trivial: [], ours: [] };
  result.rounds = [];
  for (let round = 1; round <= opts.rounds; round++) {
    log(`round ${round}/${opts.rounds}: starting the Workers (trivial, floor, ours)…`);
    const trivial = await start('trivial');
    const floor = await start('floor');
    const ours = await start('ours');
    result.startup.trivial.push(trivial.startupMs);
    result.startup.ours.push(ours.startupMs);
    const rssStart = { trivial: trivial.memory().workerRss, ours: ours.memory().workerRss };
    log(`  start-up: trivial ${trivial.startupMs.toFixed(0)} ms, ours ${ours.startupMs.toFixed(0)} ms`);

    const { accessToken: token } = await obtainAccessToken(ours.origin, {
      email: `bench-r${round}@bench.example`,
    });
    const session = await session2025(ours.origin, token);
    if (session['Mcp-Session-Id'])
      log('  2025 era: the server asked for a session; calls carry its Mcp-Session-Id');
    await checkRequests(ours, trivial, token, session);

    log('  memory…');
    const memory = await memoryPhase(opts, trivial, floor, ours, token);
    log('  tools/call on /mcp and the 401 path…');
    const mcp = await mcpLoads(opts, trivial, floor, ours, token, session, log);
    log('  SSE…');
    const sse = await sseLoads(opts, trivial, ours, token, log);
    log('  OAuth flow…');
    const oauth = await oauthPhase(opts, trivial, ours, round, log);
    const rssEnd = { trivial: trivial.memory().workerRss, ours: ours.memory().workerRss };
    result.rounds.push({
      round,
      rssStart,
      rssEnd,
      memory,
      mcp,
      sse,
      oauth,
      session2025: Boolean(session['Mcp-Session-Id']),
    });

    await stop(trivial);
    await stop(floor);
    await stop(ours);
  }
  // Start-up is timed in every round; a run of fewer rounds adds start-only samples.
  while (result.startup.ours.length < opts.startupSamples) {
    log('start-up sample…');
    const trivial = await start('trivial');
    await stop(trivial);
    const ours = await start('ours');
    await stop(ours);
    result.startup.trivial.push(trivial.startupMs);
    result.startup.ours.push(ours.startupMs);
  }

  result.environment.loadavgAtEnd = loadavg();
  result.finishedAt = new Date().toISOString();
  result.targets = TARGETS;
  result.summary = summaryRows(result);
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
    failed.length === 0 ? 'All targets met.' : `Targets missed (${failed.length}): ${failed.join('; ')}.`,
  );
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

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll().finally(() => process.exit(130));
  });
}

main()
  .then(async (status) => {
    await stopAll();
    process.exit(status);
  })
  .catch(async (error) => {
    console.error(`bench failed: ${error?.stack ?? error}`);
    await stopAll();
    process.exit(1);
  });
