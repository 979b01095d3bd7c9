import { sha256Base64Url } from './base64url';
import { BoundedMap } from './bounded-map';
import { log } from './log';

/** What each limiter counts, for the log and the message (limits are in wrangler.jsonc). */
export type LimitName =
  | 'sign_in_ip'
  | 'sign_in_account'
  | 'registration_ip'
  | 'registration_global'
  | 'token_client'
  | 'token_address'
  | 'authorize_ip'
  | 'mcp_user';

/**
 * The seconds a limited caller is told to wait (`Retry-After`): the period of every limiter in
 * wrangler.jsonc. The binding does not say when its window ends, so this is the longest wait.
 */
export const RETRY_AFTER_SECONDS = 60;

/**
 * Whether one more request counted under `value` is within `limiter`'s limit. The key is a
 * SHA-256 of the limit's name and the value, so no address, email or client id reaches the
 * limiter as it is, and limits sharing a binding never share a counter. A limiter that fails
 * lets the request through (and logs it): an outage of rate limiting must not be an outage.
 */
export async function withinLimit(limiter: RateLimit, name: LimitName, value: string): Promise<boolean> {
  const key = await limiterKey(`${name}:${value}`);
  try {
    const { success } = await limiter.limit({ key });
    if (!success) log('warn', 'rate_limited', { limit: name });
    return success;
  } catch (error) {
    log('error', 'rate_limit_failed', { limit: name, error: String(error) });
    return true;
  }
}

/** Keys hashed lately in this isolate: a busy user's MCP calls hash the same value again and again. */
const hashedKeys = new BoundedMap<string, string>(10_000);

async function limiterKey(counted: string): Promise<string> {
  let key = hashedKeys.get(counted);
  if (key === undefined) {
    key = await sha256Base64Url(counted);
    hashedKeys.set(counted, key);
  }
  return key;
}

/** The client's IP address as Cloudflare saw it; one shared key where there is none (locally). */
export function clientAddress(request: Request): string {
  return request.headers.get('CF-Connecting-IP') ?? 'local';
}

/** A 429 for a protocol endpoint: an OAuth-style JSON error with `Retry-After` (RFC 6585 §4). */
export function tooManyRequests(message: string): Response {
  return Response.json(
    { error: 'temporarily_unavailable', error_description: `${message} Try again in a minute.` },
    {
      status: 429,
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' },
    },
  );
}
