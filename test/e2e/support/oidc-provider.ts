import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';

/**
 * A real OpenID Provider (the certified `oidc-provider` package) on 127.0.0.1, as the upstream
 * identity provider of the server under test. Its development login page accepts any login and
 * password; the login decides the account (see {@link accountFor}).
 */
export interface TestOpenIdProvider {
  /** The issuer, e.g. http://127.0.0.1:PORT */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the server's callback and starts answering (the server's port is known only now). */
  configure: (redirectUri: string) => void;
  /** How many refresh_token grants the provider has answered successfully. */
  refreshGrants: () => number;
  /** Revokes every refresh token issued so far, as a user who removes the app at the provider. */
  revokeRefreshTokens: () => Promise<number>;
  /**
   * From now on, sign-ins as `login` get no refresh token and an access token for an hour: what
   * Google issues by default (without `access_type=offline`).
   */
  withoutRefreshTokens: (login: string) => void;
  /**
   * From now on, access tokens issued for `login` (at sign-in and at refresh) live `seconds`
   * instead of the default 30: 1 to see one expire, longer to keep one valid for a whole test.
   */
  accessTokenLifetime: (login: string, seconds: number) => void;
  /** Deletes the account `login`, as an administrator who deprovisions a user: its tokens stop working. */
  removeAccount: (login: string) => void;
  close: () => Promise<void>;
}

/**
 * The account a login names: `<login>@example.com` with a verified email, except `unverified`
 * (its email is not verified) and logins with a dot-free domain part after `+`, e.g.
 * `eve+evil.test` → `eve@evil.test`.
 */
function accountFor(login: string) {
  const [local = login, domain = 'example.com'] = login.split('+');
  return {
    accountId: login,
    async claims() {
      return {
        sub: login,
        email: `${local}@${domain}`,
        email_verified: login !== 'unverified',
        name: `Test user ${local}`,
      };
    },
  };
}

export async function startOpenIdProvider(): Promise<TestOpenIdProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end('not configured yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'mcp-server';
  const clientSecret = 'test-client-secret-for-the-mcp-server';
  let refreshes = 0;
  const refreshTokens = new Set<string>();
  const withoutRefresh = new Set<string>();
  const removed = new Set<string>();
  const lifetimes = new Map<string, number>();
  let provider: Provider | undefined;

  return {
    issuer,
    clientId,
    clientSecret,
    configure(redirectUri) {
      provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        findAccount: (_ctx, id) => (removed.has(id) ? undefined : accountFor(id)),
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
        // Refresh tokens without `offline_access`, as Google (access_type=offline), Okta and
        // Keycloak can be set up to issue them.
        issueRefreshToken: async (_ctx, client, code) =>
          client.grantTypeAllowed('refresh_token') && !withoutRefresh.has(code.accountId ?? ''),
        // Shorter than the server's 60-second refresh margin: by the time a client refreshes,
        // the provider's access token counts as expired, so every refresh of ours refreshes it.
        // An hour, as Google's, for the logins that get no refresh token; or as a test chose.
        ttl: {
          AccessToken: (_ctx, token) =>
            lifetimes.get(token.accountId ?? '') ?? (withoutRefresh.has(token.accountId ?? '') ? 3600 : 30),
          IdToken: 300,
          RefreshToken: 3600,
          Grant: 3600,
          Session: 3600,
          Interaction: 600,
        },
        cookies: { keys: ['e2e-oidc-provider-cookie-key'] },
      });
      provider.on('grant.success', (ctx) => {
        if (ctx.oidc.params?.grant_type === 'refresh_token') refreshes += 1;
      });
      provider.on('refresh_token.saved', (token) => refreshTokens.add(token.jti));
      provider.on('server_error', (_ctx, error) => console.error('oidc-provider:', error));
      handler = provider.callback();
    },
    refreshGrants: () => refreshes,
    withoutRefreshTokens: (login) => {
      withoutRefresh.add(login);
    },
    accessTokenLifetime: (login, seconds) => {
      lifetimes.set(login, seconds);
    },
    removeAccount: (login) => {
      removed.add(login);
    },
    async revokeRefreshTokens() {
      let revoked = 0;
      for (const jti of refreshTokens) {
        const token = await provider?.RefreshToken.find(jti);
        if (token) {
          await token.destroy();
          revoked += 1;
        }
      }
      return revoked;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
