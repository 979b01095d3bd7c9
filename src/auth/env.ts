import type { OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import type { Context } from 'hono';

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
  /** Who may sign in through an identity provider (src/auth/sign-in/allowlist.ts), comma-separated. */
  ALLOWED_EMAILS?: string;
  ALLOWED_EMAIL_DOMAINS?: string;
  // Each identity provider declares the variables it reads in its own folder
  // (src/auth/sign-in/providers/<id>/: OidcVars, GithubVars).
};

/** The context of a page or endpoint of ours (Hono), with {@link AppEnv} as its bindings. */
export type AppContext = Context<{ Bindings: AppEnv }>;
