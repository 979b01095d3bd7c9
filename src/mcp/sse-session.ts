import { DurableObject } from 'cloudflare:workers';
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

const encoder = new TextEncoder();

/**
 * One session of the deprecated 2024-11-05 HTTP+SSE transport: holds the event stream opened by
 * `GET /sse` and writes to it the answers to messages posted to `/sse/message?sessionId=…`.
 * The session belongs to the user whose token opened it; for anyone else it does not exist.
 * Nothing is stored: the session lives exactly as long as its stream. A stream that gets no posted
 * message for the idle timeout (keep-alives do not count) is closed, and the object, holding
 * nothing, is evicted.
 */
export class SseSession extends DurableObject<Env> {
  #owner: string | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimeoutMs = 0;

  /**
   * Opens the stream for `owner`; its first event names the endpoint for messages. The stream is
   * closed after `idleTimeoutMs` without a posted message.
   */
  async open(
    owner: string,
    messageEndpoint: string,
    idleTimeoutMs: number,
  ): Promise<ReadableStream<Uint8Array>> {
    if (this.#writer) throw new Error('SSE session already open');
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.#owner = owner;
    this.#writer = writable.getWriter();
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#write(`event: endpoint\ndata: ${messageEndpoint}\n\n`);
    this.#keepAlive = setInterval(() => this.#write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.#resetIdleTimer();
    return readable;
  }

  /**
   * Answers one posted JSON-RPC message through the same MCP handler as `/mcp` and writes the
   * answer to the stream. A caller other than the owner gets `unknown-session`, exactly like a
   * session that does not exist, so session ids reveal nothing.
   */
  async deliver(caller: McpCaller, body: string): Promise<DeliveryResult> {
    if (!this.#writer || caller.props.userId !== this.#owner) return 'unknown-session';
    this.#resetIdleTimer();
    const response = await serveMcpMessage(JSON.parse(body), authInfoFor(caller));
    if (response.status === 401 || response.status === 403) {
      const wwwAuthenticate = response.headers.get('WWW-Authenticate');
      return { challenge: { status: response.status, wwwAuthenticate, body: await response.text() } };
    }
    for (const message of await messagesOf(response)) this.#write(`event: message\ndata: ${message}\n\n`);
    return 'accepted';
  }

  #write(chunk: string): void {
    this.#writer?.write(encoder.encode(chunk)).catch(() => this.#close());
  }

  #resetIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      const writer = this.#writer;
      this.#close();
      writer?.close().catch(() => {});
    }, this.#idleTimeoutMs);
  }

  #close(): void {
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#keepAlive = undefined;
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
