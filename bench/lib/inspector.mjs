/**
 * A small Chrome DevTools Protocol client for the V8 inspector `wrangler dev --inspector-port`
 * exposes (Node's global WebSocket, no dependency). Used by `npm run profile` (bench/profile.mjs).
 */

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The DevTools websocket URL of the Worker behind `wrangler dev --inspector-port PORT`, from
 * `/json/list` (polled: wrangler connects its inspector proxy to the runtime after start-up).
 */
export async function inspectorWebSocketUrl(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/json/list`, {
        signal: AbortSignal.timeout(2000),
      });
      const targets = await response.json();
      const target = Array.isArray(targets) ? targets.find((t) => t.webSocketDebuggerUrl) : undefined;
      if (target) return target.webSocketDebuggerUrl;
      last = JSON.stringify(targets);
    } catch (error) {
      last = String(error?.message ?? error);
    }
    await sleep(100);
  }
  throw new Error(`no inspector target on port ${port} within ${timeoutMs} ms (${last})`);
}

/**
 * Connects to a DevTools websocket. `send(method, params)` resolves with the command's result
 * (rejects on a protocol error or after `timeoutMs`); `on(method, listener)` receives events.
 * Wrangler's inspector proxy accepts only a loopback `Origin`, which Node's WebSocket does not
 * send unless told.
 */
export async function connectInspector(url, { timeoutMs = 60_000 } = {}) {
  const socket = new WebSocket(url, { headers: { Origin: 'http://127.0.0.1' } });
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
      once: true,
    });
  });
  let nextId = 0;
  const pending = new Map();
  const listeners = new Map();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    if (message.id !== undefined) {
      // workerd answers some commands (Profiler.enable, .setSamplingInterval, .start) with the
      // command itself, without `result`: an answer all the same.
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
      else waiter.resolve(message.result ?? {});
    } else if (message.method) {
      for (const listener of listeners.get(message.method) ?? []) listener(message.params);
    }
  });
  socket.addEventListener('close', () => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`inspector closed during ${waiter.method}`));
    pending.clear();
  });
  return {
    send(method, params = {}) {
      nextId += 1;
      const id = nextId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (fn) => (value) => {
          clearTimeout(timer);
          fn(value);
        };
        pending.set(id, { method, resolve: done(resolve), reject: done(reject) });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    on(method, listener) {
      if (!listeners.has(method)) listeners.set(method, []);
      listeners.get(method).push(listener);
    },
    close() {
      socket.close();
    },
  };
}
