import autocannon from 'autocannon';

/**
 * Load generators. Every loop is bounded twice: by a request count and by time, and it only
 * ever talks to the 127.0.0.1 origin it is given.
 */

/** Percentile (nearest rank) of a sorted array of numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

function summarize(latencies, count, elapsedMs, extra) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: count,
    seconds: elapsedMs / 1000,
    throughput: count / (elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN,
    ...extra,
  };
}

function assertLoopback(origin) {
  const { hostname } = new URL(origin);
  if (hostname !== '127.0.0.1') throw new Error(`refusing to load anything but 127.0.0.1 (${origin})`);
}

/**
 * HTTP load with autocannon: `connections` keep-alive connections, each sending `body(id)` (a
 * unique JSON-RPC id per request) as fast as answers come, for `seconds` or `maxRequests`,
 * whichever ends first. `headersFor(id)`, when given, adds headers to the request with that id
 * (the bench rotates the signed-in users' Authorization headers with it). Latencies are
 * autocannon's own per-response times (sub-millisecond, not its integer histogram). A response
 * counts only with `expectStatus` and, when given, `verify(body)` true; anything else is counted
 * in `failures`. With `keepLatencies`, the result also holds every latency (`latencies`), for
 * {@link mergedLoads}.
 */
export async function httpLoad({
  origin,
  path,
  headers,
  body,
  connections,
  seconds,
  maxRequests,
  expectStatus = 200,
  verify,
  headersFor,
  keepLatencies = false,
}) {
  assertLoopback(origin);
  let nextId = 0;
  const latencies = [];
  let good = 0;
  let failures = 0;
  const statuses = {};
  const started = performance.now();
  const instance = autocannon({
    url: `${origin}${path}`,
    connections,
    duration: seconds,
    maxOverallRequests: Math.max(maxRequests, connections),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest(request) {
          nextId += 1;
          const extra = headersFor ? headersFor(nextId) : undefined;
          return {
            ...request,
            ...(extra ? { headers: { ...request.headers, ...extra } } : {}),
            body: body(nextId),
          };
        },
      },
    ],
    ...(verify ? { verifyBody: verify } : {}),
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === expectStatus) {
      latencies.push(responseTime);
      good += 1;
    } else failures += 1;
  });
  // A hard stop a little after the planned end, should autocannon ever hang.
  // autocannon counts its duration in whole seconds: a shorter or fractional load is stopped on time.
  const stop = setTimeout(() => instance.stop(), seconds * 1000);
  const guard = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  const result = await instance;
  clearTimeout(stop);
  clearTimeout(guard);
  const elapsed = performance.now() - started;
  const mismatches = result.mismatches ?? 0;
  return summarize(latencies, Math.max(0, good - mismatches), elapsed, {
    failures: failures + mismatches + (result.errors ?? 0),
    errors: result.errors ?? 0,
    mismatches,
    statuses,
    ...(keepLatencies ? { latencies } : {}),
  });
}

/**
 * Several {@link httpLoad} results of one load (its slices, each run with `keepLatencies`) as one:
 * requests, time and failures added up, percentiles over every latency; `slices` lists each
 * slice's throughput.
 */
export function mergedLoads(parts) {
  const latencies = parts.flatMap((part) => part.latencies ?? []);
  const statuses = {};
  for (const part of parts) {
    for (const [status, count] of Object.entries(part.statuses ?? {})) {
      statuses[status] = (statuses[status] ?? 0) + count;
    }
  }
  const sum = (field) => parts.reduce((total, part) => total + (part[field] ?? 0), 0);
  return summarize(latencies, sum('requests'), sum('seconds') * 1000, {
    failures: sum('failures'),
    errors: sum('errors'),
    mismatches: sum('mismatches'),
    statuses,
    slices: parts.map((part) => Math.round(part.throughput * 10) / 10),
  });
}

/**
 * A fixed-concurrency loop of `concurrency` workers, each awaiting `once(id)` (a unique id per
 * call) until `seconds` or `maxRequests` is reached. Records the latency of each call.
 */
export async function concurrentLoop({ concurrency, seconds, maxRequests, once }) {
  const latencies = [];
  let started = 0;
  let failures = 0;
  let firstError;
  const begin = performance.now();
  const end = begin + seconds * 1000;
  async function worker() {
    while (performance.now() < end && started < maxRequests) {
      started += 1;
      const id = started;
      const t0 = performance.now();
      try {
        await once(id);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failures += 1;
        firstError ??= error;
        if (failures > 50 && failures > latencies.length) break; // plainly broken: stop early
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - begin;
  return summarize(latencies, latencies.length, elapsed, {
    failures,
    error: firstError ? String(firstError.message ?? firstError) : undefined,
  });
}

/** A POST with Node's fetch, answered by 200 and read to the end: the SSE loop's baseline. */
export function fetchPost(origin, path, headers, body) {
  assertLoopback(origin);
  return async (id) => {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers,
      body: body(id),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  };
}

/**
 * A session of the 2024-11-05 HTTP+SSE transport: GET /sse, read `event: endpoint`, then
 * `call(id, message)` posts a message to the endpoint and resolves when the answer with that id
 * arrives on the stream (the latency a client sees).
 */
export async function openSseSession(origin, token) {
  assertLoopback(origin);
  const abort = new AbortController();
  const response = await fetch(`${origin}/sse`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`GET /sse: HTTP ${response.status}`);
  const pending = new Map();
  let resolveEndpoint;
  let rejectEndpoint;
  const endpoint = new Promise((resolve, reject) => {
    resolveEndpoint = resolve;
    rejectEndpoint = reject;
  });
  const decoder = new TextDecoder();
  let buffer = '';
  let closed = false;
  (async () => {
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          handleEvent(event);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {}
    closed = true;
    rejectEndpoint(new Error('SSE stream closed before the endpoint event'));
    for (const { reject } of pending.values()) reject(new Error('SSE stream closed'));
    pending.clear();
  })();

  function handleEvent(event) {
    let type = 'message';
    const data = [];
    for (const line of event.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    if (type === 'endpoint') return resolveEndpoint(data.join('\n'));
    let message;
    try {
      message = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.result !== undefined) waiter.resolve(message);
    else waiter.reject(new Error(`JSON-RPC error ${JSON.stringify(message.error)}`));
  }

  const path = await Promise.race([
    endpoint,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no endpoint event within 10 s')), 10_000)),
  ]);
  const url = new URL(path, origin).href;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

  return {
    endpoint: path,
    /** Posts `message` (JSON text with JSON-RPC id `id`) and waits for its answer on the stream. */
    async call(id, message) {
      if (closed) throw new Error('SSE stream closed');
      const answered = new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('no answer on the stream within 10 s'));
        }, 10_000);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
      answered.catch(() => {});
      const posted = await fetch(url, {
        method: 'POST',
        headers,
        body: message,
        signal: AbortSignal.timeout(10_000),
      });
      await posted.arrayBuffer();
      if (posted.status !== 202) {
        pending.delete(id);
        throw new Error(`POST ${path}: HTTP ${posted.status}`);
      }
      return answered;
    },
    close() {
      abort.abort();
    },
  };
}
