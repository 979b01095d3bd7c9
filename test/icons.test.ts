import { beforeAll, describe, expect, it } from 'vitest';
import { iconsAt, SERVER_ICONS, svgIcon } from '../src/mcp/icons';
import { send } from './support/browser';
import {
  answerOf,
  initializeRequest,
  type JsonRpcResponse,
  LEGACY_VERSION,
  mcpPost,
  modernCall,
} from './support/mcp';
import { accessToken, connect } from './support/oauth';

/** MCP 2025-11-25 `icons`: the server's in serverInfo, each tool's in tools/list, files of public/icons/. */

const ORIGIN = 'http://localhost';

const SERVER = [
  { src: `${ORIGIN}/icons/server.svg`, mimeType: 'image/svg+xml', sizes: ['any'] },
  { src: `${ORIGIN}/icons/server-48.png`, mimeType: 'image/png', sizes: ['48x48'] },
];

const svg = (name: string) => [
  { src: `${ORIGIN}/icons/${name}.svg`, mimeType: 'image/svg+xml', sizes: ['any'] },
];

const TOOL_ICONS: Record<string, unknown> = {
  add: svg('add'),
  whoami: svg('whoami'),
  notes_create: svg('notes'),
  notes_list: svg('notes'),
  notes_get: svg('notes'),
  notes_search: svg('notes'),
  notes_update: svg('notes'),
  notes_delete: svg('notes'),
};

let token: string;

/** A 2026-07-28 result's serverInfo, which every result carries in its `_meta`. */
function serverInfoOf(answer: JsonRpcResponse): { icons?: unknown } {
  return (answer.result?._meta?.['io.modelcontextprotocol/serverInfo'] ?? {}) as { icons?: unknown };
}

beforeAll(async () => {
  token = await accessToken('icons@example.com');
});

describe('icons in MCP answers', () => {
  it('serverInfo carries the server icons, absolute on the request origin (2025 initialize)', async () => {
    const init = await answerOf(await mcpPost(initializeRequest(1, '2025-11-25'), { token }));
    expect((init.result?.serverInfo as { icons?: unknown } | undefined)?.icons).toEqual(SERVER);
  });

  it('serverInfo carries them on 2026-07-28 too: server/discover and every result', async () => {
    const { answer } = await modernCall(token, 'server/discover');
    expect(serverInfoOf(answer).icons).toEqual(SERVER);
    const { answer: list } = await modernCall(token, 'tools/list');
    expect(serverInfoOf(list).icons).toEqual(SERVER);
  });

  it('every tool of ours lists its icon, on both eras', async () => {
    const { answer } = await modernCall(token, 'tools/list');
    const modern = (answer.result?.tools ?? []) as Array<{ name: string; icons?: unknown }>;
    expect(Object.fromEntries(modern.map((tool) => [tool.name, tool.icons]))).toEqual(TOOL_ICONS);
    await answerOf(await mcpPost(initializeRequest(1, '2025-11-25'), { token }));
    const legacy = await answerOf(
      await mcpPost(
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        { token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
      ),
    );
    const tools = (legacy.result?.tools ?? []) as Array<{ name: string; icons?: unknown }>;
    expect(Object.fromEntries(tools.map((tool) => [tool.name, tool.icons]))).toEqual(TOOL_ICONS);
  });

  it('a token for the /mcp resource gets the same origin in its URLs, on POST /sse too', async () => {
    const { tokens } = await connect('icons-mcp@example.com', { resource: `${ORIGIN}/mcp` });
    const { answer } = await modernCall(tokens.access_token, 'server/discover');
    expect(serverInfoOf(answer).icons).toEqual(SERVER);
    const sse = await answerOf(await mcpPost(initializeRequest(1, '2025-11-25'), { token, path: '/sse' }));
    expect((sse.result?.serverInfo as { icons?: unknown } | undefined)?.icons).toEqual(SERVER);
  });
});

describe('icon files', () => {
  const files = [
    ...new Set(
      [...SERVER, ...Object.values(TOOL_ICONS).flat()].map(
        (icon) => (icon as { src: string; mimeType: string }).src,
      ),
    ),
  ];

  it.each(files)('%s is served with its content type and no credentials needed', async (src) => {
    const response = await send(new URL(src).pathname);
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    if (src.endsWith('.svg')) {
      expect(response.headers.get('Content-Type')).toMatch(/^image\/svg\+xml/);
      const text = new TextDecoder().decode(body);
      expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      // Nothing that runs or loads from elsewhere: a client may render it as it is.
      expect(text).not.toMatch(/<script|on[a-z]+=|href=|<foreignObject|url\(/i);
      expect(body.byteLength).toBeLessThan(1024);
    } else {
      expect(response.headers.get('Content-Type')).toBe('image/png');
      expect([...body.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // IHDR: 48×48, as `sizes` says.
      const view = new DataView(body.buffer);
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([48, 48]);
    }
    // public/_headers: readable by a client on any origin; an SVG opened alone runs nothing.
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(response.headers.get('Content-Security-Policy')).toMatch(/^default-src 'none'/);
  });

  it('a missing icon is a 404', async () => {
    expect((await send('/icons/nothing.svg')).status).toBe(404);
  });
});

describe('iconsAt', () => {
  it('builds absolute URLs on the origin asked for, once per origin', () => {
    const remote = iconsAt('https://mcp.example.com', SERVER_ICONS);
    expect(remote.map((icon) => icon.src)).toEqual([
      'https://mcp.example.com/icons/server.svg',
      'https://mcp.example.com/icons/server-48.png',
    ]);
    expect(iconsAt('https://mcp.example.com', SERVER_ICONS)).toBe(remote);
    expect(Object.isFrozen(remote[0])).toBe(true);
  });

  it('keeps an https URL elsewhere, and refuses plain http on another origin', () => {
    const cdn = [{ src: 'https://cdn.example.com/i.png', mimeType: 'image/png', sizes: ['32x32'] }] as const;
    expect(iconsAt('http://localhost:8787', cdn)[0]?.src).toBe('https://cdn.example.com/i.png');
    expect(() =>
      iconsAt('http://localhost:8787', [{ ...svgIcon('x'), src: '//evil.example/x.svg' }]),
    ).toThrow('must be https or on this server');
  });
});
