import { DurableObject } from 'cloudflare:workers';
import { grantOfToken } from '../auth/grant-activity';
import { log } from '../lib/log';
import { authInfoFor, type McpCaller } from './caller';
import { serveMcpMessage } from './http';

/** SSE comment sent this often so proxies keep the stream open and a gone client is noticed. */
const KEEP_ALIVE_MS = 15_000;

/**
 * `accepted`: the answer went to the stream. `unknown-session`: not this caller's session. A
 * `challenge`: the message needs scopes the token lacks; the POST itself answers it (403
 * `insufficient_scope`, src/mcp/scope-challenge.ts), and nothing goes to the stream.
 */
export type DeliveryResult =
  | 'accepted'
  | 'unknown-session'
  | { challenge: { status: number; wwwAuthenticate: string | null; body: string } };

/** Whose a session is: one grant (one app, for one user), named by its tokens' public part. */
export interface SseOwner {
  /** The signed-in user (`<provider>:<subject>`, from the grant's props). */
  userId: string;
  /** The grant's KV key, `grant:<userId>:<grantId>` (the library's storage schema). */
  grantKey: string;
}

/** The owner a validated token makes: its user, and the grant its public part names. */
export function sseOwnerOf(caller: McpCaller): SseOwner | null {
  const grant = grantOfToken(caller.token);
  return grant && { userId: caller.props.userId, grantKey: `grant:${grant.userId}:${grant.grantId}` };
}

const encoder = new TextEncoder();

/**
 * One session of the deprecated 2024-11-05 HTTP+SSE transport: holds the event stream opened by
 * `GET /sse` and writes to it the answers to messages posted to `/sse/message?sessionId=…`.
 * The session belongs to the grant whose token opened it (one app of one user); for anyone else,
 * another app of the same user included, it does not exist. Nothing is stored: the session lives
 * exactly as long as its stream. The stream is closed when no message is posted to it for the
 * idle timeout (keep-alives do not count), and when its grant is gone (revoked or expired).
 *
 * The library cannot tell this object of a revocation, so the object asks: every `grantCheckMs`
 * it reads the grant's KV key, unless a message of the grant was delivered since the last check
 * (its token was validated on the way in, which a revoked grant's is not). Cost: at most one KV
 * read per open stream per interval, none while the app posts, and at most idle timeout /
 * interval reads (30 by default) after its last message before the idle timeout closes it.
 */
export class SseSession extends DurableObject<Env> {
  #owner: SseOwner | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #grantCheck: ReturnType<typeof setInterval> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimeoutMs = 0;
  /** When the grant was last known to exist (ms): a check, or a delivered message of it. */
  #grantSeenAt = 0;

  /**
   * Opens the stream for `owner`; its first event names the endpoint for messages. The stream is
   * closed after `idleTimeoutMs` without a posted message, or once a check every `grantCheckMs`
   * finds the owner's grant gone.
   */
  async open(
    owner: SseOwner,
    messageEndpoint: string,
    idleTimeoutMs: number,
    grantCheckMs: number,
  ): Promise<ReadableStream<Uint8Array>> {
    if (this.#writer) throw new Error('SSE session already open');
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.#owner = owner;
    this.#writer = writable.getWriter();
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#grantSeenAt = Date.now();
    this.#write(`event: endpoint\ndata: ${messageEndpoint}\n\n`);
    this.#keepAlive = setInterval(() => this.#write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.#grantCheck = setInterval(() => void this.#checkGrant(grantCheckMs), grantCheckMs);
    this.#resetIdleTimer();
    return readable;
  }

  /**
   * Answers one posted JSON-RPC message through the same MCP handler as `/mcp` and writes the
   * answer to the stream. A caller with another grant than the owner's (another user, or another
   * app of the same user) gets `unknown-session`, exactly like a session that does not exist, so
   * session ids reveal nothing; the owner's stream goes on.
   */
  async deliver(caller: McpCaller, body: string): Promise<DeliveryResult> {
    const owner = this.#owner;
    const from = sseOwnerOf(caller);
    if (!this.#writer || !owner || from?.userId !== owner.userId || from.grantKey !== owner.grantKey)
      return 'unknown-session';
    this.#grantSeenAt = Date.now();
    this.#resetIdleTimer();
    const response = await serveMcpMessage(JSON.parse(body), authInfoFor(caller), this.env);
    if (response.status === 401 || response.status === 403) {
      const wwwAuthenticate = response.headers.get('WWW-Authenticate');
      return { challenge: { status: response.status, wwwAuthenticate, body: await response.text() } };
    }
    for (const message of await messagesOf(response)) this.#write(`event: message\ndata: ${message}\n\n`);
    return 'accepted';
  }

  /** Ends the stream when the owner's grant is gone; a KV failure leaves it open for the next check. */
  async #checkGrant(intervalMs: number): Promise<void> {
    const owner = this.#owner;
    if (!owner || Date.now() - this.#grantSeenAt < intervalMs) return;
    let grant: string | null;
    try {
      grant = await this.env.OAUTH_KV.get(owner.grantKey);
    } catch (error) {
      log('warn', 'sse_grant_check_failed', { error: String(error) });
      return;
    }
    if (this.#owner !== owner) return;
    if (grant !== null) {
      this.#grantSeenAt = Date.now();
      return;
    }
    log('info', 'sse_session_ended', { reason: 'grant_gone' });
    this.#end();
  }

  #write(chunk: string): void {
    this.#writer?.write(encoder.encode(chunk)).catch(() => this.#close());
  }

  #resetIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#end(), this.#idleTimeoutMs);
  }

  /** Closes the stream (the client reads its end) and lets the session go. */
  #end(): void {
    const writer = this.#writer;
    this.#close();
    writer?.close().catch(() => {});
  }

  #close(): void {
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    if (this.#grantCheck !== undefined) clearInterval(this.#grantCheck);
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#keepAlive = undefined;
    this.#grantCheck = undefined;
    this.#idleTimer = undefined;
    this.#writer = undefined;
    this.#owner = undefined;
  }
}

/** The JSON-RPC messages in a Streamable HTTP answer: a JSON body, an SSE stream, or none. */
async function messagesOf(response: Response): Promise<string[]> {
  const text = await response.text();
  if (text.trim() === '') return [];
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('text/event-stream')) return [JSON.stringify(JSON.parse(text))];
  const messages: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data !== '') messages.push(JSON.stringify(JSON.parse(data)));
  }
  return messages;
}
