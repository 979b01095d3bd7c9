import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/** An app's loopback redirect target (RFC 8252 §7.3): records every callback the browser brings. */
export interface CallbackServer {
  /** `http://127.0.0.1:PORT/callback` */
  redirectUri: string;
  /** The next callback request's URL (or the first one not yet taken). */
  next: () => Promise<URL>;
  close: () => Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const received: URL[] = [];
  const waiters: Array<(url: URL) => void> = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    const full = new URL(url.pathname + url.search, redirectUri);
    const waiter = waiters.shift();
    if (waiter) waiter(full);
    else received.push(full);
    const failed = url.searchParams.has('error');
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>Test app</title><h1>${failed ? 'Authorization failed' : 'Authorization complete'}</h1>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  return {
    redirectUri,
    next: () => {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The OAuth side of a test MCP client for the SDK's transports: a public client (PKCE, no secret)
 * that registers itself (RFC 7591), keeps everything in memory, and records the authorization URL
 * the SDK wants the user sent to instead of opening a browser itself.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  /** Where the SDK sent the user last (the test opens it in Chromium). */
  authorizationUrl: URL | undefined;
  readonly expectedState = randomBytes(16).toString('base64url');
  #client: StoredOAuthClientInformation | undefined;
  #tokens: StoredOAuthTokens | undefined;
  #verifier: string | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  readonly #redirectUri: string;
  readonly #clientName: string;

  constructor(redirectUri: string, clientName: string) {
    this.#redirectUri = redirectUri;
    this.#clientName = clientName;
  }

  get redirectUrl(): string {
    return this.#redirectUri;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#clientName,
      redirect_uris: [this.#redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return this.expectedState;
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.#client;
  }

  saveClientInformation(client: StoredOAuthClientInformation): void {
    this.#client = client;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.#tokens = tokens;
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    this.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error('No PKCE code verifier saved');
    return this.#verifier;
  }

  /** Kept so the callback leg is checked against the authorization server discovered (SEP-2352). */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
  }
}
