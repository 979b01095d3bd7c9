import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/**
 * Unit and integration tests, run inside workerd with the Worker of wrangler.jsonc (its KV
 * namespace and SSE Durable Object, local). The end-to-end tests under test/e2e/ run in Node
 * against `wrangler dev` (`npm run test:e2e`), not here.
 */
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.jsonc' } })],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // A whole OAuth flow is a dozen requests; the first test of a file also loads the Worker.
    testTimeout: 20_000,
    maxWorkers: 2,
  },
});
