import { isLoopbackHostname } from '../../lib/hosts';

/**
 * What an identity provider is to this server: the interface each provider implements, in its own
 * folder under ./providers/ (oidc/, github/), and the helpers they share. The list of providers is
 * ./providers/index.ts; docs/sign-in.md ("Adding a sign-in method") walks through a new one.
 */

/** An identity provider's tokens for one user, kept in the grant (`Props.upstream`). */
export interface UpstreamTokens {
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires, seconds since the epoch; unset when the provider did not say. */
  expiresAt?: number;
}

/** What an identity provider told us about the user who signed in. */
export interface UpstreamIdentity {
  /** The provider's stable id for the user (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  /** An email the provider vouches for (verified), or `null`. */
  email: string | null;
  name: string;
  /**
   * The organizations (or groups) the provider says the user belongs to, when its allow rule
   * needs them (GitHub's, for `ALLOWED_GITHUB_ORGS`).
   */
  organizations?: UpstreamOrganization[];
  tokens: UpstreamTokens;
}

/**
 * An organization at the provider. Its `id` never changes and is never reused; its `login` can be
 * renamed, and a freed login registered by someone else.
 */
export interface UpstreamOrganization {
  id: string;
  login: string;
}

/** What the authorization request to the provider needs. */
export interface UpstreamRedirect {
  /** Our callback, registered at the provider: `<origin>/signin/<id>/callback`. */
  redirectUri: string;
  state: string;
  /** PKCE S256 challenge of the verifier we keep (RFC 7636). */
  codeChallenge: string;
  /** OIDC `nonce`, bound into the ID token. */
  nonce: string;
}

/** What finishing a sign-in needs: the callback URL the provider sent the browser to, and what we kept. */
export interface UpstreamCallback {
  callbackUrl: URL;
  redirectUri: string;
  state: string;
  verifier: string;
  nonce: string;
}

/** A configured provider, ready to sign people in (discovery done, settings valid). */
export interface ReadyUpstream {
  /** The origin of the provider's sign-in pages, for the consent page's CSP `form-action`. */
  origin: string;
  /** Where to send the browser to sign in. */
  authorizationUrl(redirect: UpstreamRedirect): string;
  /** Redeems the code of a successful callback and validates what came back. */
  finish(callback: UpstreamCallback): Promise<UpstreamIdentity>;
  /**
   * At a refresh of one of our grants: asks the provider who the user `known` (what the grant
   * holds) is now, renewing the provider's access token first when it has expired or is about to.
   * Throws {@link TransientUpstreamError} when the provider did not answer (network, timeout, 5xx).
   */
  recheck(known: UpstreamIdentity): Promise<UpstreamRecheck>;
  /**
   * The provider's API, for tools that call it as the user: with the access token a grant
   * carries (`props.upstream.accessToken`, which `recheck` renews at each refresh of ours, so it is
   * as fresh as our own access token). Absent when the provider has no API beyond sign-in.
   */
  api?: UpstreamApi;
}

/** Calling a provider's API as the signed-in user. */
export interface UpstreamApi {
  /** The API's root (GitHub: https://api.github.com/; OIDC: the UserInfo endpoint). */
  base: URL;
  /**
   * `GET`s (or `init.method`) `path`, relative to {@link base}, with the user's access token and
   * the headers the provider wants, within {@link UPSTREAM_TIMEOUT_MS}. The response as it came:
   * 401 means the token was refused.
   */
  fetch(accessToken: string, path: string, init?: RequestInit): Promise<Response>;
}

/** What asking the provider about a grant's user at a refresh found. */
export type UpstreamRecheck =
  /** The provider vouched for the user again: who they are now, with its tokens (maybe renewed). */
  | { outcome: 'current'; identity: UpstreamIdentity }
  /** The provider refused (401, `invalid_grant`, another user): access there is gone for good. */
  | { outcome: 'revoked'; reason: string }
  /**
   * Nothing to ask with: the access token has expired and there is no refresh token, or there is
   * neither a refresh token nor a UserInfo endpoint. The grant lives on only for
   * `UPSTREAM_RECHECK_SECONDS` after the provider last vouched for the user.
   */
  | { outcome: 'unverifiable' };

/**
 * One identity provider: everything this server knows of it, in one object, in its own folder
 * (./providers/<id>/), listed once in ./providers/index.ts. `configured` says whether any of its
 * variables are set (then its button shows); `prepare` validates them (and, for OIDC, discovers
 * the issuer) and returns either the ready provider (sign-in, refresh, API) or the problems to
 * report. `Vars` are the Worker variables and secrets it reads, all optional strings: it gets the
 * whole `env`, and reads only those. (They are method signatures, not function-typed properties,
 * so that a provider typed with its own `Vars` fits the one list of providers.)
 */
export interface UpstreamMethod<Id extends string = string, Vars extends object = object> {
  /** The id in URLs (`/signin/<id>`, `/signin/<id>/callback`) and in user ids (`<id>:<subject>`). */
  readonly id: Id;
  /** The name on the sign-in button: "Continue with <displayName>". */
  displayName(env: Vars): string;
  configured(env: Vars): boolean;
  prepare(env: Vars): Promise<ReadyUpstream | ConfigurationProblem>;
  /**
   * Who may sign in through this provider beyond `ALLOWED_EMAILS` and `ALLOWED_EMAIL_DOMAINS`
   * (src/auth/sign-in/allowlist.ts): GitHub's `ALLOWED_GITHUB_ORGS`.
   */
  allowRule?: AllowRule<Vars>;
}

/** A provider's own rule for who may sign in, checked at sign-in and at every refresh. */
export interface AllowRule<Vars extends object = object> {
  /** Whether it is configured: then the allowlist is on, for every provider's users. */
  active(env: Vars): boolean;
  /** Whether it lets this user in (only asked when {@link active}). */
  admits(env: Vars, identity: UpstreamIdentity): boolean;
}

/** Settings that are missing, contradictory, or a provider that cannot be reached for its configuration. */
export class ConfigurationProblem {
  constructor(
    /** Sentences for the server's operator, naming the variables; no secret values. */
    readonly problems: string[],
  ) {}
}

/**
 * A sign-in that failed at or after the provider: `reason` is for the log, `message` for the page
 * (both written by us). `transient` failures (the provider did not answer) may succeed on retry.
 */
export class SignInFailure extends Error {
  constructor(
    readonly reason: string,
    readonly userMessage: string,
    readonly transient = false,
  ) {
    super(reason);
  }
}

/**
 * The provider signed the user in, but this server's rules for that provider refuse the account
 * (GitHub: no verified primary email; OIDC: another hosted domain). The page says "this account
 * may not use this server", as the allowlist's does, with `hint` saying what would change that.
 */
export class AccountRefused extends SignInFailure {
  constructor(
    reason: string,
    userMessage: string,
    readonly hint: string,
  ) {
    super(reason, userMessage);
  }
}

/** An upstream refresh that failed for a reason that may pass (network, 5xx): keep the grant. */
export class TransientUpstreamError extends Error {}

/** How long we wait for an identity provider before giving up. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * A provider URL from configuration: https, or http on a loopback host (a provider run locally
 * for development or tests). `null` when it is neither.
 */
export function providerUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || url.hash) return null;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return url;
  return null;
}

/** Comma- or space-separated configuration list, trimmed, empty entries dropped. */
export function listSetting(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Whether a configuration value is set (wrangler passes unset `--var`s as empty strings). */
export function isSet(value: string | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * The usual {@link UpstreamApi}: `base`, the user's access token as a Bearer token (RFC 6750 §2.1)
 * and `headers` on every request, within {@link UPSTREAM_TIMEOUT_MS} unless the caller gives a
 * signal of its own.
 */
export function bearerApi(base: URL, headers: Record<string, string> = {}): UpstreamApi {
  return {
    base,
    fetch(accessToken, path, init = {}) {
      const sent = new Headers(init.headers);
      for (const [name, value] of Object.entries(headers)) sent.set(name, value);
      sent.set('Authorization', `Bearer ${accessToken}`);
      return fetch(new URL(path, base), {
        ...init,
        headers: sent,
        signal: init.signal ?? AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    },
  };
}

/** Refresh an upstream access token this long before it expires. */
const REFRESH_MARGIN_SECONDS = 60;

/** Whether an upstream access token has expired or is about to (unknown expiry: no). */
export function expiresSoon(tokens: UpstreamTokens, now = Date.now()): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - REFRESH_MARGIN_SECONDS <= now / 1000;
}

/** Whether an upstream access token has expired, so the provider would refuse it (unknown expiry: no). */
export function hasExpired(tokens: UpstreamTokens, now = Date.now()): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt <= now / 1000;
}
