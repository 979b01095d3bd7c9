import type { OAuthHelpers } from '@cloudflare/workers-oauth-provider';

/** The bindings our pages see: the Worker's, plus the OAuth helpers the provider injects. */
export type AppEnv = Env & {
  OAUTH_PROVIDER: OAuthHelpers;
  /** HMAC secret for the browser session cookie; generated and kept in KV when unset. */
  SESSION_SECRET?: string;
  /** Extra origins allowed to call the MCP routes from a browser, comma-separated. */
  ALLOWED_ORIGINS?: string;
};
