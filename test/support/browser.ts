import { exports } from 'cloudflare:workers';

/** The origin the tests reach the Worker at: a loopback host, as under `wrangler dev`. */
export const ORIGIN = 'http://localhost';

/** How a request reaches the Worker: by default its real entry point with its real bindings. */
export type Fetcher = (request: Request) => Promise<Response>;

const worker: Fetcher = (request) => exports.default.fetch(request);

/** One request to the Worker, without following redirects (a test looks at each hop). */
export function send(
  path: string | URL,
  init: RequestInit = {},
  origin = ORIGIN,
  fetcher: Fetcher = worker,
): Promise<Response> {
  return fetcher(new Request(new URL(path, origin), { redirect: 'manual', ...init }));
}

/**
 * A browser, as far as our pages can tell: it keeps the cookies the Worker sets and sends them
 * back. Cookies are kept by name only (every cookie of ours is host-only with `Path=/`).
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly origin = ORIGIN,
    readonly fetcher: Fetcher = worker,
  ) {}

  async get(path: string, headers: HeadersInit = {}): Promise<Response> {
    return this.#send(path, { method: 'GET', headers });
  }

  /** Posts a form the way a browser does (`application/x-www-form-urlencoded`). */
  async postForm(
    path: string,
    fields: Record<string, string | string[]>,
    headers: HeadersInit = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
    }
    return this.#send(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...Object.fromEntries(new Headers(headers)),
      },
      body,
    });
  }

  async #send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('Cookie')) {
      headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await send(path, { ...init, headers }, this.origin, this.fetcher);
    this.#keep(response);
    return response;
  }

  #keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The value of a hidden form field in a page, or fails the test. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`No hidden field ${name} in the page:\n${html}`);
  return match[1];
}
