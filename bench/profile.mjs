#!/usr/bin/env node
/**
 * `npm run profile`: a CPU profile of our Worker's isolate during a tools/call load (or, with
 * `--flows N`, during OAuth flows of signed-in users), with the
 * self time of each sample attributed to the source file of the bundle it falls in (through the
 * bundle's source map) and grouped by part: the OAuth library, the MCP SDK, zod, hono,
 * oauth4webapi, our src/ files, wrangler's middleware, V8. It is the profile of docs/performance.md
 * ("Where a tools/call spends its time"), reproducible. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/e2e/support/server.ts';
import { authorizeWithSession, obtainAccessToken, signIn } from '../test/e2e/support/token.ts';
import { connectInspector, inspectorWebSocketUrl } from './lib/inspector.mjs';
import { httpLoad } from './lib/load.mjs';
import {
  checkToolsCall,
  hasResult,
  isComplete,
  mcpRequest,
  PROTOCOL_2025,
  PROTOCOL_2026,
  session2025,
} from './lib/mcp.mjs';
import { formatNumber } from './lib/report.mjs';
import { benchConfig, ROOT, runMain, startWorker } from './lib/server.mjs';

const HELP = `Usage: npm run profile [-- options]

  --requests N       tools/call requests during the profile (default 1500)
  --concurrency C    requests in flight (default 8)
  --era 2026|2025    the protocol era of the calls (default 2026: 2026-07-28, stateless;
                     2025: 2025-11-25, with a session if the server asks for one)
  --interval-us U    the profiler's sampling interval in microseconds (default 500)
  --warmup N         requests (or flows) before the profile starts, not profiled (default 300;
                     20 with --flows)
  --flows N          profile N OAuth flows instead of tools/call: a signed-in user's app
                     registers, gets the consent page, is allowed, redeems its code (the bench's
                     "OAuth flow"; the sign-ins are made before and not profiled)
  --top N            functions listed by self time (default 25)
  --json FILE        also write the grouping (parts, our files, packages, functions) to FILE
  --results DIR      where to write the .cpuprofile (default bench/results)
  --help             this text

Prints the parts of the isolate's busy time and the top functions by self time, and writes
<DIR>/profile-<time>.cpuprofile (open it in Chrome DevTools, Performance panel). Exit status 0
when the run completed, 1 when it broke. See bench/README.md.`;

/** Wrangler's Node process prints a line per request without this (bench/run.mjs says why). */
const WRANGLER_DEV_FLAGS = ['--log-level', 'warn'];

/** V8's pseudo-frames: no script, counted as themselves. `(idle)` is not busy time. */
const V8_PARTS = ['(program)', '(garbage collector)'];
const IDLE = '(idle)';
const NATIVE = 'native/unattributed';
const OURS = 'ours (src/)';
const WRANGLER = "wrangler's middleware";
const RATE_LIMIT = 'rate-limit binding (local)';
const MCP = '@modelcontextprotocol/*';
/** The parts, in the table's order; packages not named here get a row of their own after them. */
const PACKAGE_PARTS = ['@cloudflare/workers-oauth-provider', MCP, 'zod', 'hono', 'oauth4webapi'];

function options() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '8' },
      era: { type: 'string', default: '2026' },
      'interval-us': { type: 'string', default: '500' },
      warmup: { type: 'string' },
      flows: { type: 'string' },
      top: { type: 'string', default: '25' },
      json: { type: 'string' },
      results: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const integer = (name, min, max) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  if (values.era !== '2026' && values.era !== '2025') throw new Error('--era must be 2026 or 2025');
  const flows = values.flows === undefined ? 0 : integer('flows', 1, 100_000);
  return {
    flows,
    requests: integer('requests', 1, 1_000_000),
    concurrency: integer('concurrency', 1, 256),
    era: values.era === '2026' ? PROTOCOL_2026 : PROTOCOL_2025,
    intervalUs: integer('interval-us', 50, 100_000),
    warmup: values.warmup === undefined ? (flows > 0 ? 20 : 300) : integer('warmup', 0, 1_000_000),
    top: integer('top', 0, 1000),
    json: values.json ? resolve(values.json) : undefined,
    resultsDir: values.results ? resolve(values.results) : join(ROOT, 'bench/results'),
  };
}

// ---------------------------------------------------------------------------------------------
// Attribution

/** The package a path inside node_modules belongs to (the innermost node_modules), or undefined. */
function packageOf(path) {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [first, second] = path.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

/**
 * The part and the short file name of a source file of the bundle (an absolute path): a package,
 * our src/ (by file), or wrangler's middleware (its templates and the files it generates under
 * .wrangler/tmp).
 */
function classifySource(path) {
  const pkg = packageOf(path);
  if (pkg) {
    const file = `${pkg}/${path.slice(path.lastIndexOf(`node_modules/${pkg}/`) + `node_modules/${pkg}/`.length)}`;
    if (pkg === 'wrangler' || pkg === 'miniflare') return { part: WRANGLER, file };
    return { part: pkg.startsWith('@modelcontextprotocol/') ? MCP : pkg, pkg, file };
  }
  const file = relative(ROOT, path);
  if (file.startsWith('src/')) return { part: OURS, file };
  if (path.includes('/.wrangler/tmp/') || path.includes('/wrangler/templates/')) {
    return { part: WRANGLER, file: path.slice(path.lastIndexOf('/.wrangler/tmp/') + 1) };
  }
  return { part: `other: ${file}`, file };
}

/** The local rate-limit binding's module (miniflare's), which runs in the Worker's isolate. */
const isRateLimitScript = (url) => /ratelimit/i.test(url ?? '');

/**
 * A script that is the runtime's own (workerd's JavaScript built-ins, `node:` and
 * `cloudflare-internal:` modules; V8's natives have none): its time, like a native function's,
 * counts for the code that called it.
 */
function isBuiltinScript(url) {
  return !url?.startsWith('file:');
}

/** The source map of a script (its `sourceMapURL`: a file next to the bundle or a data: URL). */
function loadSourceMap(script) {
  if (!script.sourceMapURL) return undefined;
  const mapUrl = new URL(script.sourceMapURL, script.url);
  let payload;
  if (mapUrl.protocol === 'data:') {
    const comma = mapUrl.href.indexOf(',');
    const data = mapUrl.href.slice(comma + 1);
    const base64 = mapUrl.href.slice(0, comma).endsWith(';base64');
    payload = JSON.parse(base64 ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data));
  } else if (mapUrl.protocol === 'file:') {
    payload = JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8'));
  } else return undefined;
  return { map: new SourceMap(payload), base: mapUrl };
}

/**
 * A resolver from a profile node's call frame to where it is: `{ part, file, line, name }`, or
 * `{ builtin: true }` for natives and built-ins (their time goes to their caller). Frames of a
 * script with a source map (the bundle) are mapped back to their source file, and their name
 * (minified in the bundle) to the original one; the local rate-limit binding's module is a part
 * of its own.
 */
function frameResolver(scripts) {
  const maps = new Map();
  const cache = new Map();
  const mapOf = (script) => {
    if (!maps.has(script.scriptId)) {
      let loaded;
      try {
        loaded = loadSourceMap(script);
      } catch (error) {
        console.error(`warning: no source map for ${script.url}: ${error?.message ?? error}`);
      }
      maps.set(script.scriptId, loaded);
    }
    return maps.get(script.scriptId);
  };
  const locate = (frame) => {
    const script = scripts.get(frame.scriptId);
    const name = frame.functionName || '(anonymous)';
    if (frame.scriptId === '0' || !frame.url) return { builtin: true, file: '(native)', name };
    if (isRateLimitScript(frame.url) || isRateLimitScript(script?.url)) {
      return { part: RATE_LIMIT, file: frame.url, line: frame.lineNumber + 1, name };
    }
    if (isBuiltinScript(script?.url ?? frame.url)) {
      return { builtin: true, file: frame.url, line: frame.lineNumber + 1, name };
    }
    const loaded = script ? mapOf(script) : undefined;
    const entry = loaded?.map.findEntry(frame.lineNumber, frame.columnNumber);
    if (!entry?.originalSource) {
      const path = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
      return { ...classifySource(path), line: frame.lineNumber + 1, name };
    }
    const path = fileURLToPath(new URL(entry.originalSource, loaded.base));
    // V8 places a function at its parameters; its name, when it has one, ends just before.
    let original = name;
    if (frame.functionName) {
      const at = frame.columnNumber - frame.functionName.length;
      const named = at >= 0 ? loaded.map.findEntry(frame.lineNumber, at) : undefined;
      if (named?.name && named.generatedLine === frame.lineNumber && named.generatedColumn === at) {
        original = named.name;
      }
    }
    return { ...classifySource(path), line: entry.originalLine + 1, name: original };
  };
  return (frame) => {
    const key = `${frame.scriptId}:${frame.lineNumber}:${frame.columnNumber}:${frame.url}:${frame.functionName}`;
    if (!cache.has(key)) cache.set(key, locate(frame));
    return cache.get(key);
  };
}

/**
 * Self time per sample, in microseconds: the time until the next sample (the last one: until
 * `endTime`), at most twice the sampling interval. workerd samples the isolate only while it
 * runs; a longer gap is time it did not run (or the sampler did not), not time of the sample
 * before it.
 */
function sampleDurations(profile, intervalUs) {
  const { samples, timeDeltas, startTime, endTime } = profile;
  const stamps = new Array(samples.length);
  let t = startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i] ?? 0;
    stamps[i] = t;
  }
  const cap = 2 * intervalUs;
  return stamps.map((stamp, i) =>
    Math.min(cap, Math.max(0, (i + 1 < stamps.length ? stamps[i + 1] : endTime) - stamp)),
  );
}

/**
 * Groups a profile's self time: each sample's node is charged to its part, a native or built-in
 * frame to the nearest caller that is not one. Returns, in ms: by part and by our file (each with
 * the part of it spent in natives and built-ins), by package, and by function.
 */
function attribute(profile, scripts, intervalUs) {
  const resolveFrame = frameResolver(scripts);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const pseudo = (name) => name === IDLE || name === '(root)' || V8_PARTS.includes(name);

  const chargeOf = new Map();
  /** The part (and file) a node's self time counts for. */
  const charge = (id) => {
    if (chargeOf.has(id)) return chargeOf.get(id);
    const node = nodes.get(id);
    const name = node.callFrame.functionName;
    let result;
    if (pseudo(name)) result = { part: name === '(root)' ? NATIVE : name };
    else {
      const where = resolveFrame(node.callFrame);
      if (!where.builtin) result = { part: where.part, file: where.file };
      else {
        const up = parent.get(id);
        const caller = up === undefined ? undefined : charge(up);
        result = caller && !pseudo(nodes.get(up).callFrame.functionName) ? caller : { part: NATIVE };
      }
    }
    chargeOf.set(id, result);
    return result;
  };

  const durations = sampleDurations(profile, intervalUs);
  const parts = new Map();
  const files = new Map();
  const packages = new Map();
  const functions = new Map();
  const add = (map, key, us, native) => {
    const entry = map.get(key) ?? { ms: 0, nativeMs: 0 };
    entry.ms += us / 1000;
    if (native) entry.nativeMs += us / 1000;
    map.set(key, entry);
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    if (!node) continue;
    const us = durations[i];
    const { part, file } = charge(node.id);
    const name = node.callFrame.functionName;
    const where = pseudo(name) ? undefined : resolveFrame(node.callFrame);
    const native = Boolean(where?.builtin);
    add(parts, part, us, native);
    if (part === OURS) add(files, file, us, native);
    if (where?.pkg) add(packages, where.pkg, us, native);
    if (part === IDLE) continue;
    const location = where ? (where.line ? `${where.file}:${where.line}` : where.file) : '';
    add(functions, JSON.stringify([where?.name ?? name, location, part]), us, native);
  }
  const list = (map) => [...map].map(([key, value]) => ({ key, ...value })).sort((a, b) => b.ms - a.ms);
  return {
    samples: profile.samples.length,
    parts,
    files: list(files),
    packages: list(packages),
    functions: list(functions).map(({ key, ms }) => {
      const [name, source, part] = JSON.parse(key);
      return { function: name, source, part, ms };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function markdownTable(header, rows) {
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (values) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const percent = (share) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : 'n/a');

/**
 * The grouping as table rows: the packages' parts, ours with its files under it, wrangler, V8
 * and the unattributed natives, then the total of busy time (everything but `(idle)`).
 */
function summarize(grouping, requests) {
  const { parts, files } = grouping;
  const idleMs = parts.get(IDLE)?.ms ?? 0;
  const busyMs = [...parts].reduce((sum, [part, { ms }]) => (part === IDLE ? sum : sum + ms), 0);
  const row = (part, { ms = 0, nativeMs = 0 } = {}, indent = '') => ({
    part: `${indent}${part}`,
    selfMs: ms,
    nativeMs,
    share: busyMs > 0 ? ms / busyMs : Number.NaN,
    msPerRequest: requests > 0 ? ms / requests : Number.NaN,
  });
  const known = new Set([...PACKAGE_PARTS, OURS, WRANGLER, RATE_LIMIT, ...V8_PARTS, NATIVE, IDLE]);
  const rows = PACKAGE_PARTS.map((part) => row(part, parts.get(part)));
  const others = [...parts].filter(([part]) => !known.has(part)).sort((a, b) => b[1].ms - a[1].ms);
  for (const [part, value] of others) rows.push(row(part, value));
  rows.push(row(OURS, parts.get(OURS)));
  for (const file of files) rows.push(row(file.key, file, '  '));
  for (const part of [RATE_LIMIT, WRANGLER, ...V8_PARTS, NATIVE]) rows.push(row(part, parts.get(part)));
  const total = row('busy time (all but idle)', { ms: busyMs });
  const top = grouping.functions.map((f) => ({ ...f, share: busyMs > 0 ? f.ms / busyMs : Number.NaN }));
  return { busyMs, idleMs, rows, total, top };
}

function render(summary, topCount, unit) {
  const parts = markdownTable(
    ['part', 'self time', 'of which native', 'share of busy time', `per ${unit}`],
    [...summary.rows, summary.total].map((r) => [
      r.part,
      formatNumber(r.selfMs, 'ms'),
      r.nativeMs > 0 ? formatNumber(r.nativeMs, 'ms') : '',
      percent(r.share),
      formatNumber(r.msPerRequest, 'ms'),
    ]),
  );
  const top = markdownTable(
    ['function', 'source', 'counted for', 'self time', 'share'],
    summary.top
      .slice(0, topCount)
      .map((f) => [f.function, f.source, f.part, formatNumber(f.ms, 'ms'), percent(f.share)]),
  );
  return { parts, top };
}

// ---------------------------------------------------------------------------------------------
// Main

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** The profiled work of a tools/call load: `count` calls at the chosen concurrency. */
function toolsCalls(origin, token, session, opts) {
  const era = opts.era === PROTOCOL_2026 ? '2026-07-28' : '2025-era';
  const request = mcpRequest(opts.era, token, session);
  const load = {
    origin,
    path: '/mcp',
    headers: request.headers,
    body: request.body,
    connections: opts.concurrency,
    seconds: 600,
    verify: opts.era === PROTOCOL_2026 ? isComplete : hasResult,
  };
  return {
    count: opts.requests,
    unit: 'request',
    describe: (n) => `${n} ${era} tools/call at c = ${opts.concurrency}`,
    run: (n) => httpLoad({ ...load, maxRequests: n }),
  };
}

/**
 * The profiled work of `--flows N`: the bench's OAuth flow (register → consent page → Allow →
 * token, `authorizeWithSession`), one after another, each by a user signed in before the profile
 * starts (sign-ins are not profiled).
 */
async function oauthFlows(origin, opts, startedAt, log) {
  log(`signing in ${opts.warmup + opts.flows} users (not profiled)…`);
  const jars = [];
  const run = startedAt.getTime().toString(36);
  for (let i = 0; i < opts.warmup + opts.flows; i++) {
    jars.push(await signIn(origin, `flow-${run}-${i}@bench.example`));
  }
  return {
    count: opts.flows,
    unit: 'flow',
    describe: (n) => `${n} OAuth flows of signed-in users (4 requests each)`,
    run: async (n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        await authorizeWithSession(origin, jars.pop(), { clientName: 'profile flow' });
      }
      const seconds = (performance.now() - t0) / 1000;
      return { requests: n, failures: 0, seconds, throughput: n / seconds };
    },
  };
}

let worker;
let inspector;

async function cleanUp() {
  try {
    inspector?.close();
  } catch {}
  inspector = undefined;
  const running = worker;
  worker = undefined;
  await running?.stop().catch(() => {});
}

async function main() {
  const opts = options();
  const log = (line) => console.error(line);
  const startedAt = new Date();

  log('starting our Worker (wrangler dev with an inspector port)…');
  const inspectorPort = await freePort();
  worker = await startWorker({
    name: 'profile',
    config: benchConfig(),
    readyPath: '/.well-known/oauth-authorization-server',
    extraArgs: [...WRANGLER_DEV_FLAGS, '--inspector-port', String(inspectorPort)],
  });
  const { accessToken: token } = await obtainAccessToken(worker.origin, {
    email: `profile-${startedAt.getTime().toString(36)}@bench.example`,
  });
  const session = opts.era === PROTOCOL_2025 ? await session2025(worker.origin, token) : {};
  if (session['Mcp-Session-Id'])
    log('2025 era: the server asked for a session; calls carry its Mcp-Session-Id');
  await checkToolsCall(worker.origin, opts.era, token, session);

  inspector = await connectInspector(await inspectorWebSocketUrl(inspectorPort));
  // The scripts of the isolate (the bundle and its source map among them): V8 reports every
  // script already parsed when the Debugger domain is enabled. Disabled again before profiling.
  const scripts = new Map();
  inspector.on('Debugger.scriptParsed', (script) => scripts.set(script.scriptId, script));
  await inspector.send('Debugger.enable');
  await inspector.send('Debugger.disable');

  const work =
    opts.flows > 0
      ? await oauthFlows(worker.origin, opts, startedAt, log)
      : toolsCalls(worker.origin, token, session, opts);
  if (opts.warmup > 0) {
    log(`warm-up: ${work.describe(opts.warmup)}…`);
    await work.run(opts.warmup);
  }

  log(`profiling: ${work.describe(work.count)}, sampling every ${opts.intervalUs} µs…`);
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: opts.intervalUs });
  await inspector.send('Profiler.start');
  const result = await work.run(work.count);
  const { profile } = await inspector.send('Profiler.stop');
  await inspector.send('Profiler.disable');
  const answered = result.requests + result.failures;
  if (result.failures > Math.max(1, answered * 0.01)) {
    throw new Error(`${result.failures} of ${answered} requests failed (${JSON.stringify(result.statuses)})`);
  }
  if (result.failures > 0) log(`warning: ${result.failures} of ${answered} requests failed`);
  if (!profile?.samples?.length) throw new Error('the profile has no samples');

  // The bundle's source map is read now: wrangler removes its .wrangler/tmp files when it stops.
  const grouping = attribute(profile, scripts, opts.intervalUs);
  const summary = summarize(grouping, result.requests);
  await cleanUp();

  mkdirSync(opts.resultsDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const profileFile = join(opts.resultsDir, `profile-${stamp}.cpuprofile`);
  writeFileSync(profileFile, JSON.stringify(profile));
  if (opts.json) {
    const output = {
      startedAt: startedAt.toISOString(),
      options: { ...opts, wranglerDevFlags: WRANGLER_DEV_FLAGS },
      environment: { node: process.version, cpus: cpus().length, loadavg: loadavg(), gitCommit: gitCommit() },
      load: {
        work: work.describe(result.requests),
        requests: result.requests,
        failures: result.failures,
        seconds: result.seconds,
        throughput: result.throughput,
      },
      profile: {
        file: profileFile,
        samples: profile.samples.length,
        durationMs: (profile.endTime - profile.startTime) / 1000,
        busyMs: summary.busyMs,
        idleMs: summary.idleMs,
      },
      // Self time in ms (and of it, in natives and built-ins) by part, by our file, by package
      // (the bundle's, whichever part it is counted for), by function: the table's figures.
      parts: Object.fromEntries(
        [...grouping.parts].map(([part, { ms, nativeMs }]) => [part, { selfMs: ms, nativeMs }]),
      ),
      ours: Object.fromEntries(
        grouping.files.map(({ key, ms, nativeMs }) => [key, { selfMs: ms, nativeMs }]),
      ),
      packages: Object.fromEntries(
        grouping.packages.map(({ key, ms, nativeMs }) => [key, { selfMs: ms, nativeMs }]),
      ),
      functions: grouping.functions.map(({ function: name, source, part, ms }) => ({
        function: name,
        source,
        part,
        selfMs: ms,
      })),
    };
    mkdirSync(join(opts.json, '..'), { recursive: true });
    writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
  }

  const tables = render(summary, opts.top, work.unit);
  const show = (file) => (file.startsWith(ROOT) ? file.slice(ROOT.length) : file);
  console.log(tables.parts);
  console.log('');
  console.log(
    `${work.describe(result.requests)} in ${result.seconds.toFixed(1)} s` +
      ` (${result.throughput.toFixed(opts.flows > 0 ? 1 : 0)} ${work.unit}s/s); ${profile.samples.length} samples every ${opts.intervalUs} µs;` +
      ` busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms.`,
  );
  console.log(
    'Self time by source file of the bundle (its source map); native and built-in functions count for their caller.',
  );
  if (opts.top > 0) {
    console.log('');
    console.log(tables.top);
  }
  console.log('');
  console.log(`Profile: ${show(profileFile)} (Chrome DevTools, Performance panel: load profile)`);
  if (opts.json) console.log(`Grouping: ${show(opts.json)}`);
  const [load1] = loadavg();
  if (load1 > cpus().length * 0.5) {
    console.log(`Load average ${load1.toFixed(2)} on ${cpus().length} CPUs: other work shared the machine.`);
  }
  return 0;
}

runMain(main, cleanUp, (error) => `profile failed: ${error?.stack ?? error}`);
