import { sign, verify } from '../lib/keys';
import type { AppEnv } from './env';
import { isScope, type Scope } from './scopes';

/**
 * The hidden `offer` field of a consent page: the scopes it offered (those the app asked for,
 * with the baseline) and a signature (src/lib/keys.ts) binding them to the page's consent handle. The form's answer may
 * grant these and no others. Nothing is stored: the handle is single-use and expires with the
 * library's consent transaction, and the field cannot be moved to another handle or changed.
 */
export async function offerField(env: AppEnv, handle: string, scopes: readonly Scope[]): Promise<string> {
  const offered = scopes.join(' ');
  return `${offered}.${await sign(env, 'consent-offer', `${handle}.${offered}`)}`;
}

/**
 * The scopes the consent page of `handle` offered, read from its posted `offer` field, or `null`
 * when the field is missing or was not signed for this handle. The ticked boxes of a posted form
 * are intersected with these, so a hand-made form cannot grant a scope the app did not ask for.
 */
export async function offeredScopes(env: AppEnv, handle: string, field: unknown): Promise<Scope[] | null> {
  if (typeof field !== 'string') return null;
  const separator = field.lastIndexOf('.');
  if (separator < 0) return null;
  const offered = field.slice(0, separator);
  const signature = field.slice(separator + 1);
  if (!(await verify(env, 'consent-offer', `${handle}.${offered}`, signature))) return null;
  return offered.split(' ').filter(isScope);
}
