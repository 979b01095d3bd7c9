import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { AppEnv } from '../auth/env';
import { sessionKey } from '../auth/session';
import { randomToken } from '../lib/base64url';
import { notebookOf } from '../notes/notebook';
import { ToolError } from '../tools/define-tool';
import { AskUser, type Confirmation, type ConfirmationRequest } from '../tools/support/confirmation';

/** How long the user has to answer a confirmation before its request state expires. */
export const CONFIRMATION_TTL_SECONDS = 10 * 60;

/** The key of the one elicitation in a confirmation's `inputRequests`. */
export const CONFIRMATION_INPUT = 'confirm';

/**
 * What a confirmation's `requestState` carries (signed, not encrypted: nothing secret). The
 * signature also binds it to the user and the app it was issued to, and to an expiry.
 */
export interface ConfirmationState {
  v: 1;
  tool: string;
  subject: string;
  /** Single use: recorded in the user's notebook when answered, refused ever after. */
  nonce: string;
}

/** Who the state is issued to: it verifies for this user through this app only. */
export interface StateHolder {
  userId: string;
  clientId: string;
}

const encoder = new TextEncoder();
const derivedKeys = new WeakMap<CryptoKey, Promise<Uint8Array>>();

/**
 * The HMAC key of request states: derived from the session secret (`SESSION_SECRET`, or the
 * random one kept in KV) as HMAC-SHA256(secret, label), so it is the same on every isolate and
 * is not the key that signs session cookies.
 */
export async function requestStateKey(env: Env): Promise<Uint8Array> {
  const secret = await sessionKey(env as AppEnv);
  let derived = derivedKeys.get(secret);
  if (!derived) {
    derived = crypto.subtle
      .sign('HMAC', secret, encoder.encode('remote-mcp-server request-state key v1'))
      .then((bytes) => new Uint8Array(bytes));
    derivedKeys.set(secret, derived);
  }
  return derived;
}

/**
 * The codec of confirmation states (MCP 2026-07-28 multi-round-trip requests: `requestState` is
 * attacker-controlled on re-entry and MUST be integrity-protected): HMAC-SHA256 over the payload,
 * its expiry and a tag of the holder, by the SDK's `createRequestStateCodec`.
 */
export async function confirmationCodec(
  env: Env,
  holder: StateHolder,
): Promise<RequestStateCodec<ConfirmationState>> {
  return createRequestStateCodec<ConfirmationState>({
    key: await requestStateKey(env),
    ttlSeconds: CONFIRMATION_TTL_SECONDS,
    bind: () => `${holder.userId}\n${holder.clientId}`,
  });
}

/**
 * `ServerOptions.requestState.verify`: refuses (throws) a state that is forged, altered, expired,
 * issued to another user or app, or already answered (a replay). The SDK answers a refusal with
 * JSON-RPC `-32602 Invalid or expired requestState` and runs nothing.
 */
export async function verifyRequestState(
  env: Env,
  holder: StateHolder,
  state: string,
  ctx: ServerContext,
): Promise<ConfirmationState> {
  const payload = await (await confirmationCodec(env, holder)).verify(state, ctx);
  if (!isConfirmationState(payload)) throw new Error('malformed');
  if (await notebookOf(env, holder.userId).isAnswered(payload.nonce)) throw new Error('replayed');
  return payload;
}

/**
 * Asks the user of this request to confirm, the MCP 2026-07-28 way: the first call returns an
 * `input_required` result with a form elicitation and a signed, single-use request state; the
 * client asks the user and calls again with the answer and the state.
 *
 * A 2025-era request cannot be asked (this server is stateless: an `elicitation/create` request
 * would have no session to come back on), nor can a client without form elicitation: for them
 * the answer is `unavailable`, and the tool must require an explicit argument instead.
 */
export async function confirm(
  env: Env,
  holder: StateHolder,
  ctx: ServerContext,
  modern: boolean,
  request: ConfirmationRequest,
): Promise<Confirmation> {
  if (!modern || !canElicitForm(ctx)) return { status: 'unavailable' };
  const state = ctx.mcpReq.requestState<ConfirmationState>();
  if (state === undefined) return ask(env, holder, ctx, request);
  if (state.tool !== request.tool || state.subject !== request.subject) {
    throw new ToolError(
      `This confirmation was given for another request. Call ${request.tool} again to ask the user anew.`,
    );
  }
  const answer = ctx.mcpReq.inputResponses?.[CONFIRMATION_INPUT];
  if (!isElicitAnswer(answer)) return ask(env, holder, ctx, request);
  if (answer.action === 'accept' && answer.content?.confirm === true) {
    return { status: 'confirmed', answer: state.nonce };
  }
  await notebookOf(env, holder.userId).answer(state.nonce);
  return { status: 'declined' };
}

async function ask(
  env: Env,
  holder: StateHolder,
  ctx: ServerContext,
  request: ConfirmationRequest,
): Promise<Confirmation> {
  const codec = await confirmationCodec(env, holder);
  const requestState = await codec.mint(
    { v: 1, tool: request.tool, subject: request.subject, nonce: randomToken(16) },
    ctx,
  );
  const result = inputRequired({
    inputRequests: {
      [CONFIRMATION_INPUT]: inputRequired.elicit({
        message: request.message,
        requestedSchema: {
          type: 'object',
          properties: {
            confirm: {
              type: 'boolean',
              title: 'Yes, do it',
              description: 'Tick to confirm. This cannot be undone.',
              default: false,
            },
          },
          required: ['confirm'],
        },
      }),
    },
    requestState,
  });
  return { status: 'ask', ask: new AskUser(result) };
}

/**
 * Whether the request's client declared form elicitation (MCP 2025-11-25+: `elicitation: {}` means
 * form; `{ url: {} }` alone means URL mode only).
 */
function canElicitForm(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as
    | { elicitation?: Record<string, unknown> }
    | undefined;
  const elicitation = capabilities?.elicitation;
  if (typeof elicitation !== 'object' || elicitation === null) return false;
  return 'form' in elicitation || !('url' in elicitation);
}

interface ElicitAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

function isElicitAnswer(value: unknown): value is ElicitAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const action = (value as { action?: unknown }).action;
  return action === 'accept' || action === 'decline' || action === 'cancel';
}

function isConfirmationState(value: unknown): value is ConfirmationState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return (
    state.v === 1 &&
    typeof state.tool === 'string' &&
    typeof state.subject === 'string' &&
    typeof state.nonce === 'string'
  );
}
