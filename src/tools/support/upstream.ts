import type { AppEnv } from '../../auth/env';
import { linkUrl } from '../../auth/sign-in/link-ticket';
import { keptLinkedAccount } from '../../auth/sign-in/linked-accounts';
import { configuredUpstream, prepareUpstream } from '../../auth/sign-in/methods';
import { type ProviderId, providersOf } from '../../auth/sign-in/providers';
import type { UpstreamTokens } from '../../auth/sign-in/upstream';
import { ConfigurationProblem, hasExpired } from '../../auth/sign-in/upstream';
import { log } from '../../lib/log';
import { type Caller, type ToolContext, ToolError } from '../define-tool';

/**
 * Calling a sign-in provider's API as the user, for tools (`actsAs` in `defineTool`): GitHub's
 * REST API, an OpenID Connect provider's UserInfo. The token is the one the grant holds: the
 * provider's, from the sign-in (`props.upstream`), or from an account the user linked to the grant
 * (`props.linked`, or kept until the grant's next refresh: src/auth/sign-in/linked-accounts.ts).
 * Everything that can go wrong ends the call with a {@link ToolError} we wrote: the provider's own
 * error text never reaches the model, and no token is ever logged.
 *
 * - No account there: on a client that can open a page (MCP 2026-07-28 URL elicitation), the user
 *   is asked to link one through this server's `/link/<provider>` page; any other client gets an
 *   error naming that page.
 * - The access token has expired: it is renewed only when the app refreshes its own token (the
 *   grant's props change only then, src/auth/sign-in/refresh.ts), so the user is told to reconnect.
 * - The provider refuses the token (401): the grant is revoked, as a refresh would, and the user
 *   is told to reconnect.
 */
export interface UserApi {
  /** The provider's name as the sign-in page shows it ("GitHub"). */
  name: string;
  /**
   * `path` of the provider's API (relative to its base), as the user. The answer as it came,
   * except for what the tool cannot do anything about: 401 (the grant is revoked), 5xx and no
   * answer at all, which are {@link ToolError}s.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** The provider's name, configured or not (the button's name when it is). */
function nameOf(env: Env, provider: ProviderId): string {
  return (
    providersOf(env)
      .find((method) => method.id === provider)
      ?.displayName(env) ?? provider
  );
}

/** The tokens the grant holds for `provider`, from the sign-in or a link; `null` when none. */
async function tokensFor(caller: Caller, provider: ProviderId): Promise<UpstreamTokens | null> {
  const { user, connection } = caller;
  if (user.provider === provider) return user.upstream ?? null;
  const linked = user.linked?.[provider];
  if (linked) return linked.tokens;
  if (!connection) return null;
  const kept = await keptLinkedAccount(
    caller.env,
    { userId: connection.grantUserId, grantId: connection.grantId },
    provider,
  );
  return kept?.tokens ?? null;
}

/**
 * What a tool that acts as the user at `provider` needs and this grant lacks, in a sentence for
 * its description (`describeFor` in src/mcp/server.ts), or `null` when nothing is missing.
 */
export function accountNeed(caller: Caller, provider: ProviderId): string | null {
  const name = nameOf(caller.env, provider);
  if (!configuredUpstream(caller.env as AppEnv, provider)) {
    return `Not available on this server: it needs sign-in with ${name}, which is not configured here.`;
  }
  if (caller.user.provider === provider || caller.user.linked?.[provider]) return null;
  return `It acts on your ${name} account, and this connection signed in another way (${caller.user.provider}): calling it asks you to link your ${name} account on this server's pages first.`;
}

/**
 * The API of `provider` as the caller, or a {@link ToolError}; on a client that can open a page,
 * a grant without an account there first asks the user to link one (the round ends there).
 */
export async function apiAsUser(context: ToolContext, tool: string, provider: ProviderId): Promise<UserApi> {
  const env = context.env as AppEnv;
  const name = nameOf(env, provider);
  const method = configuredUpstream(env, provider);
  if (!method) {
    throw new ToolError(`${tool} needs sign-in with ${name}, which this server does not offer.`);
  }
  const ready = await prepareUpstream(env, method);
  if (ready instanceof ConfigurationProblem || !ready.api) {
    throw new ToolError(
      `${tool} cannot reach ${name} now: this server's settings for it are incomplete. Tell whoever runs the server (its log says what to fix).`,
    );
  }
  const tokens = await tokensFor(context, provider);
  if (!tokens) return linkFirst(context, tool, provider, name);
  if (hasExpired(tokens)) {
    throw new ToolError(
      `Your ${name} access for this connection has expired, and it can only be renewed when the app renews its own access to this server. Tell the user to reconnect the app to this server (sign in with ${name} again), then try again.`,
    );
  }
  const api = ready.api;
  return {
    name,
    async fetch(path, init) {
      let response: Response;
      try {
        response = await api.fetch(tokens.accessToken, path, init);
      } catch {
        throw new ToolError(`${name} did not answer. Try again in a moment.`);
      }
      if (response.status === 401) {
        await response.body?.cancel();
        await endGrant(context, provider);
        throw new ToolError(
          `${name} refused this connection's access (the user revoked it there, or it expired), so this connection to the server has been ended. Tell the user to reconnect the app to this server and sign in with ${name} again.`,
        );
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw new ToolError(`${name} is not available right now (HTTP ${response.status}). Try again later.`);
      }
      return response;
    },
  };
}

/**
 * The provider refused the grant's token: the grant goes with its tokens, as at a refresh
 * (src/auth/sign-in/refresh.ts), so the app signs in again instead of failing on every call.
 * Without the OAuth helpers (an SSE session's Durable Object) it goes at the app's next refresh,
 * which asks the provider again.
 */
async function endGrant(context: ToolContext, provider: ProviderId): Promise<void> {
  const { connection } = context;
  const helpers = (context.env as Partial<AppEnv>).OAUTH_PROVIDER;
  const revoked = connection !== undefined && helpers !== undefined;
  log('info', 'upstream_revoked', {
    provider,
    grantUserId: connection?.grantUserId,
    reason: 'the API answered 401 to a tool',
    grantRevoked: revoked,
  });
  if (revoked) await helpers.revokeGrant(connection.grantId, connection.grantUserId);
}

/** No account at `provider` on this grant: ask the user to link one, or say how. */
async function linkFirst(
  context: ToolContext,
  tool: string,
  provider: ProviderId,
  name: string,
): Promise<never> {
  const { connection, user } = context;
  if (!connection) {
    throw new ToolError(
      `${tool} needs a ${name} account, and this connection signed in with ${user.provider}.`,
    );
  }
  const url = await linkUrl(context.env, connection.origin, {
    grantUserId: connection.grantUserId,
    grantId: connection.grantId,
    clientId: connection.clientId,
    provider,
  });
  if (context.canAsk('url')) {
    const answer = await context.elicitUrl({
      message: `${tool} acts on your ${name} account, and this connection is not linked to one. Open this page to sign in with ${name} and link it.`,
      url,
    });
    if (answer.action !== 'accept') {
      throw new ToolError(`${tool} needs a ${name} account, and the user chose not to link one.`);
    }
    throw new ToolError(
      `The link to ${name} is not complete yet. Once the user has signed in with ${name} on the page they opened, call ${tool} again.`,
    );
  }
  throw new ToolError(
    `${tool} acts on the user's ${name} account, and this connection signed in with ${user.provider}. Ask the user to open ${url} in their browser within 10 minutes, sign in with ${name} there, and then call ${tool} again. (Reconnecting the app and signing in with ${name} works too.)`,
  );
}
