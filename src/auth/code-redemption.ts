import { DurableObject } from 'cloudflare:workers';
import { sha256Base64Url } from '../lib/base64url';
import { log } from '../lib/log';
import { durableObjectCall } from '../lib/storage-errors';
import type { AppEnv } from './env';
import { grantOfToken } from './grant-activity';

/**
 * `go`: this request may redeem the code. `busy`: another redemption of it is under way.
 * `redeemed`: it was redeemed already (a replay).
 */
export type Claim = 'go' | 'busy' | 'redeemed';

/** An unsettled claim (a Worker that died mid-redemption) stops blocking after this. */
const CLAIM_TIMEOUT_MS = 30_000;
/**
 * How long a redeemed code is remembered: past the library's code lifetime (600 s) and KV's
 * propagation delay (60 s), after which the library refuses the code by itself.
 */
const REMEMBER_MS = 15 * 60_000;

interface ClaimRecord {
  state: 'in-flight' | 'redeemed';
  at: number;
}

/**
 * One authorization code's redemption, so that a code is redeemed once. The OAuth library reads
 * the grant from KV, checks the code and writes the grant back: parallel requests with the same
 * code can all read before any writes, and KV is eventually consistent across locations. A
 * Durable Object is one instance worldwide and runs one event at a time, so its claim is atomic.
 * It stores a state per code hash (never the code) and erases itself after {@link REMEMBER_MS}.
 */
export class CodeRedemption extends DurableObject<Env> {
  async claim(): Promise<Claim> {
    const now = Date.now();
    const record = await this.ctx.storage.get<ClaimRecord>('claim');
    if (record?.state === 'redeemed') return 'redeemed';
    if (record?.state === 'in-flight' && now - record.at < CLAIM_TIMEOUT_MS) return 'busy';
    await this.ctx.storage.put('claim', { state: 'in-flight', at: now } satisfies ClaimRecord);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + REMEMBER_MS);
    return 'go';
  }

  /**
   * A redemption that issued tokens marks the code redeemed. One that failed frees it and leaves
   * nothing behind (no record, no alarm). A made-up code never gets here: the token endpoint asks
   * this object only for the code its grant was issued with (src/auth/token-endpoint.ts).
   */
  async settle(redeemed: boolean): Promise<void> {
    if (redeemed) {
      await this.ctx.storage.put('claim', { state: 'redeemed', at: Date.now() });
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/**
 * Runs `redeem` (the library's answer to an authorization code grant) at most once at a time per
 * code, and never again once it issued tokens. A parallel attempt gets `invalid_grant`; a replay
 * after success gets `invalid_grant` and revokes the grant (RFC 6749 §4.1.2), as the library
 * does when its own read sees the replay. A failed redemption (wrong verifier, wrong client)
 * frees the code for its rightful client.
 */
export async function redeemOnce(
  code: string,
  env: AppEnv,
  redeem: () => Promise<Response>,
  revokeGrant: (grantId: string, userId: string) => Promise<void>,
): Promise<Response> {
  const stub = env.CODE_REDEMPTION.get(env.CODE_REDEMPTION.idFromName(await sha256Base64Url(code)));
  const claim = await durableObjectCall('CodeRedemption.claim', () => stub.claim());
  if (claim === 'busy')
    return invalidGrant('This authorization code is being redeemed already.', 'code_in_use');
  if (claim === 'redeemed') {
    const grant = grantOfToken(code);
    if (grant) await revokeGrant(grant.grantId, grant.userId);
    return invalidGrant('Authorization code already used.', 'code_replayed');
  }
  let response: Response;
  try {
    response = await redeem();
  } catch (error) {
    await stub.settle(false).catch(() => {});
    throw error;
  }
  await durableObjectCall('CodeRedemption.settle', () => stub.settle(response.status === 200));
  return response;
}

function invalidGrant(description: string, reason: string): Response {
  log('warn', 'oauth_error', { error: 'invalid_grant', status: 400, reason });
  return Response.json(
    { error: 'invalid_grant', error_description: description },
    { status: 400, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } },
  );
}
