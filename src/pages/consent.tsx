import type { ConsentDescription } from '@cloudflare/workers-oauth-provider';
import type { Props } from '../auth/props';
import { BASE_SCOPE, SCOPES, type Scope } from '../auth/scopes';
import { Layout } from './layout';

export interface ConsentPageProps {
  details: ConsentDescription;
  /** The consent handle from `beginConsent()`, posted back with the decision. */
  handle: string;
  /** The scopes offered, the baseline first. */
  scopes: Scope[];
  user: Props;
  csrf: string;
}

/**
 * Asks the signed-in user whether an app may act for them. Every string about the app came from
 * the app (its registration or metadata document) and is escaped by JSX.
 */
export function ConsentPage({ details, handle, scopes, user, csrf }: ConsentPageProps) {
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
          <dt>Signed in as</dt>
          <dd>{user.email}</dd>
          <dt>Access goes to</dt>
          <dd>
            <strong>{details.redirectHost}</strong>
          </dd>
        </dl>
        {details.redirectIsLoopback ? (
          <p class="warning">
            <strong>This sends access to an app on your computer.</strong> Continue only if you just started
            connecting from it.
          </p>
        ) : null}
        <form method="post" action="/authorize">
          <input type="hidden" name="handle" value={handle} />
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
