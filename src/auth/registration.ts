import type {
  ClientRegistrationCallbackOptions,
  ClientRegistrationCallbackResult,
  OAuthAuthorizationServer,
} from '@cloudflare/workers-oauth-provider';
import { isLoopbackHostname } from '../lib/hosts';
import { clientAddress, tooManyRequests, withinLimit } from '../lib/rate-limit';
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
 * for {@link UNUSED_REGISTRATION_TTL} until it is used, so a flood costs a day of storage at most.
 * Client ID Metadata Document clients never come here: they are not stored and never counted.
 */
export async function serveRegistration(
  request: Request,
  env: AppEnv,
  ctx: ExecutionContext,
  authorizationServer: OAuthAuthorizationServer<Env>,
): Promise<Response> {
  if (request.method === 'POST') {
    if (!(await withinLimit(env.REGISTER_IP_LIMITER, 'registration_ip', clientAddress(request))))
      return tooManyRequests('Too many client registrations from your address.');
    if (!(await withinLimit(env.REGISTER_GLOBAL_LIMITER, 'registration_global', 'all')))
      return tooManyRequests('This server takes no more client registrations for now.');
  }
  return authorizationServer.fetch(request, { ...env, OAUTH_KV: unusedClientTtl(env.OAUTH_KV) }, ctx);
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

/** Bounds on what a client may register (RFC 7591 §2): enough for any real client, no more. */
export const REGISTRATION_LIMITS = { redirectUris: 10, uriLength: 2048, clientName: 200 } as const;

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
 * app's private-use scheme; never remote http, a dangerous scheme, a fragment or userinfo.
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
  const name = clientMetadata.client_name;
  if (name !== undefined && (typeof name !== 'string' || name.length > REGISTRATION_LIMITS.clientName)) {
    return refuse(
      'invalid_client_metadata',
      `client_name must be text of at most ${REGISTRATION_LIMITS.clientName} characters.`,
    );
  }
  return undefined;
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
