import { fromBase64Url, randomToken, toBase64Url } from './base64url';
import { BoundedMap } from './bounded-map';

/**
 * The one secret of this server and every key made from it. `SESSION_SECRET` (or, on a loopback
 * host only, a random secret kept in KV) is never used directly: each use has a purpose, and each
 * purpose its own key, HMAC-SHA256(secret, label). A value signed for one purpose therefore never
 * verifies for another, and a key handed to a library (the approvals cookie, request states)
 * tells nothing about the others. Rotating `SESSION_SECRET` changes every key at once: sessions,
 * pending sign-ins, consent pages, remembered consent and outstanding request states all end.
 */

/** What the Worker needs to find the secret: the configured one, or KV for the generated one. */
export interface KeyEnv {
  SESSION_SECRET?: string;
  OAUTH_KV: KVNamespace;
}

/**
 * Every purpose, with the label its key is derived with. A label never changes while values made
 * with its key are outstanding: `remembered-consent` and `request-state` keep the labels they had
 * before this module, so approvals cookies and request states issued earlier still verify.
 */
const LABELS = {
  /** The browser session cookie (src/auth/session.ts). */
  session: 'remote-mcp-server session key v1',
  /** The cookie of a sign-in started on the start page (src/auth/sign-in/pending.ts). */
  'pending-sign-in': 'remote-mcp-server pending-sign-in key v1',
  /** The scopes a consent page offered (src/auth/consent-scopes.ts). */
  'consent-offer': 'remote-mcp-server consent-offer key v1',
  /** The library's approvals cookie secret (src/auth/consent-memory.ts). */
  'remembered-consent': 'remembered-consent:v1',
  /** The SDK's request-state codec (src/mcp/request-state.ts). */
  'request-state': 'remote-mcp-server request-state key v1',
  /** The link to connect another provider's account to a grant (src/auth/sign-in/linking.ts). */
  'link-ticket': 'remote-mcp-server link-ticket key v1',
  /** A linked account's tokens, kept for its grant until its next refresh (src/auth/sign-in/linked-accounts.ts). */
  'linked-account': 'remote-mcp-server linked-account key v1',
} as const;

export type KeyPurpose = keyof typeof LABELS;

/** Where the generated secret of a loopback host is kept (never on a public host: src/auth/session.ts). */
const SECRET_KV_KEY = 'config:session-secret';

const encoder = new TextEncoder();
const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;

/** The imported secret, per configured value ('' for the one in KV); a failed load is not kept. */
const secrets = new BoundedMap<string, Promise<CryptoKey>>(4);

interface PurposeKey {
  raw: Uint8Array;
  hmac: CryptoKey;
}

/** Derived keys, per configured secret and purpose: derived once per isolate. */
const derived = new BoundedMap<string, Promise<PurposeKey>>(32);

function secretKey(env: KeyEnv): Promise<CryptoKey> {
  return secrets.getOrStart(env.SESSION_SECRET ?? '', async () =>
    crypto.subtle.importKey('raw', encoder.encode(await loadSecret(env)), HMAC, false, ['sign']),
  );
}

/**
 * `SESSION_SECRET` when set, otherwise a random secret created on first use and kept in KV, so
 * local development needs no secret configured. Two isolates starting at once may each create one;
 * the later write wins and the earlier isolate's values stop verifying: fine for `wrangler dev`.
 */
async function loadSecret(env: KeyEnv): Promise<string> {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  const stored = await env.OAUTH_KV.get(SECRET_KV_KEY);
  if (stored) return stored;
  const created = randomToken(32);
  await env.OAUTH_KV.put(SECRET_KV_KEY, created);
  return created;
}

function purposeKeyOf(env: KeyEnv, purpose: KeyPurpose): Promise<PurposeKey> {
  return derived.getOrStart(`${purpose}\n${env.SESSION_SECRET ?? ''}`, async () => {
    const secret = await secretKey(env);
    const raw = new Uint8Array(await crypto.subtle.sign('HMAC', secret, encoder.encode(LABELS[purpose])));
    const hmac = await crypto.subtle.importKey('raw', raw, HMAC, false, ['sign', 'verify']);
    return { raw, hmac };
  });
}

/**
 * The 32-byte key of `purpose`, for a library that signs with a key of its own (the SDK's
 * request-state codec, the OAuth library's approvals cookie). Our own values use {@link sign}.
 */
export async function purposeKey(env: KeyEnv, purpose: KeyPurpose): Promise<Uint8Array> {
  return (await purposeKeyOf(env, purpose)).raw;
}

/** HMAC-SHA256 of `data` with the key of `purpose`, base64url. */
export async function sign(env: KeyEnv, purpose: KeyPurpose, data: string): Promise<string> {
  const { hmac } = await purposeKeyOf(env, purpose);
  return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(data))));
}

/**
 * Whether `signature` is {@link sign}'s for this purpose and data. `crypto.subtle.verify`
 * compares in constant time; a signature that is not base64url is simply not valid.
 */
export async function verify(
  env: KeyEnv,
  purpose: KeyPurpose,
  data: string,
  signature: string,
): Promise<boolean> {
  const bytes = fromBase64Url(signature);
  if (bytes === null) return false;
  const { hmac } = await purposeKeyOf(env, purpose);
  return crypto.subtle.verify('HMAC', hmac, bytes, encoder.encode(data));
}

/**
 * `value` as a string for a cookie or a form: `<base64url JSON>.<signature>`, the JSON holding
 * the value and its expiry (`exp`, seconds since the epoch). Signed, not encrypted: what we seal
 * today (a user's own identity, the state of their own sign-in) may be read by the browser that
 * holds it, in an `HttpOnly` `__Host-` cookie; a secret must not go in here.
 */
export async function seal(
  env: KeyEnv,
  purpose: KeyPurpose,
  value: unknown,
  ttlSeconds: number,
): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const data = toBase64Url(encoder.encode(JSON.stringify({ exp, value })));
  return `${data}.${await sign(env, purpose, data)}`;
}

/**
 * The value {@link seal} sealed for `purpose`, or `null`: missing, not of the form, signed for
 * another purpose or with another secret, altered, or expired. The caller checks its shape: a
 * value sealed by an older version may have another.
 */
export async function open(env: KeyEnv, purpose: KeyPurpose, sealed: string | undefined): Promise<unknown> {
  if (!sealed) return null;
  const [data, signature, extra] = sealed.split('.');
  if (!data || !signature || extra !== undefined) return null;
  if (!(await verify(env, purpose, data, signature))) return null;
  const json = fromBase64Url(data);
  if (!json) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(json));
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const { exp, value } = payload as { exp?: unknown; value?: unknown };
  if (typeof exp !== 'number' || exp * 1000 <= Date.now()) return null;
  return value ?? null;
}

/** The AES-GCM key of `purpose`, for {@link encrypt} and {@link decrypt}. */
const aesKeys = new BoundedMap<string, Promise<CryptoKey>>(8);

function aesKeyOf(env: KeyEnv, purpose: KeyPurpose): Promise<CryptoKey> {
  return aesKeys.getOrStart(`${purpose}\n${env.SESSION_SECRET ?? ''}`, async () =>
    crypto.subtle.importKey('raw', (await purposeKeyOf(env, purpose)).raw, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]),
  );
}

/**
 * `value` encrypted and authenticated (AES-256-GCM, a random 96-bit IV) with the key of
 * `purpose`, bound to `context` (additional data: what it belongs to, such as a grant), as
 * `<iv>.<ciphertext>` in base64url. For secrets kept outside the OAuth library's encrypted props
 * (a provider's tokens): {@link seal} only signs.
 */
export async function encrypt(
  env: KeyEnv,
  purpose: KeyPurpose,
  context: string,
  value: unknown,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = encoder.encode(JSON.stringify(value));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
    await aesKeyOf(env, purpose),
    data,
  );
  return `${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** What {@link encrypt} encrypted for `purpose` and `context`, or `null` (altered, another key or context). */
export async function decrypt(
  env: KeyEnv,
  purpose: KeyPurpose,
  context: string,
  encrypted: string | null | undefined,
): Promise<unknown> {
  const [iv, data, extra] = (encrypted ?? '').split('.');
  const ivBytes = fromBase64Url(iv ?? '');
  const dataBytes = fromBase64Url(data ?? '');
  if (!ivBytes || !dataBytes || ivBytes.byteLength !== 12 || extra !== undefined) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: ivBytes, additionalData: encoder.encode(context) },
      await aesKeyOf(env, purpose),
      dataBytes,
    );
    return JSON.parse(new TextDecoder().decode(plain)) as unknown;
  } catch {
    return null;
  }
}

/**
 * Whether two secrets are equal, in time that does not depend on where they differ (Workers'
 * `crypto.subtle.timingSafeEqual`). Only the length can show: use it for values of fixed length.
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
