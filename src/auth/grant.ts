import type { AuthRequest } from '@cloudflare/workers-oauth-provider';
import { log } from '../lib/log';
import type { AppEnv } from './env';
import { type GrantMetadata, grantMetadataFor } from './grant-metadata';
import { grantUserId } from './grant-user';
import { type Props, type SignedInUser, signedInUser } from './props';

/** An approved authorization, ready to become a grant and a code for the app. */
export interface ApprovedGrant {
  /** The request as the library validated and the user approved it. */
  request: AuthRequest;
  user: SignedInUser;
  /** What the grant carries; the signed-in user by default (a provider sign-in adds its tokens). */
  props?: Props;
  scope: string[];
  /**
   * A remembered consent, completed without a click: it revokes nothing now, and the app's earlier
   * grants go when this grant's code is redeemed (src/auth/grant-replacement.ts). An Allow on the
   * consent page replaces them at once (the library's default).
   */
  remembered?: boolean;
  /** The app's name, when the caller already has it (the consent description). */
  clientName?: string;
}

/**
 * The one way an approved authorization becomes a grant (every path: Allow on the consent page,
 * the provider's callback, a remembered consent): the library's `completeAuthorization` with the
 * grant user id, our metadata and the replacement rule, and the audit event of a consent given.
 * Returns where to send the browser: the app's redirect URI with the code.
 */
export async function completeGrant(env: AppEnv, grant: ApprovedGrant): Promise<string> {
  const userId = await grantUserId(grant.user.userId);
  const named: GrantMetadata =
    grant.clientName === undefined
      ? await grantMetadataFor(env, grant.request)
      : { clientName: grant.clientName.slice(0, 200) };
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
    request: grant.request,
    userId,
    metadata: { ...named, ...(grant.remembered && { replacesOnRedeem: true }) } satisfies GrantMetadata,
    scope: grant.scope,
    props: grant.props ?? signedInUser(grant.user),
    revokeExistingGrants: !grant.remembered,
  });
  // A remembered consent was logged (`consent_remembered`) where it was recognised.
  if (!grant.remembered) {
    log('info', 'consent_given', {
      grantUserId: userId,
      clientId: grant.request.clientId,
      scope: grant.scope,
    });
  }
  return redirectTo;
}
