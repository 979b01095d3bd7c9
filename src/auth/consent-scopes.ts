import { sha256Base64Url } from '../lib/base64url';
import { isScope, type Scope } from './scopes';

/** As long as a consent page can be answered (the library's consent transaction). */
const OFFER_TTL_SECONDS = 10 * 60;

async function offerKey(handle: string): Promise<string> {
  return `consent-offer:${await sha256Base64Url(handle)}`;
}

/**
 * Records the scopes a consent page offered (those the app asked for, with the baseline), under
 * a hash of its handle: the form's answer may grant these and no others.
 */
export async function recordOffer(kv: KVNamespace, handle: string, scopes: readonly Scope[]): Promise<void> {
  await kv.put(await offerKey(handle), scopes.join(' '), { expirationTtl: OFFER_TTL_SECONDS });
}

/**
 * The scopes the consent page of `handle` offered, or `null` when it is unknown (expired, or
 * never shown). The ticked boxes of a posted form are intersected with these, so a hand-made
 * form cannot grant a scope the app did not ask for.
 */
export async function offeredScopes(kv: KVNamespace, handle: string): Promise<Scope[] | null> {
  const stored = await kv.get(await offerKey(handle));
  if (stored === null) return null;
  return stored.split(' ').filter(isScope);
}
