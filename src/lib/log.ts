import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of one request carries. */
interface RequestContext {
  requestId: string;
}

const context = new AsyncLocalStorage<RequestContext>();

/** Field names whose values are never logged, whoever passes them. */
const SECRET_FIELDS =
  /^(authorization|cookie|set-cookie|password|secret|client_secret|token|access_token|refresh_token|id_token|code|code_verifier|state|handle)$/i;

/**
 * Runs `handler` with a request id that every {@link log} line inside it carries: Cloudflare's
 * `cf-ray` when there is one (so our lines match the platform's), a random id otherwise.
 */
export function withRequestId<T>(request: Request, handler: () => T): T {
  const requestId = request.headers.get('cf-ray') ?? crypto.randomUUID();
  return context.run({ requestId }, handler);
}

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Writes one JSON line: `{ level, event, requestId, …fields }`. Fields named like a credential
 * (token, code, password, secret, cookie, …) are replaced by `[redacted]`, so a careless call
 * cannot put a credential in the logs.
 */
export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line: Record<string, unknown> = { level, event, requestId: context.getStore()?.requestId };
  for (const [name, value] of Object.entries(fields)) {
    line[name] = SECRET_FIELDS.test(name) ? '[redacted]' : value;
  }
  const text = JSON.stringify(line);
  if (level === 'error') console.error(text);
  else if (level === 'warn') console.warn(text);
  else console.log(text);
}
