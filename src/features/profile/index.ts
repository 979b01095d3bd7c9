import type { Feature } from '../../mcp/feature';
import profile from './profile';

/**
 * The OpenID Connect provider as the signed-in user: `profile` reads its UserInfo endpoint with
 * the access token the grant holds (src/tools/support/upstream.ts). A user who signed in another
 * way is asked to link an account there first.
 */
export const profileFeature: Feature = {
  name: 'profile',
  tools: [profile],
};
