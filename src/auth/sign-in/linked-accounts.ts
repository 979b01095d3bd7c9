import { decrypt, encrypt, type KeyEnv } from '../../lib/keys';
import type { LinkedAccount, Props } from '../props';

/**
 * Accounts at other providers linked to a grant (./linking.tsx links them): a demo user who links
 * GitHub, a GitHub user who links the OpenID Connect provider. A grant's props can only change
 * through the OAuth library, at a refresh (`newProps` of `tokenExchangeCallback`), so a link is
 * kept here first: in KV under `linked-account:<grant user id>:<grant id>:<provider>`, encrypted
 * (AES-GCM, bound to that key) with a key of its own. Tools read it until the grant's next
 * refresh, which copies it into the grant's props (./refresh.ts); the newer link wins, so the copy
 * can be made again harmlessly. The key expires with the longest a grant can live without a
 * refresh, and names no one: the grant user id is a hash (src/auth/grant-user.ts).
 *
 * KV is eventually consistent: a tool called from another location right after the link may not
 * see it for up to a minute (the tool then asks again, and says so).
 */

const PREFIX = 'linked-account:';

/** As long as a refresh token lives by default (src/oauth.ts), a day more. */
export const LINKED_ACCOUNT_TTL_SECONDS = 31 * 24 * 60 * 60;

/** The grant a link belongs to: the library's user id for it (hashed) and its id. */
export interface GrantRef {
  userId: string;
  grantId: string;
}

function keyOf(grant: GrantRef, provider: string): string {
  return `${PREFIX}${grant.userId}:${grant.grantId}:${provider}`;
}

/** Keeps `account` for the grant until its next refresh copies it into the props. */
export async function keepLinkedAccount(
  env: KeyEnv,
  grant: GrantRef,
  provider: string,
  account: LinkedAccount,
): Promise<void> {
  const key = keyOf(grant, provider);
  await env.OAUTH_KV.put(key, await encrypt(env, 'linked-account', key, account), {
    expirationTtl: LINKED_ACCOUNT_TTL_SECONDS,
  });
}

/** The account linked to the grant at `provider` and kept here, or `null`. */
export async function keptLinkedAccount(
  env: KeyEnv,
  grant: GrantRef,
  provider: string,
): Promise<LinkedAccount | null> {
  const key = keyOf(grant, provider);
  const value = await decrypt(env, 'linked-account', key, await env.OAUTH_KV.get(key));
  return isLinkedAccount(value) ? value : null;
}

/** Every account linked to the grant and kept here, by provider. */
export async function keptLinkedAccounts(
  env: KeyEnv,
  grant: GrantRef,
): Promise<Record<string, LinkedAccount>> {
  const prefix = keyOf(grant, '');
  const listed = await env.OAUTH_KV.list({ prefix, limit: 10 });
  const found: Record<string, LinkedAccount> = {};
  for (const { name } of listed.keys) {
    const provider = name.slice(prefix.length);
    const account = await keptLinkedAccount(env, grant, provider);
    if (account) found[provider] = account;
  }
  return found;
}

/** `props` with the `kept` links that are newer than its own; `props` itself when none is. */
export function withLinkedAccounts(props: Props, kept: Record<string, LinkedAccount>): Props {
  let linked = props.linked;
  for (const [provider, account] of Object.entries(kept)) {
    if (provider === props.provider) continue;
    const current = linked?.[provider];
    if (current && current.linkedAt >= account.linkedAt) continue;
    linked = { ...linked, [provider]: account };
  }
  return linked === props.linked ? props : { ...props, linked };
}

function isLinkedAccount(value: unknown): value is LinkedAccount {
  if (typeof value !== 'object' || value === null) return false;
  const account = value as Record<string, unknown>;
  const tokens = account.tokens as Record<string, unknown> | undefined;
  return (
    typeof account.subject === 'string' &&
    typeof account.linkedAt === 'number' &&
    typeof tokens === 'object' &&
    tokens !== null &&
    typeof tokens.accessToken === 'string'
  );
}
