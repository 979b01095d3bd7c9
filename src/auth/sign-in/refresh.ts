import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from '@cloudflare/workers-oauth-provider';
import { log } from '../../lib/log';
import type { AppEnv } from '../env';
import { isProps, type LinkedAccount, type Props } from '../props';
import { checkAllowlist } from './allowlist';
import { keptLinkedAccounts, withLinkedAccounts } from './linked-accounts';
import { configuredUpstream, prepareUpstream } from './methods';
import {
  ConfigurationProblem,
  TransientUpstreamError,
  type UpstreamIdentity,
  type UpstreamRecheck,
  type UpstreamTokens,
} from './upstream';

/**
 * How long a grant lives, by default, after its provider last vouched for the user, when the
 * provider cannot be asked again (`UPSTREAM_RECHECK_SECONDS`): a day.
 */
export const DEFAULT_UPSTREAM_RECHECK_SECONDS = 24 * 60 * 60;

/** Tokens without the refresh token. */
function accessOnly(tokens: UpstreamTokens): UpstreamTokens {
  if (!tokens.refreshToken) return tokens;
  const { refreshToken: _kept, ...rest } = tokens;
  return rest;
}

/** The props an access token carries: the providers' access tokens, never their refresh tokens. */
function forAccessToken(props: Props): Props {
  const hasRefreshToken =
    props.upstream?.refreshToken !== undefined ||
    Object.values(props.linked ?? {}).some((account) => account.tokens.refreshToken !== undefined);
  if (!hasRefreshToken) return props;
  const forToken: Props = { ...props };
  if (props.upstream) forToken.upstream = accessOnly(props.upstream);
  if (props.linked) {
    forToken.linked = Object.fromEntries(
      Object.entries(props.linked).map(([id, account]) => [
        id,
        { ...account, tokens: accessOnly(account.tokens) },
      ]),
    );
  }
  return forToken;
}

/**
 * The grant's linked accounts (./linked-accounts.ts) at a refresh: those linked since the last
 * refresh join the props, and each is asked about again as the sign-in's provider is: renewed,
 * kept as it was when its provider cannot be asked or does not answer (a tool then says so), and
 * the grant ended (`invalid_grant`) when its provider refuses it.
 */
async function refreshLinkedAccounts(
  env: AppEnv,
  props: Props,
  grant: { userId: string; grantId: string },
): Promise<Props> {
  const current = withLinkedAccounts(props, await keptLinkedAccounts(env, grant));
  if (!current.linked) return current;
  const linked: Record<string, LinkedAccount> = {};
  for (const [id, account] of Object.entries(current.linked)) {
    linked[id] = account;
    const method = configuredUpstream(env, id);
    if (!method) continue;
    const ready = await prepareUpstream(env, method);
    if (ready instanceof ConfigurationProblem) continue;
    let recheck: UpstreamRecheck;
    try {
      recheck = await ready.recheck({
        subject: account.subject,
        email: null,
        name: '',
        tokens: account.tokens,
      });
    } catch (error) {
      if (!(error instanceof TransientUpstreamError)) throw error;
      log('warn', 'upstream_refresh_failed', { provider: id, linked: true, reason: error.message });
      continue;
    }
    if (recheck.outcome === 'revoked') {
      log('info', 'upstream_revoked', {
        provider: id,
        linked: true,
        grantUserId: grant.userId,
        reason: recheck.reason,
      });
      throw endGrant('Access at a linked identity provider was revoked: sign in again.');
    }
    if (recheck.outcome === 'current') linked[id] = { ...account, tokens: recheck.identity.tokens };
  }
  return { ...current, linked };
}

/** Who the grant says the user is: what the provider told us when it last vouched for them. */
function knownIdentity(props: Props & { upstream: NonNullable<Props['upstream']> }): UpstreamIdentity {
  return {
    subject: props.userId.slice(props.provider.length + 1),
    email: props.email || null,
    name: props.name,
    tokens: props.upstream,
  };
}

/** The refresh ends the grant: the library revokes it with its tokens, and the app signs in again. */
function endGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', { description });
}

const unavailable = () =>
  new OAuthError('temporarily_unavailable', {
    description: 'The identity provider is not available.',
    statusCode: 503,
  });

/**
 * `tokenExchangeCallback`: on every refresh of a grant made through an identity provider, asks the
 * provider about the user again and applies the allowlist to what it says now, so that someone
 * removed at the provider or from `ALLOWED_*` stops getting tokens at their next refresh instead
 * of keeping access for the refresh token's 30 days.
 *
 * - The provider vouches for the user (GitHub's user API; OIDC's UserInfo, or a refresh of its
 *   token): the grant keeps the new tokens, email and name, if the allowlist still lets them in.
 * - The provider refuses (401, `invalid_grant`), or the allowlist does: `invalid_grant`, which
 *   makes the library revoke this grant with its tokens; the client signs in again.
 * - The provider cannot be asked (an OIDC access token expired without a refresh token, as
 *   Google's by default): the grant lives `recheckSeconds` after the provider last vouched for the
 *   user, then the refresh is `invalid_grant` too. The allowlist still applies to what it said then.
 * - The provider is down or misconfigured: `temporarily_unavailable`, the grant kept.
 *
 * Cost: one to three HTTP calls to the provider per refresh of ours, which a client makes about
 * once an hour per connected app (`ACCESS_TOKEN_TTL`): small, and the price of ending access at
 * the next refresh. Access tokens already issued still live out their `ACCESS_TOKEN_TTL`.
 */
export async function refreshUpstreamTokens(
  options: TokenExchangeCallbackOptions<Env>,
  recheckSeconds = DEFAULT_UPSTREAM_RECHECK_SECONDS,
): Promise<TokenExchangeCallbackResult | undefined> {
  const given: unknown = options.props;
  if (!isProps(given)) return undefined;
  if (options.grantType !== GrantType.REFRESH_TOKEN) {
    return given.upstream || given.linked ? { accessTokenProps: forAccessToken(given) } : undefined;
  }
  const env = options.env as AppEnv;
  const props = await refreshLinkedAccounts(env, given, { userId: options.userId, grantId: options.grantId });
  if (!props.upstream) {
    return props === given ? undefined : { newProps: props, accessTokenProps: forAccessToken(props) };
  }
  const method = configuredUpstream(env, props.provider);
  if (!method) {
    throw new OAuthError('temporarily_unavailable', {
      description: 'The sign-in method of this grant is not configured.',
      statusCode: 503,
    });
  }
  const ready = await prepareUpstream(env, method);
  if (ready instanceof ConfigurationProblem) throw unavailable();

  const known = knownIdentity({ ...props, upstream: props.upstream });
  const grantUserId = options.userId;
  let recheck: UpstreamRecheck;
  try {
    recheck = await ready.recheck(known);
  } catch (error) {
    if (!(error instanceof TransientUpstreamError)) throw error;
    log('warn', 'upstream_refresh_failed', { provider: method.id, reason: error.message });
    throw unavailable();
  }
  const now = Math.floor(Date.now() / 1000);
  let identity = known;
  let checkedAt = props.upstreamCheckedAt ?? 0;
  if (recheck.outcome === 'revoked') {
    log('info', 'upstream_revoked', { provider: method.id, grantUserId, reason: recheck.reason });
    throw endGrant('Access at the identity provider was revoked: sign in again.');
  }
  if (recheck.outcome === 'unverifiable') {
    // A grant made before this check existed has no time: it counts as too old.
    if (now - checkedAt >= recheckSeconds) {
      log('info', 'access_removed', {
        provider: method.id,
        grantUserId,
        reason: 'provider could not be asked for UPSTREAM_RECHECK_SECONDS',
      });
      throw endGrant('The identity provider has not confirmed this account recently: sign in again.');
    }
  } else {
    identity = recheck.identity;
    checkedAt = now;
  }
  const decision = checkAllowlist(env, method, identity);
  if (!decision.allowed) {
    log('info', 'access_removed', { provider: method.id, grantUserId, reason: decision.reason });
    throw endGrant('This account may no longer use this server.');
  }
  const newProps: Props = {
    ...props,
    email: identity.email ?? '',
    name: identity.name,
    upstream: identity.tokens,
    upstreamCheckedAt: checkedAt,
  };
  return { newProps, accessTokenProps: forAccessToken(newProps) };
}
