import { DurableObject } from 'cloudflare:workers';
import {
  type EventId,
  type EventStore,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type McpServer,
  type RequestId,
  type StreamId,
  type TransportSendOptions,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { log } from '../lib/log';
import { authInfoFor, type McpCaller } from './caller';
import { jsonRpcErrorResponse, SESSION_NOT_FOUND } from './http';
import { buildMcpServer } from './server';
import { type SseOwner, sseOwnerOf } from './sse-session';

/**
 * Whose a session is: one grant (one app of one user, as for a legacy SSE session: its user and
 * the grant's KV key, so a revoked grant's session is gone) with the scopes its tokens carry.
 */
export interface SessionOwner extends SseOwner {
  /** The granted scopes, sorted and joined: a token with other scopes opens a new session. */
  scopes: string;
}

/** The owner a validated token makes, or null for a token that names no grant. */
export function sessionOwnerOf(caller: McpCaller): SessionOwner | null {
  const grant = sseOwnerOf(caller);
  return grant && { ...grant, scopes: [...caller.scopes].sort().join(' ') };
}

/** What a session keeps in storage, so that it outlives its object's eviction. */
interface SessionRecord {
  id: string;
  owner: SessionOwner;
  /** The client's `initialize` message, replayed into a new server when the object was evicted. */
  initialize: JSONRPCMessage;
  /** When a request last came (ms), written at most once per {@link SEEN_WRITE_INTERVAL_MS}. */
  seenAt: number;
  idleTimeoutMs: number;
}

/** What one HTTP request to a session carries across the RPC boundary (its body already read). */
export interface SessionRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body?: unknown;
}

/** A session's `lastSeen` is written no more often than this (one storage write per minute at most). */
const SEEN_WRITE_INTERVAL_MS = 60_000;

/** How often an open stream checks that its grant still exists (one KV read per interval). */
const GRANT_CHECK_MS = 60_000;

/**
 * One MCP session of a 2025-era client (Streamable HTTP with `Mcp-Session-Id`): the server of
 * the session, connected to the SDK's session transport, for as long as the session lives. Only
 * a client that declared it can answer the server (elicitation, sampling, roots) gets one
 * (src/mcp/routes.ts); everyone else is served statelessly, as before.
 *
 * In a session, a tool that asks sends its request to the client on the stream of the call's own
 * POST, and waits: the client posts its answer to the same session, which reaches this same
 * object and the waiting handler. A posted answer to a request this session never sent is refused
 * (400), never handed to the server.
 *
 * The session belongs to the grant whose token opened it, with those scopes: for anyone else
 * (another user, another app of the same user, a token with other scopes) it does not exist (404,
 * as for an unknown id, so ids reveal nothing). It ends on DELETE, after its idle timeout (an
 * alarm), and when its grant is revoked: every request's token is checked before it comes here,
 * and an open GET stream checks the grant every minute. Storage holds the owner and the client's
 * `initialize`, so a session outlives its object's eviction: the next request replays the
 * handshake into a new server. Nothing else is stored.
 */
export class McpSession extends DurableObject<Env> {
  #record: SessionRecord | undefined;
  #live: Live | undefined;
  #seenWrittenAt = 0;
  #grantCheck: ReturnType<typeof setInterval> | undefined;

  /**
   * Opens the session `id` with the client's `initialize` (answered as usual, plus the
   * `Mcp-Session-Id` header) for `caller`, whose requests alone it serves from then on.
   */
  async open(
    id: string,
    caller: McpCaller,
    request: SessionRequest,
    idleTimeoutMs: number,
  ): Promise<Response> {
    const owner = sessionOwnerOf(caller);
    const initialize = request.body as JSONRPCMessage;
    if (!owner || !isInitializeRequest(initialize)) return notFound();
    if (this.#record || (await this.ctx.storage.get('session'))) return notFound();
    const now = Date.now();
    const record: SessionRecord = {
      id,
      owner,
      initialize: request.body as JSONRPCMessage,
      seenAt: now,
      idleTimeoutMs,
    };
    const live = this.#start(record, caller);
    const response = await live.transport.handleRequest(requestOf(request), {
      parsedBody: request.body,
      authInfo: authInfoFor(caller),
    });
    if (!response.ok || live.transport.sessionId !== id) {
      this.#stop();
      return response;
    }
    this.#record = record;
    this.#seenWrittenAt = now;
    await this.ctx.storage.put('session', record);
    await this.ctx.storage.setAlarm(now + idleTimeoutMs);
    log('info', 'mcp_session_opened', { client: caller.clientId });
    return response;
  }

  /** Serves one request of the session (POST, GET for the server's stream, DELETE to end it). */
  async serve(id: string, caller: McpCaller, request: SessionRequest): Promise<Response> {
    const record = await this.#load(id);
    const from = sessionOwnerOf(caller);
    if (!record || !from || !sameOwner(from, record.owner)) return notFound();
    const body = request.body;
    const live = this.#live ?? (await this.#revive(record, caller));
    const lastEventId = request.method === 'GET' ? headerOf(request, 'last-event-id') : undefined;
    if (lastEventId !== undefined && !live.events.knows(lastEventId)) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        'Cannot resume from that Last-Event-ID: this session no longer has the events after it. Call again.',
      );
    }
    if (body !== undefined && !this.#answersSentRequests(body)) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        'This session sent no request with that id, or it was already answered: nothing to answer.',
      );
    }
    await this.#seen(record);
    const response = await live.transport.handleRequest(requestOf(request), {
      parsedBody: body,
      authInfo: authInfoFor(caller),
    });
    if (request.method === 'GET' && response.ok) this.#watchGrant(record);
    return response;
  }

  /** The idle timeout: ends the session unless a request came since (then waits again). */
  override async alarm(): Promise<void> {
    const record = this.#record ?? (await this.ctx.storage.get<SessionRecord>('session'));
    if (!record) return;
    const idleUntil = record.seenAt + record.idleTimeoutMs;
    if (Date.now() < idleUntil) {
      await this.ctx.storage.setAlarm(idleUntil);
      return;
    }
    log('info', 'mcp_session_ended', { reason: 'idle' });
    await this.#end();
  }

  async #load(id: string): Promise<SessionRecord | undefined> {
    this.#record ??= await this.ctx.storage.get<SessionRecord>('session');
    return this.#record?.id === id ? this.#record : undefined;
  }

  /** A new server for the session, connected to its transport (not yet initialized). */
  #start(record: SessionRecord, caller: McpCaller): Live {
    const server = buildMcpServer(authInfoFor(caller), this.env);
    const events = new SessionEventStore();
    const transport = new SessionTransport({
      sessionIdGenerator: () => record.id,
      onsessionclosed: () => void this.#end(),
      // Resumability (SEP-1699): event ids on every stream, so a client whose connection drops
      // mid-call reconnects with Last-Event-ID and gets what it missed.
      eventStore: events,
      retryInterval: RETRY_INTERVAL_MS,
    });
    // connect() only starts the transport and sets handlers: it settles at once.
    void server.connect(transport);
    this.#live = { server, transport, events };
    return this.#live;
  }

  /** After an eviction: a new server that replays the client's handshake, then serves on. */
  async #revive(record: SessionRecord, caller: McpCaller): Promise<Live> {
    const live = this.#start(record, caller);
    const authInfo = authInfoFor(caller);
    const replay = async (body: JSONRPCMessage, headers: Record<string, string>) => {
      const request = new Request('https://session.internal/mcp', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
        },
      });
      // Read to the end: the stream closes once the server has answered.
      await (await live.transport.handleRequest(request, { parsedBody: body, authInfo })).text();
    };
    await replay(record.initialize, {});
    await replay({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'Mcp-Session-Id': record.id });
    log('info', 'mcp_session_revived', {});
    return live;
  }

  /** Posted answers must answer requests this session sent and has not had answered. */
  #answersSentRequests(body: unknown): boolean {
    const messages = Array.isArray(body) ? body : [body];
    const answers = messages.filter(
      (message): message is { id: RequestId } =>
        isJSONRPCResultResponse(message as JSONRPCMessage) ||
        isJSONRPCErrorResponse(message as JSONRPCMessage),
    );
    return answers.every((answer) => this.#live?.transport.awaits(answer.id) === true);
  }

  async #seen(record: SessionRecord): Promise<void> {
    const now = Date.now();
    record.seenAt = now;
    if (now - this.#seenWrittenAt < SEEN_WRITE_INTERVAL_MS) return;
    this.#seenWrittenAt = now;
    await this.ctx.storage.put('session', record);
  }

  /** While the server's own stream is open, ends the session once its grant is gone. */
  #watchGrant(record: SessionRecord): void {
    if (this.#grantCheck !== undefined) return;
    this.#grantCheck = setInterval(async () => {
      let grant: string | null;
      try {
        grant = await this.env.OAUTH_KV.get(record.owner.grantKey);
      } catch (error) {
        log('warn', 'mcp_session_grant_check_failed', { error: String(error) });
        return;
      }
      if (grant !== null || this.#record !== record) return;
      log('info', 'mcp_session_ended', { reason: 'grant_gone' });
      await this.#end();
    }, GRANT_CHECK_MS);
  }

  async #end(): Promise<void> {
    this.#stop();
    this.#record = undefined;
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
  }

  #stop(): void {
    if (this.#grantCheck !== undefined) clearInterval(this.#grantCheck);
    this.#grantCheck = undefined;
    const live = this.#live;
    this.#live = undefined;
    void live?.transport.close().catch(() => {});
  }
}

/** A session's live server, its transport, and the events its streams carried. */
interface Live {
  server: McpServer;
  transport: SessionTransport;
  events: SessionEventStore;
}

/** How long a client waits before reconnecting to a stream that closed (the SSE `retry` field). */
const RETRY_INTERVAL_MS = 1_000;

/** The most a session keeps of its streams' recent events, in bytes of JSON (oldest dropped first). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * The events of a session's streams, in memory, for resumption: at most {@link MAX_EVENT_BYTES}
 * of them (a stream's older events go first). Kept with the server that sent them: after an
 * eviction there is nothing to resume (the calls in flight are gone too), and the client is told.
 */
class SessionEventStore implements EventStore {
  readonly #events: { id: EventId; streamId: StreamId; message: JSONRPCMessage; bytes: number }[] = [];
  #bytes = 0;
  #next = 0;

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const id = `${streamId}_${++this.#next}`;
    const bytes = JSON.stringify(message).length;
    this.#events.push({ id, streamId, message, bytes });
    this.#bytes += bytes;
    while (this.#bytes > MAX_EVENT_BYTES && this.#events.length > 1) {
      this.#bytes -= this.#events.shift()?.bytes ?? 0;
    }
    return id;
  }

  knows(eventId: EventId): boolean {
    return this.#events.some((event) => event.id === eventId);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.#events.find((event) => event.id === eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const index = this.#events.findIndex((event) => event.id === lastEventId);
    const streamId = this.#events[index]?.streamId;
    if (streamId === undefined) throw new Error('Unknown event id');
    for (const event of this.#events.slice(index + 1)) {
      // The priming event (an empty message) is not replayed: it carries nothing.
      if (event.streamId === streamId && Object.keys(event.message).length > 0)
        await send(event.id, event.message);
    }
    return streamId;
  }
}

/**
 * The SDK's session transport, which also remembers the requests it sent to the client and has
 * not seen answered, so that a posted answer can be checked before the server sees it.
 */
class SessionTransport extends WebStandardStreamableHTTPServerTransport {
  readonly #sent = new Set<RequestId>();

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isJSONRPCRequest(message)) this.#sent.add(message.id);
    return super.send(message, options);
  }

  override async handleRequest(
    req: Request,
    options?: Parameters<WebStandardStreamableHTTPServerTransport['handleRequest']>[1],
  ): Promise<Response> {
    const messages = Array.isArray(options?.parsedBody) ? options.parsedBody : [options?.parsedBody];
    for (const message of messages) {
      if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined)
        this.#sent.delete(message.id);
    }
    return super.handleRequest(req, options);
  }

  /** Whether `id` is a request this transport sent and that is still waiting for its answer. */
  awaits(id: RequestId): boolean {
    return this.#sent.has(id);
  }
}

function sameOwner(a: SessionOwner, b: SessionOwner): boolean {
  return a.userId === b.userId && a.grantKey === b.grantKey && a.scopes === b.scopes;
}

function headerOf(request: SessionRequest, name: string): string | undefined {
  return request.headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

function requestOf(request: SessionRequest): Request {
  return new Request(request.url, { method: request.method, headers: request.headers });
}

/** The answer for an unknown, ended or foreign session: the client opens a new one (spec). */
function notFound(): Response {
  return jsonRpcErrorResponse(404, -32001, SESSION_NOT_FOUND);
}
