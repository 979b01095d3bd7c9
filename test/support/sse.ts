import { send } from './browser';

export interface ServerSentEvent {
  event: string;
  data: string;
  /** The event's id, when the server gave one (a resumable stream). */
  id?: string;
}

/**
 * An open `GET /sse` stream, read one event at a time (comments such as keep-alives skipped), as
 * a 2024-11-05 client reads it.
 */
export class EventStream {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  constructor(readonly response: Response) {
    if (!response.body) throw new Error('The SSE response has no body');
    this.#reader = response.body.getReader();
  }

  /** Opens a session with `token`; the response is checked by the caller. */
  static async open(token: string): Promise<EventStream> {
    const response = await send('/sse', {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    });
    return new EventStream(response);
  }

  /** The next event, or fails when none arrives within `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<ServerSentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.#take();
      if (event) return event;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('No SSE event arrived in time');
      let timer: ReturnType<typeof setTimeout> | null = null;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), remaining);
      });
      const chunk = await Promise.race([this.#reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout') throw new Error('No SSE event arrived in time');
      if (chunk.done) throw new Error('The SSE stream ended');
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Closes the stream, as a client that goes away. */
  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }

  #take(): ServerSentEvent | null {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end === -1) return null;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0)
        return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
    }
  }
}

/** POSTs one message to an SSE session's endpoint. */
export function postMessage(
  endpoint: string,
  token: string,
  body: unknown,
  contentType = 'application/json',
): Promise<Response> {
  return send(endpoint, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
