import type { OAuthHelpers } from '@cloudflare/workers-oauth-provider';

/** The bindings our pages see: the Worker's, plus the OAuth helpers the provider injects. */
export type AppEnv = Env & {
  OAUTH_PROVIDER: OAuthHelpers;
  /**
   * HMAC secret for the browser session cookie (and the keys derived from it). Required on a
   * public host; on a loopback host (`wrangler dev`) a random one is generated and kept in KV.
   */
  SESSION_SECRET?: string;
  /** Extra origins allowed to call the MCP routes from a browser, comma-separated. */
  ALLOWED_ORIGINS?: string;
  /** Access and refresh token lifetimes in seconds (src/oauth.ts has the defaults). */
  ACCESS_TOKEN_TTL?: string;
  REFRESH_TOKEN_TTL?: string;
  /**
   * Seconds a grant made through an identity provider lives after the provider last vouched for
   * the user, when it cannot be asked again (src/auth/sign-in/refresh.ts has the default).
   */
  UPSTREAM_RECHECK_SECONDS?: string;
  /** OpenID Connect sign-in (src/auth/sign-in/oidc.ts): the issuer URL, discovered at sign-in. */
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  /** Space-separated scopes to ask for; `openid email profile` by default. */
  OIDC_SCOPES?: string;
  /** The provider's name on the sign-in page ("Okta", "Google"…). */
  OIDC_DISPLAY_NAME?: string;
  /** Google Workspace: the domain (`hd` claim) every account must belong to; sent as `hd=` too. */
  OIDC_HOSTED_DOMAIN?: string;
  /** GitHub sign-in (src/auth/sign-in/github.ts). */
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  /** GitHub Enterprise Server, e.g. `https://github.example.com`; github.com when unset. */
  GITHUB_BASE_URL?: string;
  /** Who may sign in through OIDC or GitHub (src/auth/sign-in/allowlist.ts), comma-separated. */
  ALLOWED_EMAILS?: string;
  ALLOWED_EMAIL_DOMAINS?: string;
  ALLOWED_GITHUB_ORGS?: string;
};
