import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/**
 * Unit and integration tests, run inside workerd with the Worker of wrangler.jsonc (its KV
 * namespace and SSE Durable Object, local). The end-to-end tests under test/e2e/ run in Node
 * against `wrangler dev` (`npm run test:e2e`), not here.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.jsonc' },
      // The tests sign in, register and call tools far more often than a person does, all from
      // one address: the product's limiters are raised here. test/rate-limits.test.ts swaps in
      // LOW_LIMITER (2 per minute) to reach a limit in a few requests.
      miniflare: {
        // A public host needs SESSION_SECRET (src/auth/session.ts), and the tests use one
        // (https://mcp.example.com). test/pages.test.ts removes it to see the error, and
        // test/faults.test.ts to reach the key kept in KV on a loopback host.
        bindings: { SESSION_SECRET: 'test-session-secret-not-for-production-0123456789' },
        ratelimits: {
          ...Object.fromEntries(
            [
              'SIGN_IN_IP_LIMITER',
              'SIGN_IN_ACCOUNT_LIMITER',
              'REGISTER_IP_LIMITER',
              'REGISTER_GLOBAL_LIMITER',
              'TOKEN_CLIENT_LIMITER',
              'MCP_USER_LIMITER',
              'TOKEN_ADDRESS_LIMITER',
              'AUTHORIZE_IP_LIMITER',
            ].map((name, index) => [
              name,
              { namespace_id: String(9001 + index), simple: { limit: 100_000, period: 60 } },
            ]),
          ),
          LOW_LIMITER: { namespace_id: '9100', simple: { limit: 2, period: 60 } },
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // A whole OAuth flow is a dozen requests; the first test of a file also loads the Worker.
    testTimeout: 20_000,
    maxWorkers: 2,
  },
});
