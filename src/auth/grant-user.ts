import { sha256Base64Url } from '../lib/base64url';

/**
 * The user id a grant is stored under. Issued tokens begin with it (`<userId>:<grantId>:…`), so it
 * must reveal nothing: a SHA-256 of our `<provider>:<subject>` id, the same for every grant of a
 * user, so that user's grants can be listed and revoked.
 */
export async function grantUserId(userId: string): Promise<string> {
  return sha256Base64Url(`grant-user:${userId}`);
}
