import assert from 'node:assert/strict';
import {
  auth,
  Client,
  type ClientOptions,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { type AuthorizeResult, authorizeInBrowser, type UpstreamSignIn } from './browser.ts';
import { type CallbackServer, MemoryOAuthProvider } from './oauth.ts';

/** What the server answered with a 403, as the app's HTTP layer saw it. */
export interface Challenge {
  status: number;
  wwwAuthenticate: string | null;
}

/**
 * An MCP app built on the SDK client (v2): its OAuth state, every 403 its transport received, and
 * a way to play the user in Chromium whenever the SDK sends them to authorize.
 */
export class NotesApp {
  readonly provider: MemoryOAuthProvider;
  readonly challenges: Challenge[] = [];
  readonly serverUrl: string;
  readonly callbacks: CallbackServer;
  readonly name: string;
  readonly options: ClientOptions;
  client: Client | undefined;
  transport: StreamableHTTPClientTransport | undefined;

  constructor(serverUrl: string, callbacks: CallbackServer, name: string, options: ClientOptions) {
    this.serverUrl = serverUrl;
    this.callbacks = callbacks;
    this.name = name;
    this.options = options;
    this.provider = new MemoryOAuthProvider(callbacks.redirectUri, name);
  }

  /**
   * The app's first authorization, asking for `scope` up front (as an app that knows what it
   * needs does), approved in Chromium by `email` (or by whoever signs in at `upstream`); then it
   * connects.
   */
  async signIn(
    scope: string,
    email: string,
    label: string,
    upstream?: UpstreamSignIn,
  ): Promise<AuthorizeResult> {
    const result = await auth(this.provider, { serverUrl: new URL(`${this.serverUrl}/mcp`), scope });
    assert.equal(result, 'REDIRECT');
    const seen = await this.authorizeInBrowser({ email, label, ...(upstream && { upstream }) });
    await this.connect();
    return seen;
  }

  /** Sends the user to the authorization URL the SDK asked for, and finishes the exchange. */
  async authorizeInBrowser(options: {
    email: string;
    label: string;
    uncheck?: string[];
    upstream?: UpstreamSignIn;
  }): Promise<AuthorizeResult> {
    const url = this.provider.authorizationUrl;
    assert.ok(url, 'the SDK asked to send the user to authorize');
    this.provider.authorizationUrl = undefined;
    const callback = this.callbacks.next();
    const seen = await authorizeInBrowser(url, options);
    const callbackUrl = await callback;
    assert.equal(callbackUrl.searchParams.get('state'), this.provider.expectedState);
    await this.#newTransport().finishAuth(callbackUrl.searchParams);
    return seen;
  }

  async connect(): Promise<Client> {
    await this.client?.close().catch(() => {});
    const client = new Client({ name: this.name, version: '1.0.0' }, this.options);
    this.onClient?.(client);
    this.transport = this.#newTransport();
    await client.connect(this.transport);
    this.client = client;
    return client;
  }

  /** Called with each new client before it connects (to register request handlers). */
  onClient: ((client: Client) => void) | undefined;

  /** Calls a tool; `'authorize'` when the SDK stopped to send the user to authorize (step-up). */
  async callTool(name: string, args: Record<string, unknown>) {
    assert.ok(this.client, 'not connected');
    try {
      return await this.client.callTool({ name, arguments: args });
    } catch (error) {
      if (error instanceof UnauthorizedError) return 'authorize' as const;
      throw error;
    }
  }

  /** Calls a tool that must not need another authorization. */
  async call(name: string, args: Record<string, unknown>) {
    const result = await this.callTool(name, args);
    assert.notEqual(result, 'authorize', `${name} asked for another authorization`);
    if (result === 'authorize') throw new Error('unreachable');
    return result;
  }

  get grantedScope(): string | undefined {
    return this.provider.tokens()?.scope;
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => {});
  }

  #newTransport(): StreamableHTTPClientTransport {
    return new StreamableHTTPClientTransport(new URL(`${this.serverUrl}/mcp`), {
      authProvider: this.provider,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 403) {
          this.challenges.push({ status: 403, wwwAuthenticate: response.headers.get('WWW-Authenticate') });
        }
        return response;
      },
    });
  }
}
