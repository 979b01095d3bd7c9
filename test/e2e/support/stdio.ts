import { type ChildProcess, spawn } from 'node:child_process';

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * A process that speaks newline-delimited JSON-RPC on stdin/stdout, as an MCP host (Claude
 * Desktop) drives a stdio server. stdin stays open until {@link StdioPeer.stop}.
 */
export interface StdioPeer {
  child: ChildProcess;
  /** Everything written to stderr so far (mcp-remote logs there). */
  stderr: () => string;
  /** Resolves when stderr contains `text`; rejects if the process exits first or after `timeoutMs`. */
  waitForStderr: (text: string, timeoutMs: number) => Promise<void>;
  notify: (method: string, params?: unknown) => void;
  /** Sends a request and resolves with its response (result or error). */
  request: (method: string, params: unknown, timeoutMs: number) => Promise<JsonRpcMessage>;
  /**
   * The handshake Claude Desktop makes (`initialize` at 2025-06-18, then
   * `notifications/initialized`); resolves with the initialize result, rejects on an error answer.
   */
  initialize: (timeoutMs: number) => Promise<Record<string, unknown>>;
  stop: () => Promise<void>;
}

export function spawnStdioPeer(command: string, args: string[], env: NodeJS.ProcessEnv): StdioPeer {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  let stdoutBuffer = '';
  let nextId = 1;
  const pending = new Map<number, (message: JsonRpcMessage) => void>();
  const stderrWatchers = new Set<() => void>();
  const exitWatchers = new Set<() => void>();

  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    for (const watcher of stderrWatchers) watcher();
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdoutBuffer += chunk;
    let newline = stdoutBuffer.indexOf('\n');
    while (newline >= 0) {
      const line = stdoutBuffer.slice(0, newline).trim();
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      newline = stdoutBuffer.indexOf('\n');
      if (line === '') continue;
      let message: JsonRpcMessage;
      try {
        message = JSON.parse(line) as JsonRpcMessage;
      } catch {
        stderr += `[non-JSON on stdout] ${line}\n`;
        continue;
      }
      if (typeof message.id === 'number' && message.method === undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    }
  });
  child.on('exit', () => {
    for (const watcher of exitWatchers) watcher();
  });
  child.stdin?.on('error', () => {}); // the process may exit before we stop writing

  const write = (message: JsonRpcMessage) => child.stdin?.write(`${JSON.stringify(message)}\n`);

  const exited = () => child.exitCode !== null || child.signalCode !== null;

  const waitFor = <T>(
    what: string,
    timeoutMs: number,
    register: (resolve: (value: T) => void) => () => void,
  ): Promise<T> =>
    new Promise((resolve, reject) => {
      let unregister = () => {};
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.\nstderr:\n${stderr}`));
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        reject(
          new Error(
            `The process exited (${child.exitCode ?? child.signalCode}) before ${what}.\nstderr:\n${stderr}`,
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        unregister();
        exitWatchers.delete(onExit);
      };
      exitWatchers.add(onExit);
      unregister = register((value) => {
        cleanup();
        resolve(value);
      });
      if (exited()) onExit();
    });

  const notify: StdioPeer['notify'] = (method, params) =>
    write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  const request: StdioPeer['request'] = (method, params, timeoutMs) => {
    const id = nextId++;
    const response = waitFor<JsonRpcMessage>(`the answer to ${method} (id ${id})`, timeoutMs, (resolve) => {
      pending.set(id, resolve);
      return () => pending.delete(id);
    });
    write({ jsonrpc: '2.0', id, method, params });
    return response;
  };

  return {
    child,
    stderr: () => stderr,
    waitForStderr: (text, timeoutMs) =>
      waitFor<void>(`"${text}" on stderr`, timeoutMs, (resolve) => {
        const check = () => {
          if (stderr.includes(text)) resolve();
        };
        stderrWatchers.add(check);
        check();
        return () => stderrWatchers.delete(check);
      }),
    notify,
    request,
    initialize: async (timeoutMs) => {
      const answer = await request(
        'initialize',
        {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'claude-ai', version: '0.1.0' },
        },
        timeoutMs,
      );
      if (answer.error || !answer.result)
        throw new Error(`initialize failed: ${JSON.stringify(answer.error)}`);
      notify('notifications/initialized');
      return answer.result;
    },
    stop: async () => {
      child.stdin?.end();
      if (exited() || !child.pid) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
