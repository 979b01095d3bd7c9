import { randomToken } from '../../lib/base64url';
import { type KeyEnv, open, seal } from '../../lib/keys';

/**
 * The ticket in a link page's URL (`/link/<provider>?ticket=…`, ./linking.tsx): which grant the
 * account is to be linked to, minted by a tool for the grant it was called through. Signed
 * (src/lib/keys.ts, its own purpose), expiring after {@link LINK_TICKET_TTL_SECONDS}, used once
 * (its nonce is spent in the user's answer ledger when the link starts). It names the user only by
 * the grant user id (a hash), so the URL tells a reader nothing about who it is for. Holding it
 * is not enough: the page links only for a browser signed in as that same user.
 */
export interface LinkTicket {
  /** The library's user id of the grant (src/auth/grant-user.ts). */
  grantUserId: string;
  grantId: string;
  /** The app the grant belongs to. */
  clientId: string;
  /** The provider to link. */
  provider: string;
  /** Spent when the link starts: a ticket starts one link. */
  nonce: string;
}

export const LINK_TICKET_TTL_SECONDS = 10 * 60;

/** The link page's URL for `ticket`'s grant, on `origin`, with a new nonce. */
export async function linkUrl(
  env: KeyEnv,
  origin: string,
  ticket: Omit<LinkTicket, 'nonce'>,
): Promise<string> {
  const sealed = await seal(
    env,
    'link-ticket',
    { ...ticket, nonce: randomToken(16) },
    LINK_TICKET_TTL_SECONDS,
  );
  const url = new URL(`/link/${encodeURIComponent(ticket.provider)}`, origin);
  url.searchParams.set('ticket', sealed);
  return url.href;
}

/** The ticket, when it is ours, unexpired and for `provider`; otherwise `null`. */
export async function openLinkTicket(
  env: KeyEnv,
  provider: string,
  sealed: string | undefined,
): Promise<LinkTicket | null> {
  const value = await open(env, 'link-ticket', sealed);
  if (typeof value !== 'object' || value === null) return null;
  const ticket = value as Record<keyof LinkTicket, unknown>;
  if (
    typeof ticket.grantUserId !== 'string' ||
    typeof ticket.grantId !== 'string' ||
    typeof ticket.clientId !== 'string' ||
    typeof ticket.nonce !== 'string' ||
    ticket.provider !== provider
  ) {
    return null;
  }
  return {
    grantUserId: ticket.grantUserId,
    grantId: ticket.grantId,
    clientId: ticket.clientId,
    provider,
    nonce: ticket.nonce,
  };
}
