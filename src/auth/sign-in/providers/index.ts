import type { UpstreamMethod } from '../upstream';
import { github } from './github';
import { oidc } from './oidc';

/**
 * Every identity provider this server can sign people in through, besides the demo sign-in, in
 * the order the sign-in page lists them (each shows only while its variables are set). A new
 * provider is a folder beside these, exporting one `UpstreamMethod`, and one entry here
 * (docs/sign-in.md, "Adding a sign-in method").
 */
export const PROVIDERS = [oidc, github] as const;

/** The id of a provider of {@link PROVIDERS}: what a session and a grant say signed the user in. */
export type ProviderId = (typeof PROVIDERS)[number]['id'];

/** A provider of this server, as the sign-in code sees it. */
export type Provider = UpstreamMethod<ProviderId>;

/** Where a test's own list of providers travels, on a copy of `env` ({@link withProviders}). */
const providersKey = Symbol('sign-in providers');

/**
 * `env` with `providers` instead of {@link PROVIDERS}, for a test that brings a provider of its
 * own (test/sign-in-extra-provider.test.ts). A symbol key: no variable of wrangler.jsonc, and no
 * request, can set it.
 */
export function withProviders<E extends object>(env: E, providers: readonly UpstreamMethod[]): E {
  return { ...env, [providersKey]: providers };
}

/** The providers of this request: {@link PROVIDERS}, unless a test gave `env` its own. */
export function providersOf(env: object): readonly Provider[] {
  const given = (env as { [providersKey]?: readonly UpstreamMethod[] })[providersKey];
  // A test's provider has an id of its own, outside ProviderId: at run time any id works.
  return (given as readonly Provider[] | undefined) ?? PROVIDERS;
}
