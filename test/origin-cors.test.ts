import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTED_CLIENT_ORIGINS } from '../src/mcp/hosted-origins';
import { send } from './support/browser';
import { initializeRequest, mcpPost } from './support/mcp';
import { accessToken } from './support/oauth';
import { workerWith } from './support/worker';

/**
 * `Origin` on the MCP routes (MCP transports: validate it, 403 when invalid) and CORS for the
 * browser clients whose origin is valid: the hosted clients', this server's, `ALLOWED_ORIGINS`,
 * and on a loopback host the local tools'.
 */
let token: string;

beforeAll(async () => {
  token = await accessToken('origin-cors@example.com');
});

function preflight(path: string, origin: string, fetcher?: Parameters<typeof send>[3], base?: string) {
  return send(
    path,
    {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type, mcp-protocol-version, mcp-session-id',
      },
    },
    base,
    fetcher,
  );
}

describe('valid origins', () => {
  it.each(HOSTED_CLIENT_ORIGINS.map((entry) => [entry.client, entry.origin]))(
    '%s (%s) is served, with CORS for that origin alone',
    async (_client, origin) => {
      const response = await mcpPost(initializeRequest(), { token, headers: { Origin: origin } });
      expect(response.status).toBe(200);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(origin);
      const exposed = (response.headers.get('Access-Control-Expose-Headers') ?? '').split(/,\s*/);
      expect(exposed).toEqual(
        expect.arrayContaining(['WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version']),
      );
      expect(response.headers.get('Vary')).toContain('Origin');
    },
  );

  it('a hosted origin is valid on a public host too (ChatGPT on a deployed server)', async () => {
    const response = await send(
      '/mcp',
      {
        method: 'POST',
        headers: { Origin: 'https://chatgpt.com', 'Content-Type': 'application/json' },
        body: JSON.stringify(initializeRequest()),
      },
      'https://mcp.example.com',
    );
    // Not 403: the token check answers (401), and the browser may read its challenge.
    expect(response.status).toBe(401);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('https://chatgpt.com');
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('WWW-Authenticate');
  });

  it('the preflight of an allowed origin allows the MCP headers and methods', async () => {
    for (const path of ['/mcp', '/sse', '/sse/message?sessionId=0123456789abcdef0123456789abcdef']) {
      const response = await preflight(path, 'https://claude.ai');
      expect(response.status).toBe(204);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe('https://claude.ai');
      const allowed = (response.headers.get('Access-Control-Allow-Headers') ?? '').split(/,\s*/);
      expect(allowed).toEqual(
        expect.arrayContaining([
          'Authorization',
          'Content-Type',
          'Mcp-Protocol-Version',
          'Mcp-Session-Id',
          'Mcp-Method',
          'Mcp-Name',
          'Last-Event-ID',
        ]),
      );
      expect(allowed).not.toContain('*');
      expect(response.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    }
  });

  it('ALLOWED_ORIGINS adds origins (comma-separated, spaces and a trailing slash forgiven)', async () => {
    const fetcher = workerWith({ ALLOWED_ORIGINS: 'https://app.example.com/ , https://other.example.org' });
    for (const origin of ['https://app.example.com', 'https://other.example.org']) {
      const response = await mcpPost(initializeRequest(), { token, headers: { Origin: origin }, fetcher });
      expect(response.status).toBe(200);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(origin);
    }
    const refused = await mcpPost(initializeRequest(), {
      token,
      headers: { Origin: 'https://app.example.com.evil.example' },
      fetcher,
    });
    expect(refused.status).toBe(403);
  });

  it("on a loopback host, local tools' origins are valid (MCP Inspector's UI on another port)", async () => {
    for (const origin of ['http://localhost:6274', 'http://127.0.0.1:6274', 'http://[::1]:3000']) {
      const response = await mcpPost(initializeRequest(), { token, headers: { Origin: origin } });
      expect(response.status, origin).toBe(200);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(origin);
    }
  });
});

describe('invalid origins', () => {
  it('an unknown origin gets 403 on the preflight, without any CORS grant', async () => {
    for (const path of ['/mcp', '/sse']) {
      const response = await preflight(path, 'https://evil.example');
      expect(response.status).toBe(403);
      expect(response.headers.has('Access-Control-Allow-Origin')).toBe(false);
      expect(response.headers.has('Access-Control-Allow-Headers')).toBe(false);
    }
  });

  it("on a public host, a localhost origin is someone else's machine: 403", async () => {
    const response = await preflight('/mcp', 'http://localhost:6274', undefined, 'https://mcp.example.com');
    expect(response.status).toBe(403);
    expect(response.headers.has('Access-Control-Allow-Origin')).toBe(false);
  });

  it.each(['null', 'https://chatgpt.com.evil.example', 'http://chatgpt.com', 'https://claude.ai:8443'])(
    'a look-alike origin %s is 403',
    async (origin) => {
      const response = await mcpPost(initializeRequest(), { token, headers: { Origin: origin } });
      expect(response.status).toBe(403);
      expect(response.headers.has('Access-Control-Allow-Origin')).toBe(false);
    },
  );
});
