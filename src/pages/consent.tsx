import type { ConsentDescription } from '@cloudflare/workers-oauth-provider';
import type { SignedInUser } from '../auth/props';
import { BASE_SCOPE, SCOPES, type Scope } from '../auth/scopes';
import type { SignInChoice } from '../auth/sign-in/methods';
import { Layout } from './layout';
import { RememberChoice } from './remember-choice';

export interface ConsentPageProps {
  details: ConsentDescription;
  /** The consent handle from `beginConsent()`, posted back with the decision. */
  handle: string;
  /** The signed list of the scopes offered (src/auth/consent-scopes.ts), posted back. */
  offer: string;
  /** The scopes offered, the baseline first. */
  scopes: Scope[];
  /** The signed-in user; `null` when the user signs in with `signInWith` after allowing. */
  user: SignedInUser | null;
  /** The identity provider the browser goes to after Allow (it names the user only then). */
  signInWith?: SignInChoice;
  csrf: string;
}

/**
 * The scheme of a native app's private-use redirect URI (RFC 8252 §7.1), such as `cursor:`, or
 * `null` for an https or loopback redirect. Any app on the device can claim a scheme, so the page
 * names it: the user knows which app opens next.
 */
export function privateUseScheme(redirectUri: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(redirectUri)?.[1]?.toLowerCase();
  return scheme && scheme !== 'http' && scheme !== 'https' ? scheme : null;
}

/**
 * Asks the signed-in user whether an app may act for them. Every string about the app came from
 * the app (its registration or metadata document) and is escaped by JSX.
 */
export function ConsentPage({ details, handle, offer, scopes, user, signInWith, csrf }: ConsentPageProps) {
  const scheme = privateUseScheme(details.redirectUri);
  return (
    <Layout title={`Allow ${details.clientName}?`} user={user} csrf={csrf} narrow>
      <div class="card">
        <h1>
          Allow <span class="client-name">{details.clientName}</span> to use this server as you?
        </h1>
        {details.clientDomain ? (
          <p>
            Published by <strong>{details.clientDomain}</strong>.
          </p>
        ) : (
          <p class="muted">This app registered itself: its name is not verified.</p>
        )}
        <dl class="facts">
          {user ? (
            <>
              <dt>Signed in as</dt>
              <dd>{user.email || user.name}</dd>
            </>
          ) : null}
          {signInWith ? (
            <>
              <dt>{user ? 'Confirmed with' : 'You sign in with'}</dt>
              <dd>{signInWith.name}, after you allow</dd>
            </>
          ) : null}
          <dt>Access goes to</dt>
          <dd>
            {scheme ? (
              <>
                the app that opens <strong>{scheme}:</strong> links on this device
              </>
            ) : (
              <strong>{details.redirectHost}</strong>
            )}
          </dd>
        </dl>
        {scheme ? (
          <p class="warning">
            <strong>
              This sends access to the app registered for <code>{scheme}:</code> links on this device.
            </strong>{' '}
            Continue only if you just started connecting from {details.clientName} on this device.
          </p>
        ) : null}
        {details.redirectIsLoopback ? (
          <p class="warning">
            <strong>This sends access to an app on your computer.</strong> Continue only if you just started
            connecting from it.
          </p>
        ) : null}
        <form method="post" action="/authorize">
          <input type="hidden" name="handle" value={handle} />
          <input type="hidden" name="offer" value={offer} />
          {signInWith ? <input type="hidden" name="sign_in_with" value={signInWith.id} /> : null}
          <h2>It will be able to</h2>
          <ul class="scopes">
            {scopes.map((scope) =>
              scope === BASE_SCOPE ? (
                <li>
                  <input type="hidden" name="scope" value={scope} />
                  <input type="checkbox" checked disabled aria-label={scope} />
                  <span>
                    {SCOPES[scope]} <code>{scope}</code>
                  </span>
                </li>
              ) : (
                <li>
                  <input id={`scope-${scope}`} type="checkbox" name="scope" value={scope} checked />
                  <label for={`scope-${scope}`}>
                    {SCOPES[scope]} <code>{scope}</code>
                  </label>
                </li>
              ),
            )}
          </ul>
          {user ? <RememberChoice clientName={details.clientName} /> : null}
          <div class="actions">
            <button type="submit" name="decision" value="approve" class="primary">
              Allow
            </button>
            <button type="submit" name="decision" value="deny">
              Deny
            </button>
          </div>
        </form>
      </div>
    </Layout>
  );
}
