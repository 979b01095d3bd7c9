import { toBase64Url } from '../../src/lib/base64url';

// An OpenID Connect provider answered inside the test Worker: the identity provider is the one
// thing outside the machine, so only its HTTP is faked (discovery, JWKS, token), and its ID
// tokens are really signed, by keys made in the test. A real provider is driven end to end in
// test/e2e/oidc.test.ts; these fakes can also give the answers a real one would not.

const encoder = new TextEncoder();

/** A fresh RS256 key pair. */
export async function rsaKey(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
}

/** A JWT with `claims`, signed RS256 with `key` under the key id `k1`. */
export async function signJwt(key: CryptoKey, claims: Record<string, unknown>): Promise<string> {
  const encode = (value: unknown) => toBase64Url(encoder.encode(JSON.stringify(value)));
  const signed = `${encode({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${encode(claims)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, encoder.encode(signed));
  return `${signed}.${toBase64Url(new Uint8Array(signature))}`;
}

/** Who the fake provider says signed in. */
export interface FakeUser {
  sub: string;
  email: string;
  name: string;
}

/**
 * A fake provider at `issuer` for the client `clientId`. Its token endpoint answers an
 * authorization code exchange (with PKCE) with an ID token for the `nonce` the test last saw in
 * the Worker's redirect to the provider: `idTokenClaims(nonce)`, signed by `signWith` (by default
 * the key its JWKS publishes). Set both to play a provider that misbehaves.
 *
 * It also answers refresh token grants and its UserInfo endpoint with {@link user} as it is now,
 * so a test can change the user's email, or play a provider that removed the user (`userInfo:
 * 401`, `refresh: 'invalid_grant'`) or is down (503).
 */
export class FakeOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  /** The nonce of the last authorization request the Worker sent to the provider. */
  nonce = '';
  idTokenClaims: (nonce: string) => Record<string, unknown>;
  signWith: CryptoKey | undefined;
  /** Who is signed in; UserInfo answers with it as it is at that moment. */
  user: FakeUser;
  /** Whether a code exchange also issues a refresh token (Google's default: no). */
  issuesRefreshTokens = true;
  /** Seconds the access tokens it issues live (`expires_in`). */
  accessTokenLifetime = 3600;
  /** How UserInfo answers: with the user (200), or this status. */
  userInfo: 200 | 401 | 503 = 200;
  /** How a refresh token grant answers: new tokens, `invalid_grant`, or this status. */
  refresh: 'tokens' | 'invalid_grant' | 503 = 'tokens';
  /** Every request the Worker made to it: `POST /token (refresh_token)`, `GET /userinfo (<token>)`. */
  readonly seen: string[] = [];
  private issued = 0;

  private constructor(
    issuer: string,
    clientId: string,
    private readonly original: FakeUser,
    private readonly keys: CryptoKeyPair,
    private readonly publicJwk: JsonWebKey,
  ) {
    this.issuer = issuer;
    this.clientId = clientId;
    this.user = { ...original };
    this.idTokenClaims = (nonce) => this.goodClaims(nonce);
  }

  static async create(issuer: string, clientId: string, user: FakeUser): Promise<FakeOidcProvider> {
    const keys = await rsaKey();
    const publicJwk = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as JsonWebKey;
    return new FakeOidcProvider(issuer, clientId, user, keys, publicJwk);
  }

  /** The claims of a valid ID token for {@link user}, bound to `nonce`. */
  goodClaims(nonce: string): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      aud: this.clientId,
      nonce,
      iat: now,
      exp: now + 300,
      email_verified: true,
      ...this.user,
    };
  }

  /** Back to well-behaved: good claims, signed with the published key, the original user. */
  reset(): void {
    this.idTokenClaims = (nonce) => this.goodClaims(nonce);
    this.signWith = undefined;
    this.user = { ...this.original };
    this.issuesRefreshTokens = true;
    this.accessTokenLifetime = 3600;
    this.userInfo = 200;
    this.refresh = 'tokens';
    this.seen.length = 0;
  }

  /** A new access token: `upstream-access-token` first, then `…-2`, `…-3`. */
  private accessToken(): string {
    this.issued += 1;
    return this.issued === 1 ? 'upstream-access-token' : `upstream-access-token-${this.issued}`;
  }

  /** The provider's answer to a request to its origin. */
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/.well-known/openid-configuration') {
      return Response.json({
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        userinfo_endpoint: `${this.issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (pathname === '/jwks')
      return Response.json({ keys: [{ ...this.publicJwk, kid: 'k1', alg: 'RS256', use: 'sig' }] });
    if (pathname === '/token') {
      const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
      if (form.get('grant_type') === 'refresh_token') {
        this.seen.push('POST /token (refresh_token)');
        if (this.refresh === 503) return new Response('unavailable', { status: 503 });
        if (this.refresh === 'invalid_grant')
          return Response.json({ error: 'invalid_grant' }, { status: 400 });
        return Response.json({
          access_token: this.accessToken(),
          token_type: 'Bearer',
          expires_in: this.accessTokenLifetime,
          refresh_token: 'upstream-refresh-token-rotated',
        });
      }
      if (form.get('grant_type') !== 'authorization_code' || !form.get('code_verifier')) {
        return Response.json({ error: 'invalid_request' }, { status: 400 });
      }
      this.issued = 0;
      return Response.json({
        access_token: this.accessToken(),
        token_type: 'Bearer',
        expires_in: this.accessTokenLifetime,
        ...(this.issuesRefreshTokens ? { refresh_token: 'upstream-refresh-token' } : {}),
        id_token: await signJwt(this.signWith ?? this.keys.privateKey, this.idTokenClaims(this.nonce)),
      });
    }
    if (pathname === '/userinfo') {
      const token = /^Bearer (.+)$/.exec(request.headers.get('Authorization') ?? '')?.[1] ?? '';
      this.seen.push(`GET /userinfo (${token})`);
      if (this.userInfo === 401) {
        return new Response(null, {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        });
      }
      if (this.userInfo === 503) return new Response('unavailable', { status: 503 });
      return Response.json({ ...this.user, email_verified: true });
    }
    return new Response('not found', { status: 404 });
  }
}
