import {
  createRequestStateCodec,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { sha256Base64Url } from '../lib/base64url';
import { purposeKey } from '../lib/keys';
import { answerLedgerOf } from './answer-ledger';

/**
 * How long a client has to answer before a request state expires: the user may take a while to
 * read a question and fill in a form. Every round mints a new state with a new expiry.
 */
export const REQUEST_STATE_TTL_SECONDS = 10 * 60;

/**
 * What a multi-round-trip `requestState` carries (MCP 2026-07-28, SEP-2322). Signed, not
 * encrypted: the client can read it, so nothing secret goes in. The signature also binds it to the
 * user and the app it was issued to, and to an expiry.
 */
export interface AskState {
  v: 2;
  /** The call it belongs to ({@link callFingerprint}): answers count for that same call only. */
  call: string;
  /**
   * The answers of earlier rounds, by input-request key, as the client sent them. A client sends
   * only the latest round's `inputResponses`; the rest travel here.
   */
  answers: Record<string, unknown>;
  /**
   * Single use: present when this round asked a question whose answer may count once only (a
   * confirmation). The nonce is recorded in the user's ledger when the answer is used, and a
   * state whose nonce is recorded is refused ever after.
   */
  once?: { nonce: string; keys: string[] };
}

/** Who a state is issued to: it verifies for this user through this app only. */
export interface StateHolder {
  userId: string;
  clientId: string;
}

/**
 * The HMAC key of request states: the `request-state` purpose's key (src/lib/keys.ts), the same
 * on every isolate and not the key of any cookie.
 */
export function requestStateKey(env: Env): Promise<Uint8Array> {
  return purposeKey(env, 'request-state');
}

/**
 * The codec of request states (`requestState` is attacker-controlled on re-entry and MUST be
 * integrity-protected): HMAC-SHA256 over the payload, its expiry and a tag of the holder, by the
 * SDK's `createRequestStateCodec`.
 */
export async function requestStateCodec(env: Env, holder: StateHolder): Promise<RequestStateCodec<AskState>> {
  return createRequestStateCodec<AskState>({
    key: await requestStateKey(env),
    ttlSeconds: REQUEST_STATE_TTL_SECONDS,
    bind: () => `${holder.userId}\n${holder.clientId}`,
  });
}

/**
 * `ServerOptions.requestState.verify`: refuses (throws) a state that is forged, altered, expired,
 * issued to another user or app, or single-use and already answered (a replay). The SDK answers a
 * refusal with JSON-RPC `-32602 Invalid or expired requestState` and runs nothing. Only a state
 * with a single-use question costs a look at the user's ledger (./answer-ledger.ts).
 */
export async function verifyRequestState(
  env: Env,
  holder: StateHolder,
  state: string,
  ctx: ServerContext,
): Promise<AskState> {
  const payload = await (await requestStateCodec(env, holder)).verify(state, ctx);
  if (!isAskState(payload)) throw new Error('malformed');
  if (payload.once && (await answerLedgerOf(env, holder.userId).isUsed(payload.once.nonce))) {
    throw new Error('replayed');
  }
  return payload;
}

/**
 * Which call a state belongs to: the method, the tool or prompt name, and a SHA-256 of the
 * arguments in a canonical form (keys sorted). A state echoed on another call (another note, say)
 * is not an answer to that call's questions.
 */
export async function callFingerprint(method: string, name: string, args: unknown): Promise<string> {
  return `${method} ${name} ${await sha256Base64Url(canonicalJson(args ?? {}))}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isAskState(value: unknown): value is AskState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  if (state.v !== 2 || typeof state.call !== 'string') return false;
  if (typeof state.answers !== 'object' || state.answers === null || Array.isArray(state.answers))
    return false;
  if (state.once === undefined) return true;
  const once = state.once as Record<string, unknown> | null;
  return (
    typeof once === 'object' &&
    once !== null &&
    typeof once.nonce === 'string' &&
    Array.isArray(once.keys) &&
    once.keys.every((key) => typeof key === 'string')
  );
}
