import type {
  ClientRegistrationCallbackOptions,
  ClientRegistrationCallbackResult,
  OAuthAuthorizationServer,
} from '@cloudflare/workers-oauth-provider';
import { isLoopbackHostname } from '../lib/hosts';
import { log } from '../lib/log';
import { clientAddress, tooManyRequests, withinLimit } from '../lib/rate-limit';
import { readBodyWithin } from '../lib/request-body';
import type { AppEnv } from './env';

/**
 * How long a registration that has not yet obtained a token lives (seconds). The library renews a
 * registration to its full lifetime on a token request once half of it has passed, which a
 * registration this young always has: its first code exchange makes it a 90-day registration.
 */
export const UNUSED_REGISTRATION_TTL = 24 * 60 * 60;

/**
 * `POST /oauth/register` (RFC 7591). Hosted clients (Claude, ChatGPT) register from a few shared
 * addresses for all their users, so the per-address limit is generous (`REGISTER_IP_LIMITER`), and
 * a ceiling over all addresses (`REGISTER_GLOBAL_LIMITER`) bounds a flood. A registration is stored
 * for {@link UNUSED_REGISTRATION_TTL} until it is used, so a flood costs a day of storage at most,
 * and its body is at most {@link REGISTRATION_LIMITS}`.body` bytes, read here before the library
 * reads it (the library alone would take 1 MiB and store every display field of it).
 * Client ID Metadata Document clients never come here: they are not stored and never counted.
 */
export async function serveRegistration(
  request: Request,
  env: AppEnv,
  ctx: ExecutionContext,
  authorizationServer: OAuthAuthorizationServer<Env>,
): Promise<Response> {
  let forwarded = request;
  if (request.method === 'POST') {
    if (!(await withinLimit(env.REGISTER_IP_LIMITER, 'registration_ip', clientAddress(request))))
      return tooManyRequests('Too many client registrations from your address.');
    if (!(await withinLimit(env.REGISTER_GLOBAL_LIMITER, 'registration_global', 'all')))
      return tooManyRequests('This server takes no more client registrations for now.');
    const body = await readBodyWithin(request, READ_TO_EXPLAIN_BYTES);
    if (!body || body.byteLength > REGISTRATION_LIMITS.body) return registrationTooLarge(body);
    forwarded = new Request(request.url, { method: 'POST', headers: request.headers, body });
  }
  return authorizationServer.fetch(forwarded, { ...env, OAUTH_KV: unusedClientTtl(env.OAUTH_KV) }, ctx);
}

/**
 * A body over the limit but under this is read to name the field that makes it large; a larger
 * one (declared or read) is refused without reading the rest.
 */
const READ_TO_EXPLAIN_BYTES = 64 * 1024;

/** 400 `invalid_client_metadata` (RFC 7591 §3.2.2) for a registration body over the limit. */
function registrationTooLarge(body: Uint8Array | null): Response {
  const limit = REGISTRATION_LIMITS.body;
  let description = `A client registration is at most ${limit} bytes; this one is larger.`;
  const largest = body && largestField(body);
  if (body && largest) {
    description = `A client registration is at most ${limit} bytes; this one is ${body.byteLength}, ${largest.bytes} of them in ${largest.field}.`;
  }
  log('warn', 'oauth_error', {
    error: 'invalid_client_metadata',
    status: 400,
    reason: 'registration_too_large',
    bytes: body?.byteLength ?? null,
  });
  return Response.json(
    { error: 'invalid_client_metadata', error_description: description },
    { status: 400, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } },
  );
}

/** The member of a JSON object body that takes the most bytes, for the error message. */
function largestField(body: Uint8Array): { field: string; bytes: number } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  let largest: { field: string; bytes: number } | null = null;
  for (const [field, value] of Object.entries(parsed)) {
    const bytes = jsonBytes(field) + jsonBytes(value);
    if (!largest || bytes > largest.bytes) largest = { field: shortName(field), bytes };
  }
  return largest;
}

/**
 * The KV binding as the library's registration sees it: a new client record (`client:<id>`) is
 * written to expire after {@link UNUSED_REGISTRATION_TTL} instead of the full registration lifetime,
 * with `registrationExpiresAt` to match, so the library's renewal lifts it on first use.
 */
function unusedClientTtl(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, property, receiver) {
      if (property !== 'put') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (key: string, value: string, options?: KVNamespacePutOptions) => {
        if (!key.startsWith('client:') || typeof value !== 'string' || !options?.expirationTtl) {
          return target.put(key, value, options);
        }
        const record = JSON.parse(value) as { registrationExpiresAt?: number };
        const registrationExpiresAt = Math.floor(Date.now() / 1000) + UNUSED_REGISTRATION_TTL;
        return target.put(key, JSON.stringify({ ...record, registrationExpiresAt }), {
          ...options,
          expirationTtl: UNUSED_REGISTRATION_TTL,
        });
      };
    },
  });
}

/**
 * Bounds on what a client may register (RFC 7591 §2): enough for any real client, no more. The
 * library stores every display field it knows (names, URIs, `contacts`, localized `…#<tag>`
 * variants) for up to 90 days, so each is bounded, and the body as a whole: the biggest real
 * registration (VS Code's, scripts/doctor/profiles.ts) is under 400 bytes. Fields the library does
 * not know are not stored, but a large one is refused all the same: nothing real sends one.
 */
export const REGISTRATION_LIMITS = {
  /** The whole JSON body, in bytes. */
  body: 8 * 1024,
  redirectUris: 10,
  uriLength: 2048,
  clientName: 200,
  contacts: 5,
  /** The longest email address there is (RFC 5321 §4.5.3.1 path limit, less the brackets). */
  contactLength: 254,
  /** Items in any other array (`grant_types`, `response_types`…). */
  arrayItems: 10,
  /** Any other field's value, as JSON bytes. */
  otherField: 2048,
  /** A field's name, including a language tag (`client_name#ja-Jpan-JP`). */
  fieldName: 64,
} as const;

/** Fields whose value (and whose localized variants' values, RFC 7591 §2.2) is one URI. */
const URI_FIELDS = new Set([
  'client_uri',
  'logo_uri',
  'policy_uri',
  'tos_uri',
  'jwks_uri',
  'initiate_login_uri',
  'sector_identifier_uri',
]);

/** Schemes that run code or read local data in a browser: never a redirect target. */
const DANGEROUS_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
]);

/**
 * Our registration policy (RFC 7591 §2, OAuth 2.1 §2.3.1), applied before the library stores a
 * client: redirect URIs are https, or http on a loopback host (RFC 8252 §7.3), or a native
 * app's private-use scheme; never remote http, a dangerous scheme, a fragment or userinfo. Every
 * other field is within {@link REGISTRATION_LIMITS}; a refusal names the field (RFC 7591 §3.2.2).
 */
export function checkRegistration({
  clientMetadata,
}: ClientRegistrationCallbackOptions): ClientRegistrationCallbackResult | undefined {
  const redirectUris = clientMetadata.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    return refuse('invalid_redirect_uri', 'redirect_uris must list at least one redirect URI.');
  }
  if (redirectUris.length > REGISTRATION_LIMITS.redirectUris) {
    return refuse(
      'invalid_redirect_uri',
      `At most ${REGISTRATION_LIMITS.redirectUris} redirect URIs are accepted.`,
    );
  }
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) return refuse('invalid_redirect_uri', problem);
  }
  for (const [field, value] of Object.entries(clientMetadata)) {
    if (field === 'redirect_uris') continue;
    const problem = fieldProblem(field, value);
    if (problem) return refuse('invalid_client_metadata', problem);
  }
  return undefined;
}

/** Why a registration field (other than `redirect_uris`) is refused, or `null`. */
function fieldProblem(field: string, value: unknown): string | null {
  const limits = REGISTRATION_LIMITS;
  if (field.length > limits.fieldName) {
    return `A field name is at most ${limits.fieldName} characters: ${shortName(field)}.`;
  }
  if (value === undefined || value === null) return null;
  // A localized variant (`client_name#fr`) is held to its field's bound.
  const base = field.split('#', 1)[0] ?? field;
  if (base === 'client_name') {
    return typeof value === 'string' && value.length <= limits.clientName
      ? null
      : `${field} must be text of at most ${limits.clientName} characters.`;
  }
  if (URI_FIELDS.has(base)) {
    return typeof value === 'string' && value.length <= limits.uriLength
      ? null
      : `${field} must be a URI of at most ${limits.uriLength} characters.`;
  }
  if (field === 'contacts') {
    const fits =
      Array.isArray(value) &&
      value.length <= limits.contacts &&
      value.every((contact) => typeof contact === 'string' && contact.length <= limits.contactLength);
    return fits
      ? null
      : `contacts must list at most ${limits.contacts} addresses of at most ${limits.contactLength} characters.`;
  }
  if (Array.isArray(value) && value.length > limits.arrayItems) {
    return `${field} must list at most ${limits.arrayItems} values.`;
  }
  const bytes = jsonBytes(value);
  return bytes > limits.otherField
    ? `${field} is ${bytes} bytes as JSON; at most ${limits.otherField} are accepted for a field.`
    : null;
}

const encoder = new TextEncoder();

function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value) ?? '').length;
}

/** A field name as an error message names it: a hostile one is cut short. */
function shortName(field: string): string {
  return field.length > REGISTRATION_LIMITS.fieldName
    ? `${field.slice(0, REGISTRATION_LIMITS.fieldName)}…`
    : field;
}

/** Why a redirect URI is refused, or `null` when it is acceptable. */
export function redirectUriProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || uri.length === 0) return 'Every redirect URI must be a non-empty string.';
  if (uri.length > REGISTRATION_LIMITS.uriLength) return 'A redirect URI is too long.';
  if (uri !== uri.trim() || hasSpaceOrControl(uri)) {
    return 'A redirect URI must not contain spaces or control characters.';
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `Not an absolute URI: ${uri}`;
  }
  if (DANGEROUS_SCHEMES.has(url.protocol))
    return `The scheme ${url.protocol} is not allowed in a redirect URI.`;
  if (url.hash !== '' || uri.includes('#')) return 'A redirect URI must not have a fragment.';
  if (url.username !== '' || url.password !== '') return 'A redirect URI must not contain user information.';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    return isLoopbackHostname(url.hostname)
      ? null
      : `Redirect URIs must use https, or http only on a loopback host (localhost, 127.0.0.1, [::1]): ${uri}`;
  }
  // A native app's private-use scheme (RFC 8252 §7.1), such as cursor://…: stored, and usable
  // only if the provider allows private-use redirects.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? null : `Unsupported redirect URI: ${uri}`;
}

function hasSpaceOrControl(text: string): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

function refuse(code: string, description: string): ClientRegistrationCallbackResult {
  return { code, description, status: 400 };
}
