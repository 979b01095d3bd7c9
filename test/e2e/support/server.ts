import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RunningServer {
  /** Origin, e.g. http://localhost:8791 (localhost, as users and clients write it). */
  url: string;
  port: number;
  /** Everything wrangler printed so far (for failure messages). */
  output: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** wrangler config file; the product's wrangler.jsonc by default. */
  config?: string;
  /** Keep state in this directory (to test a restart); a fresh temporary one by default. */
  stateDir?: string;
  /** Extra `--var NAME:VALUE` pairs. */
  vars?: Record<string, string>;
  /** Listen on this port (to restart on the same origin); a free one by default. */
  port?: number;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the real `wrangler dev` on a free port with its own local state, and waits until it answers. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const ownState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'mcp-state-'));
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', stateDir];
  if (options.config) args.push('--config', options.config);
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`);
  const child: ChildProcess = spawn(join(process.cwd(), 'node_modules/.bin/wrangler'), args, {
    cwd: process.cwd(),
    // wrangler's `#!/usr/bin/env node` must find this Node 22, also when the tests are run with
    // `node --test` directly rather than through npm (which puts node_modules/.bin first).
    env: {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const url = `http://localhost:${port}`;
  // If the test process ends without calling stop() (a crash, Ctrl-C), take wrangler with it:
  // it runs in its own process group, so it would otherwise outlive the run.
  const killOnExit = () => {
    try {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {}
          resolve(undefined);
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    if (ownState) rmSync(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/.well-known/oauth-authorization-server`);
      if (response.ok) return { url, port, output: () => output, stop };
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
}
