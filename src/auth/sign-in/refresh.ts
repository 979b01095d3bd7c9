import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from '@cloudflare/workers-oauth-provider';
import { log } from '../../lib/log';
import type { AppEnv } from '../env';
import { isProps, type Props } from '../props';
import { configuredUpstream, prepareUpstream } from './methods';
import { ConfigurationProblem, TransientUpstreamError } from './upstream';

/** The props an access token carries: the provider's access token, never its refresh token. */
function forAccessToken(props: Props): Props {
  if (!props.upstream?.refreshToken) return props;
  const { refreshToken: _kept, ...upstream } = props.upstream;
  return { ...props, upstream };
}

/**
 * `tokenExchangeCallback`: keeps the identity provider's tokens of a grant alive. On every refresh
 * of one of our grants, the provider's access token is refreshed when it has expired (or is about
 * to); a provider that answers `invalid_grant` has revoked access, and we throw `invalid_grant`
 * too, which makes the library revoke this grant with its tokens, so the client signs in again.
 * A provider that is down or misconfigured answers `temporarily_unavailable` and keeps the grant.
 */
export async function refreshUpstreamTokens(
  options: TokenExchangeCallbackOptions<Env>,
): Promise<TokenExchangeCallbackResult | undefined> {
  const props: unknown = options.props;
  if (!isProps(props) || !props.upstream) return undefined;
  if (options.grantType !== GrantType.REFRESH_TOKEN) return { accessTokenProps: forAccessToken(props) };
  const env = options.env as AppEnv;
  const method = configuredUpstream(env, props.provider);
  if (!method) {
    throw new OAuthError('temporarily_unavailable', {
      description: 'The sign-in method of this grant is not configured.',
      statusCode: 503,
    });
  }
  const ready = await prepareUpstream(env, method);
  if (ready instanceof ConfigurationProblem) {
    throw new OAuthError('temporarily_unavailable', {
      description: 'The identity provider is not available.',
      statusCode: 503,
    });
  }
  let tokens: Awaited<ReturnType<typeof ready.refresh>>;
  try {
    tokens = await ready.refresh(props.upstream);
  } catch (error) {
    if (!(error instanceof TransientUpstreamError)) throw error;
    log('warn', 'upstream_refresh_failed', { provider: method.id, reason: error.message });
    throw new OAuthError('temporarily_unavailable', {
      description: 'The identity provider is not available.',
      statusCode: 503,
    });
  }
  if (tokens === 'revoked') {
    log('info', 'upstream_revoked', { provider: method.id, grantUserId: options.userId });
    throw new OAuthError('invalid_grant', {
      description: 'Access at the identity provider was revoked: sign in again.',
    });
  }
  const newProps: Props = { ...props, upstream: tokens };
  return { newProps, accessTokenProps: forAccessToken(newProps) };
}
