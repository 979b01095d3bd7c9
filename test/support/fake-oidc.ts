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
 */
export class FakeOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  /** The nonce of the last authorization request the Worker sent to the provider. */
  nonce = '';
  idTokenClaims: (nonce: string) => Record<string, unknown>;
  signWith: CryptoKey | undefined;

  private constructor(
    issuer: string,
    clientId: string,
    readonly user: FakeUser,
    private readonly keys: CryptoKeyPair,
    private readonly publicJwk: JsonWebKey,
  ) {
    this.issuer = issuer;
    this.clientId = clientId;
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

  /** Back to well-behaved: good claims, signed with the published key. */
  reset(): void {
    this.idTokenClaims = (nonce) => this.goodClaims(nonce);
    this.signWith = undefined;
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
      if (form.get('grant_type') !== 'authorization_code' || !form.get('code_verifier')) {
        return Response.json({ error: 'invalid_request' }, { status: 400 });
      }
      return Response.json({
        access_token: 'upstream-access-token',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'upstream-refresh-token',
        id_token: await signJwt(this.signWith ?? this.keys.privateKey, this.idTokenClaims(this.nonce)),
      });
    }
    return new Response('not found', { status: 404 });
  }
}
