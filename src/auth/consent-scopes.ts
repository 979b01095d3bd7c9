import { fromBase64Url, toBase64Url } from '../lib/base64url';
import { sign, verify } from '../lib/keys';
import type { AppEnv } from './env';
import { isScope, type Scope } from './scopes';

/** What a consent page offered: the scopes, and the app's name as the page showed it. */
export interface Offer {
  scopes: Scope[];
  /** Absent in a field from before names were part of it. */
  clientName?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The hidden `offer` field of a consent page: the scopes it offered (those the app asked for,
 * with the baseline), the app's name it showed, and a signature (src/lib/keys.ts) binding both to
 * the page's consent handle: `<scopes>.<name, base64url>.<signature>`. The form's answer may
 * grant these scopes and no others, and the grant keeps that name (no second read of the client).
 * Nothing is stored: the handle is single-use and expires with the library's consent transaction,
 * and the field cannot be moved to another handle or changed.
 */
export async function offerField(
  env: AppEnv,
  handle: string,
  scopes: readonly Scope[],
  clientName: string,
): Promise<string> {
  const body = `${scopes.join(' ')}.${toBase64Url(encoder.encode(clientName))}`;
  return `${body}.${await sign(env, 'consent-offer', `${handle}.${body}`)}`;
}

/**
 * What the consent page of `handle` offered, read from its posted `offer` field, or `null` when
 * the field is missing or was not signed for this handle. The ticked boxes of a posted form are
 * intersected with its scopes, so a hand-made form cannot grant a scope the app did not ask for.
 */
export async function offerOf(env: AppEnv, handle: string, field: unknown): Promise<Offer | null> {
  if (typeof field !== 'string') return null;
  const separator = field.lastIndexOf('.');
  if (separator < 0) return null;
  const body = field.slice(0, separator);
  const signature = field.slice(separator + 1);
  if (!(await verify(env, 'consent-offer', `${handle}.${body}`, signature))) return null;
  // A page served before names were in the field signed `<scopes>` alone.
  const [offered = '', name] = body.split('.');
  const scopes = offered.split(' ').filter(isScope);
  const bytes = name === undefined ? null : fromBase64Url(name);
  return bytes ? { scopes, clientName: decoder.decode(bytes) } : { scopes };
}
