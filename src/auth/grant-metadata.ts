import type { AuthRequest } from '@cloudflare/workers-oauth-provider';
import type { AppEnv } from './env';

/**
 * What we keep in a grant's `metadata` (storage-visible, not encrypted, so nothing secret): the
 * app's name as the user saw it on the consent page.
 */
export interface GrantMetadata {
  clientName?: string;
  /**
   * Made by a remembered consent: the app's earlier grants go when this grant's code is redeemed
   * (src/auth/grant-replacement.ts), not when it is issued.
   */
  replacesOnRedeem?: true;
}

/** The metadata to store with a new grant. A name that cannot be resolved is left out. */
export async function grantMetadataFor(env: AppEnv, request: AuthRequest): Promise<GrantMetadata> {
  try {
    const details = await env.OAUTH_PROVIDER.describeConsent(request);
    return { clientName: details.clientName.slice(0, 200) };
  } catch {
    return {};
  }
}
