// Static files and protocol routes under the real `wrangler dev`: public/ is served before the
// Worker runs (with public/_headers), while the protocol routes (MCP, OAuth, discovery) skip the
// static-file lookup and go straight to the Worker (`assets.run_worker_first` in wrangler.jsonc).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJsonc } from './support/jsonc.ts';
import { type RunningServer, startServer } from './support/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every path the protocol answers on: MCP (both transports), OAuth and its discovery documents. */
const PROTOCOL_PATHS = [
  '/mcp',
  '/sse',
  '/sse/message',
  '/authorize',
  '/oauth/token',
  '/oauth/register',
  '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-protected-resource/sse',
];

/** Whether `path` matches a `run_worker_first` pattern (`*` matches any run of characters). */
function matches(pattern: string, path: string): boolean {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${source}$`).test(path);
}

/** Whether Cloudflare runs the Worker first for `path`: a positive pattern and no negative one. */
function workerFirst(patterns: string[], path: string): boolean {
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const positive = patterns.filter((p) => !p.startsWith('!'));
  return positive.some((p) => matches(p, path)) && !negative.some((p) => matches(p, path));
}

function publicFiles(dir = join(ROOT, 'public')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? publicFiles(join(dir, entry.name))
      : [`/${relative(join(ROOT, 'public'), join(dir, entry.name))}`],
  );
}

describe('static files and protocol routes', () => {
  const config = parseJsonc(readFileSync(join(ROOT, 'wrangler.jsonc'), 'utf8')) as {
    assets: { run_worker_first?: string[] | boolean };
  };
  const patterns = config.assets.run_worker_first;

  test('every protocol route goes straight to the Worker; no static file does', () => {
    assert.ok(Array.isArray(patterns), 'assets.run_worker_first lists the protocol routes');
    for (const path of PROTOCOL_PATHS)
      assert.ok(workerFirst(patterns, path), `${path} runs the Worker first`);
    const files = publicFiles().filter((file) => file !== '/_headers');
    assert.ok(files.includes('/assets/style.css'), files.join(', '));
    for (const file of files) assert.ok(!workerFirst(patterns, file), `${file} is served before the Worker`);
  });

  test('the conformance build has the same static files, routes and bindings as the product', () => {
    // wrangler.conformance.jsonc is the product plus the suite's fixtures: the e2e tests that run
    // it (conformance, tasks, asking) must meet the product's routing and storage, not their own.
    const conformance = parseJsonc(readFileSync(join(ROOT, 'wrangler.conformance.jsonc'), 'utf8')) as Record<
      string,
      unknown
    >;
    const product = config as unknown as Record<string, unknown>;
    for (const key of [
      'assets',
      'compatibility_date',
      'compatibility_flags',
      'kv_namespaces',
      'durable_objects',
      'migrations',
      'vars',
    ]) {
      assert.deepEqual(conformance[key], product[key], `${key} as in wrangler.jsonc`);
    }
    // Its rate limits are the product's but for the per-user MCP limit (one token runs the suite).
    const limiters = (value: unknown) =>
      (value as { name: string; simple: { period: number } }[]).map(({ name, simple }) => ({
        name,
        period: simple.period,
      }));
    assert.deepEqual(limiters(conformance.ratelimits), limiters(product.ratelimits));
  });

  describe('under wrangler dev', () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await server?.stop();
    });

    test('the stylesheet and the icons are served with the headers of public/_headers', async () => {
      const style = await fetch(`${server.url}/assets/style.css`);
      assert.equal(style.status, 200);
      assert.match(style.headers.get('Content-Type') ?? '', /^text\/css/);
      assert.equal(style.headers.get('Cache-Control'), 'public, max-age=3600');
      await style.arrayBuffer();
      const icon = await fetch(`${server.url}/icons/add.svg`);
      assert.equal(icon.status, 200);
      assert.equal(icon.headers.get('Access-Control-Allow-Origin'), '*');
      await icon.arrayBuffer();
    });

    test("the protocol routes are the Worker's: discovery, the token endpoint, MCP without a token", async () => {
      const metadata = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
      assert.equal(metadata.status, 200);
      assert.equal(
        ((await metadata.json()) as { token_endpoint: string }).token_endpoint,
        `${server.url}/oauth/token`,
      );
      const token = await fetch(`${server.url}/oauth/token`, { method: 'POST' });
      assert.equal(token.status, 400);
      await token.arrayBuffer();
      const mcp = await fetch(`${server.url}/mcp`, { method: 'POST' });
      assert.equal(mcp.status, 401);
      assert.match(mcp.headers.get('WWW-Authenticate') ?? '', /^Bearer /);
      await mcp.arrayBuffer();
    });
  });
});
