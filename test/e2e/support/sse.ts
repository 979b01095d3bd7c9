/** One server-sent event (comments such as `: keep-alive` are skipped). */
export interface SseEvent {
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  contentType: string;
  /** The next event; rejects after `timeoutMs` or when the stream ends. */
  next: (timeoutMs: number) => Promise<SseEvent>;
  close: () => void;
}

/** Opens `GET url` as an event stream with a bearer token, as an old HTTP+SSE MCP client does. */
export async function openSse(url: string, token: string): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: abort.signal,
  });
  const queue: SseEvent[] = [];
  const waiters: Array<{ resolve: (event: SseEvent) => void; reject: (error: Error) => void }> = [];
  let ended: Error | undefined;
  const deliver = (event: SseEvent) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(event);
    else queue.push(event);
  };
  const end = (error: Error) => {
    ended = error;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };

  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, '\n');
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) deliver({ event, data: data.join('\n') });
        }
      }
      end(new Error('The event stream ended'));
    })().catch((error: unknown) => end(error instanceof Error ? error : new Error(String(error))));
  } else {
    await response.body?.cancel();
    end(new Error(`GET ${url} answered ${response.status}`));
  }

  return {
    status: response.status,
    contentType: response.headers.get('Content-Type') ?? '',
    next: (timeoutMs) => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.findIndex((waiter) => waiter.resolve === onEvent);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`No event within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const onEvent = (event: SseEvent) => {
          clearTimeout(timer);
          resolve(event);
        };
        waiters.push({
          resolve: onEvent,
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    close: () => abort.abort(),
  };
}
