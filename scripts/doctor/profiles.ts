/**
 * The MCP clients people use, as each is documented or captured to behave against a remote server:
 * how it registers, which `resource` it names, its redirect URI, the headers it sends, the protocol
 * version it speaks. One list for `npm run doctor` (scripts/doctor/doctor.ts) and the client-profile
 * tests (test/e2e/clients.test.ts, test/clients.test.ts). Sources are in each entry; re-check them
 * when a client changes.
 */

/** How a client obtains its client id. */
export type Registration =
  /** Dynamic Client Registration (RFC 7591) with this JSON body (`port`: the loopback port it listens on). */
  | { kind: 'dcr'; body: (port: number) => Record<string, unknown> }
  /** A Client ID Metadata Document: the URL is the client id, the document is served there. */
  | { kind: 'cimd'; clientId: string; document: Record<string, unknown> };

export interface ClientProfile {
  /** Short id, for test names and `doctor --client`. */
  id: string;
  name: string;
  /** Where each fact comes from. */
  sources: string[];
  /** An address the client's requests come from (`CF-Connecting-IP`): hosted clients share a few. */
  address: string;
  registration: Registration;
  /**
   * The redirect URI it authorizes with. `port` is the loopback port a native client picked (an
   * ephemeral one for VS Code and Goose), ignored by hosted clients.
   */
  redirectUri: (port: number) => string;
  /** What it sends as `resource` (RFC 8707): the MCP URL it was given, or the origin. */
  resource: 'mcp-url' | 'origin';
  /** Headers on discovery, registration and token requests (the back channel). */
  backChannelHeaders: Record<string, string>;
  /** Headers on MCP requests. */
  mcpHeaders: Record<string, string>;
  /** The protocol version it asks for first. */
  protocolVersion: '2025-06-18' | '2025-11-25' | '2026-07-28';
  clientInfo: { name: string; version: string };
  /** Whether it refreshes with `client_secret_post` (a confidential client) or as a public client. */
  confidential: boolean;
  /** How a user connects it: what the README says. */
  connect: string;
}

const CLAUDE_CALLBACK = 'https://claude.ai/api/mcp/auth_callback';

/** What Claude's hosted backend does however it registers: its callback, resource and headers. */
const CLAUDE_BACKEND = {
  redirectUri: () => CLAUDE_CALLBACK,
  resource: 'mcp-url',
  backChannelHeaders: { 'User-Agent': 'python-httpx/0.28.1', 'MCP-Protocol-Version': '2025-11-25' },
  mcpHeaders: { 'User-Agent': 'Claude-User', Origin: 'https://claude.ai' },
  protocolVersion: '2025-11-25',
  clientInfo: { name: 'Anthropic/ClaudeAI', version: '1.0.0' },
  connect: 'Settings → Connectors → Add custom connector, URL https://<host>/mcp',
} as const satisfies Partial<ClientProfile>;

/** Cursor: one public registration with three callbacks; which one a given version uses varies. */
const CURSOR_CALLBACKS = [
  'cursor://anysphere.cursor-mcp/oauth/callback',
  'https://www.cursor.com/agents/mcp/oauth/callback',
  'http://localhost:8787/callback',
];

function cursor(id: string, name: string, address: string, callback: string): ClientProfile {
  return {
    id,
    name,
    sources: ['erp-mafia/accounted#2225 (one public DCR body with three redirect URIs)'],
    address,
    registration: {
      kind: 'dcr',
      body: () => ({
        client_name: 'Cursor',
        redirect_uris: CURSOR_CALLBACKS,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    },
    redirectUri: () => callback,
    resource: 'mcp-url',
    backChannelHeaders: { 'User-Agent': 'Cursor/1.7.0' },
    mcpHeaders: { 'User-Agent': 'Cursor/1.7.0' },
    protocolVersion: '2025-06-18',
    clientInfo: { name: 'cursor-vscode', version: '1.0.0' },
    confidential: false,
    connect: '~/.cursor/mcp.json: { "mcpServers": { "notes": { "url": "https://<host>/mcp" } } }',
  };
}

export const CLIENT_PROFILES: readonly ClientProfile[] = [
  {
    id: 'claude',
    name: 'Claude (claude.ai, Desktop and mobile connectors)',
    sources: [
      'support.claude.com article 11503834 (callback URLs, client name)',
      'anthropics/claude-ai-mcp#1043 (DCR body with client_secret_post, python-httpx/0.28.1, 160.79.104.0/21)',
      'PostHog/posthog#48397 (captured DCR body)',
      'claude.com connector docs, "Audience mismatch" (resource = the MCP URL, path included)',
      'SocketDev/socket-mcp#214 (Origin: https://claude.ai on MCP requests)',
    ],
    address: '160.79.104.10',
    registration: {
      kind: 'dcr',
      body: () => ({
        redirect_uris: [CLAUDE_CALLBACK],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_name: 'Claude',
      }),
    },
    ...CLAUDE_BACKEND,
    confidential: true,
  },
  {
    id: 'claude-cimd',
    name: 'Claude, with its Client ID Metadata Document',
    sources: [
      'anthropics/claude-ai-mcp: CIMD chosen when the server advertises client_id_metadata_document_supported and none',
    ],
    address: '160.79.104.11',
    registration: {
      kind: 'cimd',
      clientId: 'https://claude.ai/oauth/mcp-oauth-client-metadata',
      document: {
        client_id: 'https://claude.ai/oauth/mcp-oauth-client-metadata',
        client_name: 'Claude',
        redirect_uris: [CLAUDE_CALLBACK, 'https://claude.com/api/mcp/auth_callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    },
    ...CLAUDE_BACKEND,
    confidential: false,
  },
  {
    id: 'chatgpt',
    name: 'ChatGPT (developer mode, apps)',
    sources: [
      'OpenAI Apps SDK, authentication (redirect URIs, resource on authorize and token, CIMD preferred, DCR otherwise)',
      'koala73/worldmonitor#4802, actionhero/keryx#499, chrisdoc/hevy-mcp#720 (Origin: https://chatgpt.com)',
      'CLIENTS.md (User-Agent openai-mcp/1.0.0, 2026-07-28 with server/discover)',
    ],
    address: '52.230.152.10',
    registration: {
      kind: 'dcr',
      body: () => ({
        client_name: 'ChatGPT',
        redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    },
    redirectUri: () => 'https://chatgpt.com/connector_platform_oauth_redirect',
    resource: 'mcp-url',
    backChannelHeaders: { 'User-Agent': 'openai-mcp/1.0.0' },
    mcpHeaders: { 'User-Agent': 'openai-mcp/1.0.0', Origin: 'https://chatgpt.com' },
    protocolVersion: '2026-07-28',
    clientInfo: { name: 'openai-mcp', version: '1.0.0' },
    confidential: false,
    connect:
      'Settings → Apps & Connectors → Advanced → Developer mode, then Create: URL https://<host>/mcp, OAuth',
  },
  cursor(
    'cursor',
    'Cursor (its cursor:// callback)',
    '198.51.100.20',
    'cursor://anysphere.cursor-mcp/oauth/callback',
  ),
  cursor(
    'cursor-https',
    'Cursor (its https callback)',
    '198.51.100.21',
    'https://www.cursor.com/agents/mcp/oauth/callback',
  ),
  {
    id: 'vscode',
    name: 'VS Code',
    sources: [
      'microsoft/vscode src/vs/base/common/oauth.ts (DCR body: four redirect URIs, application_type native)',
      'microsoft/vscode#278512 (authorizes with http://127.0.0.1:<ephemeral port>/, RFC 8252 §7.3)',
    ],
    address: '198.51.100.30',
    registration: {
      kind: 'dcr',
      body: () => ({
        client_name: 'Visual Studio Code',
        client_uri: 'https://code.visualstudio.com',
        redirect_uris: [
          'https://insiders.vscode.dev/redirect',
          'https://vscode.dev/redirect',
          'http://127.0.0.1/',
          'http://127.0.0.1:33418/',
        ],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      }),
    },
    redirectUri: (port) => `http://127.0.0.1:${port}/`,
    resource: 'mcp-url',
    backChannelHeaders: { 'User-Agent': 'Visual Studio Code/1.106.0' },
    mcpHeaders: { 'User-Agent': 'Visual Studio Code/1.106.0' },
    protocolVersion: '2025-11-25',
    clientInfo: { name: 'Visual Studio Code', version: '1.106.0' },
    confidential: false,
    connect: 'MCP: Add Server → HTTP → https://<host>/mcp (or .vscode/mcp.json)',
  },
  {
    id: 'claude-code',
    name: 'Claude Code',
    sources: [
      'CLIENTS.md: CIMD https://claude.ai/oauth/claude-code-client-metadata, callback http://localhost:<port>/callback',
    ],
    address: '198.51.100.40',
    registration: {
      kind: 'cimd',
      clientId: 'https://claude.ai/oauth/claude-code-client-metadata',
      document: {
        client_id: 'https://claude.ai/oauth/claude-code-client-metadata',
        client_name: 'Claude Code',
        redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    },
    redirectUri: (port) => `http://localhost:${port}/callback`,
    resource: 'mcp-url',
    backChannelHeaders: { 'User-Agent': 'claude-code/2.1.0' },
    mcpHeaders: { 'User-Agent': 'claude-code/2.1.0' },
    protocolVersion: '2025-11-25',
    clientInfo: { name: 'claude-code', version: '2.1.0' },
    confidential: false,
    connect: 'claude mcp add --transport http notes https://<host>/mcp, then /mcp to sign in',
  },
  {
    id: 'goose',
    name: 'Goose',
    sources: ['CLIENTS.md: DCR with random loopback ports'],
    address: '198.51.100.50',
    registration: {
      kind: 'dcr',
      body: (port) => ({
        client_name: 'goose',
        redirect_uris: [`http://localhost:${port}/oauth_callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    },
    redirectUri: (port) => `http://localhost:${port}/oauth_callback`,
    resource: 'mcp-url',
    backChannelHeaders: { 'User-Agent': 'goose/1.47.0' },
    mcpHeaders: { 'User-Agent': 'goose/1.47.0' },
    protocolVersion: '2025-06-18',
    clientInfo: { name: 'goose', version: '1.47.0' },
    confidential: false,
    connect: 'goose configure → Add Extension → Remote Extension (Streamable HTTP) → https://<host>/mcp',
  },
];

/** A profile by id; throws for an unknown one (a typo in a test or a `--client` flag). */
export function profile(id: string): ClientProfile {
  const found = CLIENT_PROFILES.find((candidate) => candidate.id === id);
  if (!found)
    throw new Error(`No client profile "${id}". Known: ${CLIENT_PROFILES.map((p) => p.id).join(', ')}`);
  return found;
}

/** The `resource` a profile names for an MCP server at `mcpUrl`. */
export function resourceFor(client: ClientProfile, mcpUrl: string): string {
  return client.resource === 'mcp-url' ? mcpUrl : new URL(mcpUrl).origin;
}
