/**
 * `npm run doctor -- <url> [--json] [--client <id>]`: probes a running MCP server from the outside,
 * as each client in ./profiles.ts would (transport, RFC 9728 discovery, registration, the
 * authorization request, Origin, bot protection), and prints one row per check with a fix for
 * each failure. Exit 1 when a client would fail, 2 for bad usage. Read docs/doctor.md.
 *
 *   npm run doctor -- http://localhost:8787          (npm run dev)
 *   npm run doctor -- https://mcp.example.com/mcp    (a deployment)
 *
 * Nothing is completed: no sign-in, no consent, no token. The registrations of the DCR clients are
 * the only thing left on the server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isLoopbackHostname } from '../../src/lib/hosts.ts';
import { CLIENT_PROFILES, type ClientProfile, type Registration, resourceFor } from './profiles.ts';

type Result = 'PASS' | 'FAIL' | 'WARN' | 'INFO';

interface Row {
  check: string;
  /** Who would notice: a client's name, or a group of clients. */
  clients: string;
  result: Result;
  /** What was seen. */
  detail: string;
  /** What to change, for a row that is not PASS. */
  fix?: string;
  /** The profile id (scripts/doctor/profiles.ts) of a per-client row. */
  profile?: string;
}

type Json = Record<string, unknown>;

interface Target {
  mcpUrl: string;
  origin: string;
  loopback: boolean;
}

/** A plain request's answer: what every other unauthenticated probe of the MCP URL is compared with. */
interface Challenge {
  status: number;
  bearer: boolean;
  params: Record<string, string>;
}

/** What discovery found, for the checks that follow it. */
interface Findings {
  challenge?: Challenge;
  resourceMetadata?: Json;
  authorizationServer?: Json;
}

const USAGE = `Usage: npm run doctor -- <url> [--json] [--client <id>]

  <url>          the server (https://host means https://host/mcp) or its MCP URL (https://host/mcp, https://host/sse)
  --json         print the rows as JSON instead of a table
  --client <id>  only this client's rows: ${CLIENT_PROFILES.map((p) => p.id).join(', ')}
`;

const TIMEOUT_MS = 10_000;
/** The loopback port a native client listens on; VS Code's preferred port (CLIENTS.md). */
const LOOPBACK_PORT = 33418;
const UNKNOWN_ORIGIN = 'https://doctor-unknown-origin.example';
/** A neutral User-Agent for the plain requests, so that only the rows that name one test one. */
const DOCTOR_AGENT = 'mcp-doctor/1.0';
const BOT_PROTECTION_FIX =
  "turn off Block AI bots / add a WAF skip rule for this hostname's /mcp, /.well-known/* and /oauth/* paths";

/** A network failure (refused, DNS, timeout): the row says so instead of the doctor crashing. */
class Unreachable extends Error {}

async function send(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new Unreachable(`could not reach ${url}: ${reasonOf(error)}`);
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A JSON object, or `undefined` for anything else (HTML, an array, nothing). */
function jsonObject(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

async function readJson(response: Response): Promise<Json | undefined> {
  return jsonObject(await response.text());
}

function row(result: Result, check: string, clients: string, detail: string, fix?: string): Row {
  return fix === undefined ? { check, clients, result, detail } : { check, clients, result, detail, fix };
}

/** Runs one check; a network failure or a surprise becomes its FAIL row. */
async function guarded(check: string, clients: string, probe: () => Promise<Row>): Promise<Row> {
  try {
    return await probe();
  } catch (error) {
    if (error instanceof Unreachable) {
      return row(
        'FAIL',
        check,
        clients,
        error.message,
        'start the server, or check the URL, DNS and firewall',
      );
    }
    return row('FAIL', check, clients, `the check failed: ${reasonOf(error)}`, 'run the doctor again');
  }
}

// ---- the people in the rows ----------------------------------------------------------------

/** "Claude" for "Claude (claude.ai, …)"; the id too when the name alone is ambiguous ("Cursor (cursor-https)"). */
function labelOf(profile: ClientProfile): string {
  const short = profile.name.split(/ \(|, /)[0] ?? profile.name;
  const plain = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain(short) === plain(profile.id) ? short : `${short} (${profile.id})`;
}

function shortNames(profiles: readonly ClientProfile[]): string {
  return [...new Set(profiles.map((p) => p.name.split(/ \(|, /)[0] ?? p.name))].join(', ');
}

/** Hosted clients: those that send an `Origin` (they run on claude.ai, chatgpt.com). */
function hostedProfiles(profiles: readonly ClientProfile[]): ClientProfile[] {
  return profiles.filter((p) => p.mcpHeaders.Origin !== undefined);
}

/** Values of one header across profiles, each with the clients that send it. */
function groupBy(
  profiles: readonly ClientProfile[],
  valuesOf: (profile: ClientProfile) => (string | undefined)[],
): Map<string, ClientProfile[]> {
  const groups = new Map<string, ClientProfile[]>();
  for (const profile of profiles) {
    for (const value of new Set(valuesOf(profile))) {
      if (value !== undefined) groups.set(value, [...(groups.get(value) ?? []), profile]);
    }
  }
  return groups;
}

// ---- the unauthenticated MCP request ---------------------------------------------------------

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'mcp-doctor', version: '1.0.0' },
  },
});

/** A client's first request, with no token: `initialize` posted to the MCP URL. */
function mcpProbe(target: Target, headers: Record<string, string>): Promise<Response> {
  return send(target.mcpUrl, {
    method: 'POST',
    headers: {
      'User-Agent': DOCTOR_AGENT,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: INITIALIZE,
  });
}

/** The parameters of a `Bearer` challenge (RFC 6750 §3), or `null` when there is none. */
function bearerChallenge(header: string | null): Record<string, string> | null {
  if (!header || !/^\s*Bearer\b/i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const [, name, quoted, bare] = match;
    if (name) params[name.toLowerCase()] = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1');
  }
  return params;
}

async function challengeOf(response: Response): Promise<Challenge> {
  await response.body?.cancel();
  const params = bearerChallenge(response.headers.get('WWW-Authenticate'));
  return { status: response.status, bearer: params !== null, params: params ?? {} };
}

/** A block page from bot protection: a 403, or HTML where an API answers JSON or nothing. */
function looksBlocked(response: Response): boolean {
  return response.status === 403 || (response.headers.get('Content-Type') ?? '').includes('text/html');
}

// ---- 1. transport -----------------------------------------------------------------------------

function checkTransport(target: Target, hosted: string): Row {
  const url = new URL(target.mcpUrl);
  if (target.loopback) {
    return row(
      'INFO',
      'Transport',
      hosted,
      `${url.host} is a loopback host: local clients only. Hosted clients need a public https URL on port 443: deploy (npm run deploy) or use an https tunnel.`,
    );
  }
  if (url.protocol === 'https:' && url.port === '') {
    return row('PASS', 'Transport', hosted, 'https on port 443');
  }
  return row(
    'FAIL',
    'Transport',
    hosted,
    `${url.protocol}//${url.host}: Claude and ChatGPT connect only to https on port 443`,
    `serve the MCP URL as https://${url.hostname}${url.pathname}`,
  );
}

// ---- 2. discovery (a strict RFC 9728 client) ------------------------------------------------

const STRICT = 'all (strict: VS Code, oauth4webapi)';

async function checkChallenge(target: Target, found: Findings): Promise<Row> {
  const response = await mcpProbe(target, {});
  const blocked = looksBlocked(response);
  const challenge = await challengeOf(response);
  found.challenge = challenge;
  const check = '401 challenge';
  if (challenge.status === 401 && challenge.bearer && challenge.params.resource_metadata) {
    return row(
      'PASS',
      check,
      'all',
      `401, Bearer, resource_metadata ${shorter(challenge.params.resource_metadata, target)}`,
    );
  }
  if (blocked && challenge.status !== 401) {
    return row('FAIL', check, 'all', blockedAnswer(response), BOT_PROTECTION_FIX);
  }
  const seen =
    challenge.status !== 401
      ? `answered ${challenge.status}, not 401`
      : challenge.bearer
        ? 'the Bearer challenge names no resource_metadata'
        : 'no Bearer challenge in WWW-Authenticate';
  return row(
    'FAIL',
    check,
    'all',
    `${seen}: clients cannot find where to sign in`,
    'answer an unauthenticated MCP request with 401 and WWW-Authenticate: Bearer resource_metadata="<origin>/.well-known/oauth-protected-resource<path>" (RFC 9728 §5.1)',
  );
}

/** How a blocked answer looks, for the row: `403 with an HTML page`. */
function blockedAnswer(response: Response): string {
  const html = (response.headers.get('Content-Type') ?? '').includes('text/html');
  return `${response.status}${html ? ' with an HTML page' : ''}`;
}

function checkChallengeScope(found: Findings): Row {
  const scope = found.challenge?.params.scope;
  return row(
    'INFO',
    'Challenge scope',
    'all',
    scope
      ? `the challenge asks for: ${scope}`
      : 'the challenge names no scope: clients ask for scopes_supported',
  );
}

/** A URL on the target's origin as its path, for a narrower column. */
function shorter(url: string, target: Target): string {
  return url.startsWith(`${target.origin}/`) ? url.slice(target.origin.length) : url;
}

/** The path-aware metadata URL of the MCP URL (RFC 9728 §3.1). */
function pathAwareMetadataUrl(target: Target): string {
  const path = new URL(target.mcpUrl).pathname;
  return `${target.origin}/.well-known/oauth-protected-resource${path === '/' ? '' : path}`;
}

async function fetchMetadata(url: string): Promise<{ status: number; document: Json | undefined }> {
  const response = await send(url, { headers: { 'User-Agent': DOCTOR_AGENT, Accept: 'application/json' } });
  return { status: response.status, document: await readJson(response) };
}

async function checkResourceMetadata(target: Target, found: Findings): Promise<Row> {
  const check = 'Resource metadata';
  const url = found.challenge?.params.resource_metadata ?? pathAwareMetadataUrl(target);
  const { status, document } = await fetchMetadata(url);
  if (status !== 200 || !document) {
    return row(
      'FAIL',
      check,
      STRICT,
      `${url} answered ${status}${document ? '' : ', not a JSON object'}`,
      'serve the RFC 9728 metadata document where the challenge points',
    );
  }
  found.resourceMetadata = document;
  if (document.resource !== target.mcpUrl) {
    return row(
      'FAIL',
      check,
      STRICT,
      `resource is ${JSON.stringify(document.resource)}, the MCP URL is ${target.mcpUrl}`,
      'the metadata found through the challenge must name the MCP URL itself as its resource (RFC 9728 §3.3); strict clients stop here',
    );
  }
  return row('PASS', check, STRICT, `resource = ${target.mcpUrl}`);
}

async function checkPathAwareMetadata(target: Target): Promise<Row> {
  const check = 'Path-aware metadata';
  const url = pathAwareMetadataUrl(target);
  const { status, document } = await fetchMetadata(url);
  if (status === 200 && document?.resource === target.mcpUrl)
    return row('PASS', check, 'Claude', shorter(url, target));
  return row(
    'FAIL',
    check,
    'Claude',
    `${url} answered ${status}${document ? `, resource ${JSON.stringify(document.resource)}` : ''}`,
    `serve metadata with resource "${target.mcpUrl}" at ${url}: Claude looks there first`,
  );
}

async function checkRootMetadata(target: Target): Promise<Row> {
  const check = 'Root metadata';
  const url = `${target.origin}/.well-known/oauth-protected-resource`;
  const { status, document } = await fetchMetadata(url);
  const servers = document?.authorization_servers;
  if (status === 200 && Array.isArray(servers) && servers.length > 0) {
    return row(
      'PASS',
      check,
      'older clients',
      `${shorter(url, target)}, resource ${JSON.stringify(document?.resource)}`,
    );
  }
  return row(
    'WARN',
    check,
    'older clients',
    `${url} answered ${status}${document ? ' without authorization_servers' : ''}`,
    'serve RFC 9728 metadata at the root too: clients that ignore the challenge look only there',
  );
}

/** The first issuer the resource metadata names: the one clients use. */
function issuerOf(found: Findings): string | undefined {
  const servers = found.resourceMetadata?.authorization_servers;
  return Array.isArray(servers) && typeof servers[0] === 'string' ? servers[0] : undefined;
}

function checkAuthorizationServers(found: Findings): Row {
  const check = 'authorization_servers';
  const issuer = issuerOf(found);
  if (issuer) return row('PASS', check, 'all', issuer);
  return row(
    'FAIL',
    check,
    'all',
    'the resource metadata names no authorization server',
    'list the issuer in authorization_servers (RFC 9728 §2)',
  );
}

/** Where RFC 8414 §3.1 puts an issuer's metadata: the well-known prefix before the issuer's path. */
function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

async function checkAuthorizationServerMetadata(found: Findings): Promise<Row> {
  const check = 'AS metadata (RFC 8414)';
  const issuer = issuerOf(found);
  if (!issuer) return row('FAIL', check, 'all', 'not looked up: no authorization server named above');
  const url = authorizationServerMetadataUrl(issuer);
  const { status, document } = await fetchMetadata(url);
  if (status !== 200 || !document) {
    return row('FAIL', check, 'all', `${url} answered ${status}`, `serve RFC 8414 metadata at ${url}`);
  }
  if (document.issuer !== issuer) {
    return row(
      'FAIL',
      check,
      'all',
      `issuer is ${JSON.stringify(document.issuer)}, authorization_servers says ${issuer}`,
      'the metadata issuer must equal the value in authorization_servers exactly (RFC 8414 §3.3)',
    );
  }
  found.authorizationServer = document;
  return row('PASS', check, 'all', `issuer = ${issuer}`);
}

function listOf(document: Json | undefined, field: string): string[] {
  const value = document?.[field];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function checkPkce(found: Findings): Row {
  const methods = listOf(found.authorizationServer, 'code_challenge_methods_supported');
  if (methods.includes('S256'))
    return row('PASS', 'PKCE S256', 'all', `code_challenge_methods_supported: ${methods.join(', ')}`);
  return row(
    'FAIL',
    'PKCE S256',
    'all',
    `code_challenge_methods_supported: ${methods.join(', ') || 'absent'}`,
    'advertise S256 in code_challenge_methods_supported: MCP clients refuse a server without it',
  );
}

function checkRegistrationSupport(found: Findings): Row {
  const document = found.authorizationServer;
  const ways = [
    typeof document?.registration_endpoint === 'string' ? 'DCR (registration_endpoint)' : undefined,
    document?.client_id_metadata_document_supported === true ? 'CIMD' : undefined,
  ].filter(Boolean);
  if (ways.length > 0) return row('PASS', 'Client registration', 'all', ways.join(', '));
  return row(
    'FAIL',
    'Client registration',
    'all',
    'neither a registration_endpoint nor client_id_metadata_document_supported',
    'offer Dynamic Client Registration (RFC 7591) or Client ID Metadata Documents: clients have no other way to get a client id',
  );
}

// ---- 3. each client: registration and the authorization request -----------------------------

type CimdRegistration = Extract<Registration, { kind: 'cimd' }>;

interface Registered {
  row: Row;
  clientId?: string;
}

async function registerByDcr(profile: ClientProfile, body: Json, found: Findings): Promise<Registered> {
  const check = 'Registration (DCR)';
  const clients = labelOf(profile);
  const endpoint = found.authorizationServer?.registration_endpoint;
  if (typeof endpoint !== 'string') {
    return {
      row: row(
        'FAIL',
        check,
        clients,
        'no registration_endpoint',
        'this client registers with RFC 7591 Dynamic Client Registration: offer it',
      ),
    };
  }
  const response = await send(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      ...profile.backChannelHeaders,
      'CF-Connecting-IP': profile.address,
    },
    body: JSON.stringify(body),
  });
  const blocked = looksBlocked(response);
  const answer = await readJson(response);
  // Only the id is read: the answer may carry a client secret, which is never printed.
  const clientId = typeof answer?.client_id === 'string' ? answer.client_id : undefined;
  if ((response.status === 201 || response.status === 200) && clientId) {
    return { row: row('PASS', check, clients, `${response.status}, client registered`), clientId };
  }
  if (response.status === 429) {
    return {
      row: row('WARN', check, clients, '429: rate-limited', 'run the doctor again in a minute'),
    };
  }
  if (blocked && !answer) {
    return {
      row: row('FAIL', check, clients, blockedAnswer(response), BOT_PROTECTION_FIX),
    };
  }
  return {
    row: row(
      'FAIL',
      check,
      clients,
      `${response.status} ${oauthError(answer)}`,
      `accept the registration ${labelOf(profile)} sends (scripts/doctor/profiles.ts; policy in src/auth/registration.ts)`,
    ),
  };
}

function oauthError(answer: Json | undefined): string {
  if (!answer) return '(no JSON error)';
  const description = typeof answer.error_description === 'string' ? `: ${answer.error_description}` : '';
  return `${String(answer.error ?? 'error')}${description}`;
}

/** A Client ID Metadata Document client: no request, only what the server advertises (its URL is never fetched here). */
function registerByDocument(
  profile: ClientProfile,
  registration: CimdRegistration,
  found: Findings,
): Registered {
  const check = 'Registration (CIMD)';
  const clients = labelOf(profile);
  const document = found.authorizationServer;
  const method = registration.document.token_endpoint_auth_method;
  // RFC 8414 §2: absent means client_secret_basic only.
  const methods =
    document?.token_endpoint_auth_methods_supported === undefined
      ? ['client_secret_basic']
      : listOf(document, 'token_endpoint_auth_methods_supported');
  if (
    document?.client_id_metadata_document_supported === true &&
    typeof method === 'string' &&
    methods.includes(method)
  ) {
    return {
      row: row('PASS', check, clients, `advertised, with token_endpoint_auth_method ${method}`),
      clientId: registration.clientId,
    };
  }
  const missing =
    document?.client_id_metadata_document_supported !== true
      ? 'client_id_metadata_document_supported is not true'
      : `token_endpoint_auth_methods_supported lacks ${String(method)}`;
  if (typeof document?.registration_endpoint === 'string') {
    return { row: row('INFO', check, clients, `${missing}: the client registers with DCR instead`) };
  }
  return {
    row: row(
      'FAIL',
      check,
      clients,
      `${missing}, and there is no registration_endpoint`,
      'advertise client_id_metadata_document_supported and the method "none", or offer DCR',
    ),
  };
}

/** An S256 code challenge (RFC 7636 §4.2) of a verifier nobody keeps: no code is ever redeemed. */
function codeChallenge(): string {
  return createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
}

function authorizationUrl(
  profile: ClientProfile,
  clientId: string,
  target: Target,
  found: Findings,
): string | undefined {
  const endpoint = found.authorizationServer?.authorization_endpoint;
  if (typeof endpoint !== 'string') return undefined;
  const url = new URL(endpoint);
  const scope = found.challenge?.params.scope ?? listOf(found.resourceMetadata, 'scopes_supported').join(' ');
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: profile.redirectUri(LOOPBACK_PORT),
    state: randomBytes(16).toString('base64url'),
    code_challenge: codeChallenge(),
    code_challenge_method: 'S256',
    ...(scope ? { scope } : {}),
    resource: resourceFor(profile, target.mcpUrl),
  }).toString();
  return url.href;
}

/** The title and first paragraph of an HTML page, as text. */
function pageText(html: string, withMessage = true): string {
  const text = (pattern: RegExp) =>
    (pattern.exec(html)?.[1] ?? '')
      .replace(/<[^>]+>/g, '')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
      .trim();
  const title = text(/<h1[^>]*>([\s\S]*?)<\/h1>/i) || text(/<title>([\s\S]*?)<\/title>/i);
  return [title, withMessage ? text(/<p[^>]*>([\s\S]*?)<\/p>/i) : '']
    .filter(Boolean)
    .join(': ')
    .slice(0, 200);
}

async function checkAuthorization(
  profile: ClientProfile,
  clientId: string,
  target: Target,
  found: Findings,
): Promise<Row> {
  const check = 'Authorization request';
  const clients = labelOf(profile);
  const url = authorizationUrl(profile, clientId, target, found);
  if (!url)
    return row(
      'FAIL',
      check,
      clients,
      'no authorization_endpoint in the metadata',
      'advertise authorization_endpoint (RFC 8414)',
    );
  // As the user's browser opens it: no client headers, no session.
  const response = await send(url, {
    headers: { 'User-Agent': 'Mozilla/5.0 (mcp-doctor)', Accept: 'text/html' },
  });
  const body = await response.text();
  if (response.status === 200)
    return row('PASS', check, clients, `200: ${pageText(body, false) || 'a page'}`);
  if (response.status >= 300 && response.status < 400) return redirectRow(profile, response, url);
  const page = pageText(body) || oauthError(jsonObject(body));
  if (profile.registration.kind === 'cimd' && /metadata document/i.test(body)) {
    return row(
      'WARN',
      check,
      clients,
      `could not be verified from here: the server could not fetch or accept ${clientId} (${response.status})`,
      "the server fetches the client's metadata document from the internet: a server without internet access (an offline wrangler dev) cannot; on a deployment, check that the Worker can fetch it",
    );
  }
  return row('FAIL', check, clients, `${response.status}: ${page}`, authorizationFix(profile, page));
}

function redirectRow(profile: ClientProfile, response: Response, from: string): Row {
  const check = 'Authorization request';
  const clients = labelOf(profile);
  const location = new URL(response.headers.get('Location') ?? '', from);
  const error = location.searchParams.get('error');
  if (error) {
    const description = location.searchParams.get('error_description') ?? '';
    const seen = `redirected to the client with error=${error}${description ? `: ${description}` : ''}`;
    return row('FAIL', check, clients, seen, authorizationFix(profile, error));
  }
  if (location.searchParams.has('code')) {
    return row(
      'FAIL',
      check,
      clients,
      'a code was issued to a browser with no session',
      'the authorization endpoint must sign the user in and ask for consent first',
    );
  }
  return row('PASS', check, clients, `${response.status} to sign in at ${location.origin}`);
}

function authorizationFix(profile: ClientProfile, error: string): string {
  if (/invalid_target|resource/i.test(error)) {
    return `accept resource=${profile.resource === 'mcp-url' ? 'the MCP URL' : 'the origin'} (RFC 8707): list it among the server's resources (src/oauth.ts)`;
  }
  if (/scope/i.test(error)) return 'accept the scopes the 401 challenge names (src/auth/scopes.ts)';
  if (/redirect/i.test(error)) {
    return `accept the redirect URI ${labelOf(profile)} uses, ${profile.redirectUri(LOOPBACK_PORT)} (loopback ports match any port, RFC 8252 §7.3)`;
  }
  return `the request is what ${labelOf(profile)} sends (scripts/doctor/profiles.ts); the server's log has the oauth_error`;
}

async function checkClient(profile: ClientProfile, target: Target, found: Findings): Promise<Row[]> {
  const clients = labelOf(profile);
  const registration = profile.registration;
  let clientId: string | undefined;
  const check = registration.kind === 'dcr' ? 'Registration (DCR)' : 'Registration (CIMD)';
  const registered = await guarded(check, clients, async () => {
    const result =
      registration.kind === 'dcr'
        ? await registerByDcr(profile, registration.body(LOOPBACK_PORT), found)
        : registerByDocument(profile, registration, found);
    clientId = result.clientId;
    return result.row;
  });
  const rows = [{ ...registered, profile: profile.id }];
  const id = clientId;
  if (id === undefined) return rows;
  const authorized = await guarded('Authorization request', clients, () =>
    checkAuthorization(profile, id, target, found),
  );
  return [...rows, { ...authorized, profile: profile.id }];
}

// ---- 4. Origin and CORS ---------------------------------------------------------------------

async function checkHostedOrigin(
  origin: string,
  clients: string,
  target: Target,
  found: Findings,
): Promise<Row> {
  const check = `Origin ${origin}`;
  const response = await mcpProbe(target, { Origin: origin });
  await response.body?.cancel();
  if (response.status === 403) {
    return row(
      'FAIL',
      check,
      clients,
      `403: ${clients} is refused`,
      `allow ${origin} (src/mcp/hosted-origins.ts or ALLOWED_ORIGINS)`,
    );
  }
  const plain = found.challenge?.status;
  if (response.status === plain) return row('PASS', check, clients, `${response.status}, as without Origin`);
  return row(
    'FAIL',
    check,
    clients,
    `answered ${response.status}, ${plain ?? 'nothing'} without Origin`,
    `treat ${origin} like a request without Origin`,
  );
}

async function checkPreflight(origin: string, clients: string, target: Target): Promise<Row> {
  const check = `CORS from ${origin}`;
  const response = await send(target.mcpUrl, {
    method: 'OPTIONS',
    headers: {
      'User-Agent': DOCTOR_AGENT,
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type, mcp-protocol-version',
    },
  });
  await response.body?.cancel();
  const allowOrigin = response.headers.get('Access-Control-Allow-Origin');
  const allowHeaders = (response.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase();
  const missing = ['authorization', 'content-type', 'mcp-protocol-version'].filter(
    (name) => !allowHeaders.includes(name),
  );
  if (response.ok && (allowOrigin === origin || allowOrigin === '*') && missing.length === 0) {
    return row('PASS', check, clients, `${response.status}, Access-Control-Allow-Origin: ${allowOrigin}`);
  }
  const seen = !response.ok
    ? `answered ${response.status}`
    : allowOrigin !== origin && allowOrigin !== '*'
      ? `no Access-Control-Allow-Origin for ${origin}`
      : `Access-Control-Allow-Headers lacks ${missing.join(', ')}`;
  return row(
    'WARN',
    check,
    clients,
    `${seen}: a page on ${origin} cannot call the MCP URL from a browser`,
    `answer the preflight with 204, Access-Control-Allow-Origin: ${origin} and Authorization, Content-Type, Mcp-Protocol-Version allowed (src/mcp/origin.ts)`,
  );
}

async function checkUnknownOrigin(target: Target): Promise<Row> {
  const check = 'Unknown Origin refused';
  const response = await mcpProbe(target, { Origin: UNKNOWN_ORIGIN });
  await response.body?.cancel();
  if (response.status === 403) return row('PASS', check, 'all', `403 for ${UNKNOWN_ORIGIN}`);
  return row(
    'FAIL',
    check,
    'all',
    `${UNKNOWN_ORIGIN} answered ${response.status}: Origin is not validated: DNS rebinding`,
    'answer 403 to an Origin the server does not serve (MCP transports, "Security Warning"; src/mcp/origin.ts)',
  );
}

// ---- 5. user agents (bot protection) --------------------------------------------------------

async function checkUserAgent(agent: string, clients: string, target: Target, found: Findings): Promise<Row> {
  const check = `User-Agent ${agent}`;
  const response = await mcpProbe(target, { 'User-Agent': agent });
  const blocked = looksBlocked(response);
  const challenge = await challengeOf(response);
  const plain = found.challenge;
  if (plain && challenge.status === plain.status && challenge.bearer === plain.bearer && !blocked) {
    return row('PASS', check, clients, `${challenge.status}, as a plain request`);
  }
  if (blocked) {
    return row(
      'FAIL',
      check,
      clients,
      `${blockedAnswer(response)}: ${clients} is blocked (bot protection)`,
      BOT_PROTECTION_FIX,
    );
  }
  return row(
    'FAIL',
    check,
    clients,
    `answered ${challenge.status}${challenge.bearer ? '' : ' without a Bearer challenge'}, a plain request ${plain?.status ?? 'nothing'}`,
    `answer ${agent} like any other client`,
  );
}

// ---- the run ----------------------------------------------------------------------------------

async function diagnose(target: Target, profiles: readonly ClientProfile[]): Promise<Row[]> {
  const found: Findings = {};
  const hosted = hostedProfiles(profiles);
  const rows: Row[] = [checkTransport(target, shortNames(hostedProfiles(CLIENT_PROFILES)))];
  rows.push(await guarded('401 challenge', 'all', () => checkChallenge(target, found)));
  // Nothing answers: every other row would say the same.
  if (!found.challenge) return rows;
  rows.push(checkChallengeScope(found));
  rows.push(await guarded('Resource metadata', STRICT, () => checkResourceMetadata(target, found)));
  rows.push(await guarded('Path-aware metadata', 'Claude', () => checkPathAwareMetadata(target)));
  rows.push(await guarded('Root metadata', 'older clients', () => checkRootMetadata(target)));
  rows.push(checkAuthorizationServers(found));
  rows.push(await guarded('AS metadata (RFC 8414)', 'all', () => checkAuthorizationServerMetadata(found)));
  if (found.authorizationServer) {
    rows.push(checkPkce(found), checkRegistrationSupport(found));
    for (const profile of profiles) rows.push(...(await checkClient(profile, target, found)));
  }
  for (const [origin, group] of groupBy(hosted, (p) => [p.mcpHeaders.Origin])) {
    const clients = shortNames(group);
    rows.push(
      await guarded(`Origin ${origin}`, clients, () => checkHostedOrigin(origin, clients, target, found)),
    );
    rows.push(await guarded(`CORS from ${origin}`, clients, () => checkPreflight(origin, clients, target)));
  }
  rows.push(await guarded('Unknown Origin refused', 'all', () => checkUnknownOrigin(target)));
  const agents = groupBy(hosted, (p) => [p.mcpHeaders['User-Agent'], p.backChannelHeaders['User-Agent']]);
  for (const [agent, group] of agents) {
    const clients = shortNames(group);
    rows.push(
      await guarded(`User-Agent ${agent}`, clients, () => checkUserAgent(agent, clients, target, found)),
    );
  }
  return rows;
}

/** The MCP URL of what the user typed: `https://host` means `https://host/mcp`. */
function targetOf(input: string): Target | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/mcp';
  url.hash = '';
  return { mcpUrl: url.href, origin: url.origin, loopback: isLoopbackHostname(url.hostname) };
}

// ---- output -----------------------------------------------------------------------------------

const COLUMNS = [
  { title: 'CHECK', width: 30 },
  { title: 'CLIENTS', width: 22 },
  { title: 'RESULT', width: 6 },
  { title: 'DETAIL / FIX', width: 56 },
] as const;

/** Words of `text` folded onto lines of at most `width` characters (a longer word is cut). */
function fold(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > width) {
      if (line) lines.push(line);
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
      line = '';
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

function table(rows: readonly Row[]): string {
  const lines = [
    COLUMNS.map((c) => c.title.padEnd(c.width))
      .join('  ')
      .trimEnd(),
  ];
  lines.push(COLUMNS.map((c) => '-'.repeat(c.width)).join('  '));
  for (const entry of rows) {
    const last = [
      ...fold(entry.detail, COLUMNS[3].width),
      ...(entry.fix ? fold(`Fix: ${entry.fix}`, COLUMNS[3].width) : []),
    ];
    const cells = [
      fold(entry.check, COLUMNS[0].width),
      fold(entry.clients, COLUMNS[1].width),
      [entry.result],
      last,
    ];
    const height = Math.max(...cells.map((cell) => cell.length));
    for (let index = 0; index < height; index++) {
      lines.push(
        cells
          .map((cell, column) => (cell[index] ?? '').padEnd(COLUMNS[column]?.width ?? 0))
          .join('  ')
          .trimEnd(),
      );
    }
  }
  return lines.join('\n');
}

function summary(rows: readonly Row[]): string {
  const count = (result: Result) => rows.filter((entry) => entry.result === result).length;
  return `${count('PASS')} passed, ${count('FAIL')} failed, ${count('WARN')} warnings`;
}

function footer(rows: readonly Row[]): string {
  const registered = rows.filter(
    (entry) => entry.check === 'Registration (DCR)' && entry.result === 'PASS',
  ).length;
  return [
    'Nothing was completed: no sign-in, no consent, no token.',
    `Left on the server: ${registered} client registration${registered === 1 ? '' : 's'} (the DCR rows).`,
    'This server drops a registration that obtains no token within a day (src/auth/registration.ts).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`${reasonOf(error)}\n\n${USAGE}`);
    return 2;
  }
  const { target, profiles, json } = parsed;
  const rows = await diagnose(target, profiles);
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    process.stdout.write(
      `MCP doctor: ${target.mcpUrl}\n\n${table(rows)}\n\n${summary(rows)}\n\n${footer(rows)}\n`,
    );
  }
  return rows.some((entry) => entry.result === 'FAIL') ? 1 : 0;
}

function parseCommandLine(argv: string[]): {
  target: Target;
  profiles: readonly ClientProfile[];
  json: boolean;
} {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, client: { type: 'string' } },
  });
  const [input, ...extra] = positionals;
  if (input === undefined) throw new Error('No URL given.');
  if (extra.length > 0) throw new Error(`One URL only (got ${positionals.join(' ')}).`);
  const target = targetOf(input);
  if (!target) throw new Error(`Not an http or https URL: ${input}`);
  const profiles =
    values.client === undefined ? CLIENT_PROFILES : CLIENT_PROFILES.filter((p) => p.id === values.client);
  if (profiles.length === 0) throw new Error(`No client profile "${values.client}".`);
  return { target, profiles, json: values.json };
}

process.exitCode = await main(process.argv.slice(2));
